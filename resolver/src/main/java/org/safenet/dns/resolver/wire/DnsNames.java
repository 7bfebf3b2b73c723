package org.safenet.dns.resolver.wire;

import java.io.ByteArrayOutputStream;
import java.util.Locale;

/** Conversions between presentation-form names ("www.example.com.") and uncompressed wire form. */
public final class DnsNames {
    private DnsNames() {}

    /**
     * Encodes a presentation-form name as lowercased wire form. Cold path (config, tests).
     *
     * @throws IllegalArgumentException if a label is empty, over 63 octets, not printable ASCII, or
     *     the name over 255
     */
    public static byte[] toWire(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (t.endsWith(".")) {
            t = t.substring(0, t.length() - 1);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(t.length() + 2);
        if (!t.isEmpty()) {
            for (String label : t.split("\\.", -1)) {
                if (label.isEmpty()) {
                    throw new IllegalArgumentException("empty label in name '" + text + "'");
                }
                if (!isPrintableAscii(label)) {
                    throw new IllegalArgumentException(
                            "name '" + text
                                    + "' has characters outside printable ASCII (convert IDNs to their xn-- A-label form first)");
                }
                byte[] b = label.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                if (b.length > DnsConstants.MAX_LABEL_LENGTH) {
                    throw new IllegalArgumentException("label longer than 63 octets in name '" + text + "'");
                }
                out.write(b.length);
                out.write(b, 0, b.length);
            }
        }
        out.write(0);
        if (out.size() > DnsConstants.MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("name longer than 255 octets: '" + text + "'");
        }
        return out.toByteArray();
    }

    private static boolean isPrintableAscii(String label) {
        for (int i = 0; i < label.length(); i++) {
            char c = label.charAt(i);
            if (c <= 0x20 || c >= 0x7F) {
                return false;
            }
        }
        return true;
    }

    /** Renders wire-form bytes as a dotted name with a trailing dot; non-printable octets as \DDD. */
    public static String toText(byte[] wire, int offset, int length) {
        StringBuilder sb = new StringBuilder(length + 1);
        int i = offset;
        int end = offset + length;
        while (i < end) {
            int len = wire[i++] & 0xFF;
            if (len == 0) {
                break;
            }
            for (int k = 0; k < len && i < end; k++, i++) {
                int c = wire[i] & 0xFF;
                if (c == '.' || c == '\\') {
                    sb.append('\\').append((char) c);
                } else if (c > 0x20 && c < 0x7F) {
                    sb.append((char) c);
                } else {
                    sb.append('\\').append(String.format(Locale.ROOT, "%03d", c));
                }
            }
            sb.append('.');
        }
        return sb.isEmpty() ? "." : sb.toString();
    }

    /** ASCII lowercase of one octet; DNS names compare case-insensitively in ASCII only (RFC 4343). */
    public static byte lower(byte b) {
        return (b >= 'A' && b <= 'Z') ? (byte) (b | 0x20) : b;
    }

    /**
     * True if {@code name[0, nameLength)} equals or lies under {@code zone} (both lowercased wire
     * form). Compares from the right, label-aligned.
     */
    public static boolean isAtOrBelow(byte[] name, int nameLength, int labelCount, byte[] zone, int zoneLabels) {
        if (zoneLabels > labelCount || zone.length > nameLength) {
            return false;
        }
        // Skip the leading labels so that the remaining suffix has zoneLabels labels.
        int pos = 0;
        for (int skip = labelCount - zoneLabels; skip > 0; skip--) {
            pos += (name[pos] & 0xFF) + 1;
        }
        if (nameLength - pos != zone.length) {
            return false;
        }
        for (int i = 0; i < zone.length; i++) {
            if (name[pos + i] != zone[i]) {
                return false;
            }
        }
        return true;
    }

    /** Number of labels in a wire-form name, not counting the root. */
    public static int labelCount(byte[] wire) {
        int count = 0;
        int i = 0;
        while (i < wire.length && wire[i] != 0) {
            count++;
            i += (wire[i] & 0xFF) + 1;
        }
        return count;
    }
}
