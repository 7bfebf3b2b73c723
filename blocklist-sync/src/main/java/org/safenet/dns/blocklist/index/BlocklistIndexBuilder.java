package org.safenet.dns.blocklist.index;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.safenet.dns.resolver.acl.CidrPrefix;
import org.safenet.dns.resolver.policy.PolicyAction;
import org.safenet.dns.resolver.policy.Verdict;
import org.safenet.dns.resolver.wire.DnsNames;

/**
 * Builds one {@link BlocklistPolicy.Snapshot}: block entries with their verdicts, allow entries,
 * off the event loops. Verdicts are interned, so a list of millions of entries holds a handful of
 * {@link Verdict} objects. A fresh random seed per build keeps anyone from choosing names that all
 * collide.
 */
public final class BlocklistIndexBuilder {
    private final long seed = new SecureRandom().nextLong();
    private final NameIndexBuilder block = new NameIndexBuilder(seed);
    private final NameIndexBuilder allow = new NameIndexBuilder(seed);
    private final Map<Verdict, Integer> verdictIds = new HashMap<>();
    private final List<Verdict> verdicts =
            new ArrayList<>(List.of(new Verdict(PolicyAction.PASSTHRU, "-", "-", 0, null)));
    private final Verdict allowed = new Verdict(PolicyAction.PASSTHRU, "allowlist", "allowlist", 0, null);
    private final AddressIndex.Builder addresses = new AddressIndex.Builder();
    private final AddressIndex.Builder clients = new AddressIndex.Builder();

    /** Blocks answers that carry an address inside {@code prefix} (RPZ {@code rpz-ip}). */
    public BlocklistIndexBuilder blockAddresses(CidrPrefix prefix, Verdict verdict) {
        addresses.add(prefix, verdict);
        return this;
    }

    /** Applies {@code verdict} to every query from a client inside {@code prefix} (RPZ {@code rpz-client-ip}). */
    public BlocklistIndexBuilder blockClients(CidrPrefix prefix, Verdict verdict) {
        clients.add(prefix, verdict);
        return this;
    }

    /**
     * Blocks {@code name} (presentation form, any case): only that name, or with {@code subtree}
     * the name and everything below it.
     */
    public BlocklistIndexBuilder block(String name, boolean subtree, Verdict verdict) {
        return blockWire(DnsNames.toWire(name), subtree, verdict);
    }

    /** As {@link #block}, for a lowercase wire-form name (importers that already hold one). */
    public BlocklistIndexBuilder blockWire(byte[] wire, boolean subtree, Verdict verdict) {
        int id = idOf(verdict);
        block.add(wire, subtree ? 0 : id, subtree ? id : 0);
        return this;
    }

    /** Blocks only the names below {@code wire}, not the name itself (RPZ {@code *.name}). */
    public BlocklistIndexBuilder blockDescendants(byte[] wire, Verdict verdict) {
        block.add(wire, 0, idOf(verdict) | BlocklistPolicy.DESCENDANTS_ONLY);
        return this;
    }

    /** Lets {@code name} (and with {@code subtree} everything below it) through, whatever blocks it. */
    public BlocklistIndexBuilder allow(String name, boolean subtree) {
        allow.add(DnsNames.toWire(name), subtree ? 0 : 1, subtree ? 1 : 0);
        return this;
    }

    private int idOf(Verdict v) {
        return verdictIds.computeIfAbsent(v, k -> {
            if (verdicts.size() >= BlocklistPolicy.TOMBSTONE) {
                throw new IllegalStateException("more than 32766 distinct verdicts");
            }
            verdicts.add(k);
            return verdicts.size() - 1;
        });
    }

    public int blockedNames() {
        return block.size();
    }

    public BlocklistPolicy.Snapshot build(long version) {
        return new BlocklistPolicy.Snapshot(
                block.build(),
                allow.build(),
                verdicts.toArray(Verdict[]::new),
                allowed,
                seed,
                version,
                addresses.build(),
                clients.build(),
                NameIndex.empty(),
                NameIndex.empty());
    }
}
