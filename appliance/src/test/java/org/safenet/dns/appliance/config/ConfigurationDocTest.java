package org.safenet.dns.appliance.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/configuration.md and default-config.yaml name the same keys: one cannot drift from the other. */
class ConfigurationDocTest {
    @Test
    void everyDefaultKey_isDocumented_andEveryDocumentedKeyExists() throws Exception {
        JsonNode defaults;
        try (InputStream in = ConfigLoader.class.getResourceAsStream(ConfigLoader.DEFAULT_RESOURCE)) {
            defaults = new ObjectMapper(new YAMLFactory()).readTree(in);
        }
        Set<String> keys = new TreeSet<>();
        collect(defaults, "", keys);

        String doc = Files.readString(Path.of("../docs/configuration.md"));
        Set<String> documented = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^\\| `([a-zA-Z0-9.\\[\\]]+)` \\|").matcher(doc);
        while (m.find()) {
            documented.add(m.group(1));
        }
        // Keys of list items (forwardZones[].zone) are documented, but not present in an empty default list.
        Set<String> sourceKeys = new TreeSet<>();
        documented.stream()
                .filter(k -> k.startsWith("sync.sources[]."))
                .forEach(k -> sourceKeys.add(k.substring("sync.sources[].".length())));
        documented.removeIf(k -> k.contains("[]"));
        assertThat(documented).containsExactlyInAnyOrderElementsOf(keys);
        // ...and a source's keys are exactly the config record's components.
        Set<String> components = new TreeSet<>();
        for (var c : SyncConfig.Source.class.getRecordComponents()) {
            components.add(c.getName());
        }
        assertThat(sourceKeys).containsExactlyInAnyOrderElementsOf(components);
        // The same for profiles, their schedules and client groups.
        assertThat(itemKeys(doc, "profiles[]."))
                .containsExactlyInAnyOrderElementsOf(componentNames(PolicyConfig.Profile.class));
        assertThat(itemKeys(doc, "profiles[].schedules[]."))
                .containsExactlyInAnyOrderElementsOf(componentNames(PolicyConfig.Schedule.class));
        assertThat(itemKeys(doc, "clients[]."))
                .containsExactlyInAnyOrderElementsOf(componentNames(PolicyConfig.Client.class));
    }

    /** The keys documented directly under {@code prefix} (one level). */
    private static Set<String> itemKeys(String doc, String prefix) {
        Set<String> out = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^\\| `" + Pattern.quote(prefix) + "([a-zA-Z]+)` \\|")
                .matcher(doc);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    private static Set<String> componentNames(Class<? extends Record> type) {
        Set<String> out = new TreeSet<>();
        for (var c : type.getRecordComponents()) {
            out.add(c.getName());
        }
        return out;
    }

    @Test
    void theLiveColumnSaysWhatAReloadApplies() throws Exception {
        String doc = Files.readString(Path.of("../docs/configuration.md"));
        Matcher m = Pattern.compile("(?m)^\\| `([a-zA-Z0-9.\\[\\]]+)` \\|[^|]*\\|[^|]*\\| (yes|no) \\|")
                .matcher(doc);
        int rows = 0;
        while (m.find()) {
            rows++;
            assertThat(m.group(2))
                    .as(m.group(1))
                    .isEqualTo(org.safenet.dns.appliance.Appliance.isLive(m.group(1)) ? "yes" : "no");
        }
        assertThat(rows).isGreaterThan(60);
    }

    /** Keys whose value is a free-form map, documented as one row. */
    private static final Set<String> MAP_KEYS = Set.of("blocklist.categories", "logging.levels", "upstream.tls.pins");

    private static void collect(JsonNode node, String path, Set<String> out) {
        if (node.isObject() && !MAP_KEYS.contains(path)) {
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                collect(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey(), out);
            }
        } else {
            out.add(path);
        }
    }
}
