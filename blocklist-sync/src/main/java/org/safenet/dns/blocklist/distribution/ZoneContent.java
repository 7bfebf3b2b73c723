package org.safenet.dns.blocklist.distribution;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.ToIntFunction;
import org.safenet.dns.blocklist.index.IndexLoader;
import org.safenet.dns.blocklist.store.BlocklistStore;
import org.safenet.dns.blocklist.store.StoredEntry;

/**
 * The merged list as RPZ records: per name and match kind the deciding entry (highest-precedence
 * source; an allow entry unless a strictly higher source blocks), exactly as the journal's
 * {@code ListWriter} computes it, so an AXFR and the IXFRs after it describe the same zone.
 */
public final class ZoneContent {
    private ZoneContent() {}

    /** Calls {@code out} with every record line ({@code owner TYPE rdata}, owner relative to the zone). */
    public static void forEachRecord(
            BlocklistStore store, ToIntFunction<String> precedence, LongSupplier clockMillis, Consumer<String> out) {
        long now = clockMillis.getAsLong();
        Map<String, StoredEntry> allows = new HashMap<>();
        store.forEachAllow(e -> {
            if (applies(e, now)) {
                allows.merge(
                        key(e),
                        e,
                        (a, b) -> precedence.applyAsInt(b.source()) > precedence.applyAsInt(a.source()) ? b : a);
            }
        });
        List<StoredEntry> group = new ArrayList<>();
        Consumer<List<StoredEntry>> emit = entries -> {
            StoredEntry winner = IndexLoader.winner(entries, precedence, e -> true);
            if (winner == null) {
                return;
            }
            StoredEntry allowed = allows.get(key(winner));
            if (allowed != null && precedence.applyAsInt(allowed.source()) >= precedence.applyAsInt(winner.source())) {
                return; // the allow entry decides; exported below
            }
            allows.remove(key(winner));
            RpzRecords.of(winner, false).forEach(out);
        };
        store.forEachBlock(e -> {
            if (!group.isEmpty()
                    && !(group.get(0).match() == e.match()
                            && group.get(0).reversedName().equals(e.reversedName()))) {
                emit.accept(group);
                group.clear();
            }
            if (applies(e, now)) {
                group.add(e);
            }
        });
        if (!group.isEmpty()) {
            emit.accept(group);
        }
        allows.values().forEach(a -> RpzRecords.of(a, true).forEach(out));
        // RPZ-IP triggers: keys are prefix + match + source, so one prefix's sources are adjacent.
        List<StoredEntry> ips = new ArrayList<>();
        Consumer<List<StoredEntry>> emitIp = entries -> {
            StoredEntry winner = IndexLoader.winner(entries, precedence, e -> true);
            if (winner != null) {
                RpzRecords.ofIp(winner).forEach(out);
            }
        };
        store.forEachIp(e -> {
            if (!ips.isEmpty() && !ips.get(0).reversedName().equals(e.reversedName())) {
                emitIp.accept(ips);
                ips.clear();
            }
            if (applies(e, now)) {
                ips.add(e);
            }
        });
        if (!ips.isEmpty()) {
            emitIp.accept(ips);
        }
    }

    private static boolean applies(StoredEntry e, long now) {
        return e.expiresMillis() == 0 || e.expiresMillis() > now;
    }

    private static String key(StoredEntry e) {
        return e.reversedName() + "/" + e.match();
    }
}
