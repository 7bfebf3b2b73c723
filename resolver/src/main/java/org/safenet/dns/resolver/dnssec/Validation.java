package org.safenet.dns.resolver.dnssec;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.xbill.DNS.Name;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.dnssec.ValidatingResolver;

/**
 * DNSSEC validation of cache misses (RFC 4033-4035, 5155) by dnsjava's validator on top of the
 * resolver that fetches the data, with the configured trust anchors, and the domains under a
 * negative trust anchor (RFC 7646) left unvalidated. The validator caps the signatures it checks
 * per answer ({@code dnsjava.dnssec.max_validate_rrsigs}, 8: the KeyTrap bound) and NSEC3
 * iterations; decision 0017.
 */
public final class Validation {
    private final ValidatingResolver validator;
    private volatile List<Name> negativeAnchors;

    public Validation(Resolver head, TrustAnchors anchors, List<String> negativeTrustAnchors) {
        NativeSignatures.install();
        this.validator = new ValidatingResolver(head);
        this.validator.setAddReasonToAdditional(false);
        anchors.loadInto(validator);
        this.negativeAnchors = parse(negativeTrustAnchors);
    }

    /** The validating resolver. */
    public Resolver resolver() {
        return validator;
    }

    /** The negative trust anchors from now on. @throws IllegalArgumentException naming a bad entry */
    public void negativeAnchors(List<String> domains) {
        this.negativeAnchors = parse(domains);
    }

    /** Whether {@code name} is at or below a negative trust anchor (answered unvalidated). */
    public boolean exempt(Name name) {
        for (Name n : negativeAnchors) {
            if (name.subdomain(n)) {
                return true;
            }
        }
        return false;
    }

    /** @throws IllegalArgumentException naming the entry that is not a domain name */
    public static List<Name> parse(List<String> domains) {
        List<Name> out = new ArrayList<>();
        for (String d : domains) {
            try {
                out.add(Name.fromString(d.strip().toLowerCase(Locale.ROOT), Name.root));
            } catch (TextParseException e) {
                throw new IllegalArgumentException("dnssec.negativeTrustAnchors: '" + d + "' is not a domain name", e);
            }
        }
        return List.copyOf(out);
    }
}
