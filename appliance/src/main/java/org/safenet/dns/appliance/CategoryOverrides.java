package org.safenet.dns.appliance;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.safenet.dns.blocklist.Categories;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.store.Records;

/**
 * Category actions set through the admin API, kept in the store ({@code meta} family, {@code
 * category/<name>}) and applied over the config file's at every start: an operator who switches
 * a category off through the dashboard does not see it come back after a restart. Editing the
 * category in the config file does not clear an override; setting it through the API does.
 */
final class CategoryOverrides {
    private CategoryOverrides() {}

    private static Records records(BlocklistStore store) {
        return store.metaRecords("category/");
    }

    static void store(BlocklistStore store, String category, String action) throws BlocklistStore.StoreException {
        records(store).put(category.getBytes(StandardCharsets.UTF_8), action.getBytes(StandardCharsets.UTF_8));
    }

    /** The config's categories with the stored overrides on top. */
    static Categories apply(BlocklistStore store, Map<String, String> configured) {
        Map<String, String> merged = new LinkedHashMap<>(configured);
        records(store).scan(new byte[0], null, false, (k, v) -> {
            merged.put(new String(k, StandardCharsets.UTF_8), new String(v, StandardCharsets.UTF_8));
            return true;
        });
        return Categories.of(merged);
    }
}
