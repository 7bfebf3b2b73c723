package org.safenet.dns.blocklist.store;

import java.nio.charset.StandardCharsets;
import org.safenet.dns.resolver.wire.DnsNames;

/**
 * Store keys: a name with its labels reversed ({@code www.example.com} -> {@code com.example.www}),
 * so that a domain and everything below it are one contiguous key range and an export comes out
 * in zone order.
 */
public final class ReversedName {
    private ReversedName() {}

    /** The key text for a lowercase wire-form name. */
    public static String fromWire(byte[] wire) {
        String text = DnsNames.toText(wire, 0, wire.length);
        if (text.equals(".")) {
            return "";
        }
        String[] labels = text.substring(0, text.length() - 1).split("\\.");
        StringBuilder sb = new StringBuilder(text.length());
        for (int i = labels.length - 1; i >= 0; i--) {
            sb.append(labels[i]);
            if (i > 0) {
                sb.append('.');
            }
        }
        return sb.toString();
    }

    /** Back to lowercase wire form. */
    public static byte[] toWire(String reversed) {
        String[] labels = reversed.split("\\.");
        StringBuilder sb = new StringBuilder(reversed.length() + 1);
        for (int i = labels.length - 1; i >= 0; i--) {
            sb.append(labels[i]).append('.');
        }
        return DnsNames.toWire(sb.toString());
    }

    static byte[] bytes(String reversed) {
        return reversed.getBytes(StandardCharsets.US_ASCII);
    }
}
