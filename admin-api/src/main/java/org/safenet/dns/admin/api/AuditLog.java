package org.safenet.dns.admin.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.store.Records;

/**
 * Every change made through the API, kept in the store's {@code audit} family (synced): who
 * (token id and role), from where, what, on what, the state before and after, and when. Keys are
 * the time and a sequence number, so the trail reads back newest first with one reverse scan.
 */
public final class AuditLog {
    private final Records records;
    private final ObjectMapper json;
    private final LongSupplier clock;
    private final AtomicInteger sequence = new AtomicInteger();

    public AuditLog(Records records, ObjectMapper json, LongSupplier clock) {
        this.records = records;
        this.json = json;
        this.clock = clock;
    }

    public void record(
            Tokens.Token who,
            String client,
            String action,
            String target,
            @Nullable Object before,
            @Nullable Object after)
            throws BlocklistStore.StoreException {
        long now = clock.getAsLong();
        ObjectNode e = json.createObjectNode();
        e.put("time", java.time.Instant.ofEpochMilli(now).toString());
        e.put("tokenId", who.id());
        e.put("tokenName", who.name());
        e.put("role", who.role().text());
        e.put("client", client);
        e.put("action", action);
        e.put("target", target);
        e.set("before", json.valueToTree(before));
        e.set("after", json.valueToTree(after));
        byte[] key = ByteBuffer.allocate(12)
                .putLong(now)
                .putInt(sequence.getAndIncrement())
                .array();
        try {
            records.put(key, json.writeValueAsBytes(e));
        } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
            throw new BlocklistStore.StoreException("cannot encode an audit record: " + ex.getMessage(), ex);
        }
    }

    /** Up to {@code limit} records older than {@code beforeMillis}, newest first. */
    public List<JsonNode> recent(int limit, long beforeMillis) {
        List<JsonNode> out = new ArrayList<>();
        records.scan(new byte[0], ByteBuffer.allocate(8).putLong(beforeMillis).array(), true, (k, v) -> {
            try {
                out.add(json.readTree(v));
            } catch (IOException e) {
                out.add(json.createObjectNode().put("corrupt", e.getMessage()));
            }
            return out.size() < limit;
        });
        return out;
    }
}
