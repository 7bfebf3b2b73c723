package org.safenet.dns.admin.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;

/**
 * Coverage-guided fuzzing (Jazzer) of the admin API's JSON bodies: for every request type a
 * handler reads, any bytes give the value or an {@link ApiException} (a 4xx with a stable code and
 * a message), never another exception (which would be a 500).
 */
class ApiBodyFuzzTest {
    private static final ObjectMapper JSON = AdminApi.mapper();

    private static final List<Class<?>> TYPES = List.of(
            EntryResources.EntryRequest.class,
            EntryResources.AllowRequest.class,
            EntryResources.BulkRequest.class,
            EntryResources.CategoryRequest.class,
            SourceResources.SourceRequest.class,
            AccessResources.ReviewRequest.class,
            AccessResources.TokenRequest.class,
            AccessResources.LevelRequest.class,
            Map.class);

    @FuzzTest(maxDuration = "30s")
    void body(FuzzedDataProvider data) {
        Class<?> type = TYPES.get(data.consumeInt(0, TYPES.size() - 1));
        String contentType = data.consumeBoolean() ? "application/json" : data.consumeString(40);
        byte[] body = data.consumeRemainingAsBytes();
        HttpCall call = new HttpCall("POST", "/api/v1/x", Map.of(), null, contentType, body, "192.0.2.1");
        ApiRequest request = new ApiRequest(call, null, Map.of(), JSON, null);
        try {
            assertThat((Object) request.body(type)).isNotNull();
        } catch (ApiException refused) {
            assertThat(refused.status()).isBetween(400, 499);
            assertThat(refused.code()).isNotBlank();
            assertThat(refused.getMessage()).isNotBlank();
        }
    }
}
