package org.safenet.dns.blocklist.index;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.resolver.acl.CidrPrefix;
import org.safenet.dns.resolver.policy.Verdict;

/**
 * RPZ-IP triggers: answer addresses inside listed prefixes. Checked on the miss path only (once
 * per upstream answer, then the answer is either cached clean or not cached), so a map of host
 * addresses plus a list of wider prefixes, longest first, is enough; the longest matching prefix
 * decides, as in RPZ.
 */
public final class AddressIndex {
    private final Map<String, Verdict> hosts;
    private final List<CidrPrefix> prefixes;
    private final List<Verdict> prefixVerdicts;
    /** Every trigger as added, for {@link IndexFile}. */
    private final List<Map.Entry<CidrPrefix, Verdict>> triggers;

    private AddressIndex(
            Map<String, Verdict> hosts,
            List<CidrPrefix> prefixes,
            List<Verdict> prefixVerdicts,
            List<Map.Entry<CidrPrefix, Verdict>> triggers) {
        this.hosts = hosts;
        this.prefixes = prefixes;
        this.prefixVerdicts = prefixVerdicts;
        this.triggers = triggers;
    }

    public static AddressIndex empty() {
        return new AddressIndex(Map.of(), List.of(), List.of(), List.of());
    }

    /** The triggers, in the order they were added. */
    List<Map.Entry<CidrPrefix, Verdict>> triggers() {
        return triggers;
    }

    /** Collects triggers, then {@link #build()}. */
    public static final class Builder {
        private final Map<String, Verdict> hosts = new HashMap<>();
        private final List<Map.Entry<CidrPrefix, Verdict>> wide = new ArrayList<>();
        private final List<Map.Entry<CidrPrefix, Verdict>> all = new ArrayList<>();

        public Builder add(CidrPrefix prefix, Verdict verdict) {
            all.add(Map.entry(prefix, verdict));
            if (prefix.length() == prefix.network().length * 8) {
                hosts.put(Arrays.toString(prefix.network()), verdict);
            } else {
                wide.add(Map.entry(prefix, verdict));
            }
            return this;
        }

        public AddressIndex build() {
            wide.sort((a, b) -> Integer.compare(b.getKey().length(), a.getKey().length()));
            return new AddressIndex(
                    Map.copyOf(hosts),
                    wide.stream().map(Map.Entry::getKey).toList(),
                    wide.stream().map(Map.Entry::getValue).toList(),
                    List.copyOf(all));
        }
    }

    public @Nullable Verdict decide(byte[] address) {
        Verdict exact = hosts.get(Arrays.toString(address));
        if (exact != null) {
            return exact;
        }
        for (int i = 0; i < prefixes.size(); i++) {
            if (contains(prefixes.get(i), address)) {
                return prefixVerdicts.get(i);
            }
        }
        return null;
    }

    public int size() {
        return hosts.size() + prefixes.size();
    }

    private static boolean contains(CidrPrefix p, byte[] address) {
        byte[] net = p.network();
        if (net.length != address.length) {
            return false;
        }
        int bits = p.length();
        for (int i = 0; i < net.length && bits > 0; i++, bits -= 8) {
            int mask = bits >= 8 ? 0xFF : (0xFF << (8 - bits)) & 0xFF;
            if ((address[i] & mask) != (net[i] & mask)) {
                return false;
            }
        }
        return true;
    }
}
