package org.safenet.dns.blocklist.sync;

import java.util.Base64;
import java.util.Locale;
import org.xbill.DNS.Name;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TextParseException;

/**
 * A TSIG key (RFC 8945) shared with a primary or secondary.
 *
 * @param name the key's name, as both sides configure it
 * @param algorithm hmac-sha256 (or hmac-sha384, hmac-sha512)
 * @param secret base64, as {@code keymgr}/{@code tsig-keygen} print it
 */
public record TsigKey(String name, String algorithm, String secret) {
    public TsigKey {
        String a = algorithm.toLowerCase(Locale.ROOT);
        if (!a.equals("hmac-sha256") && !a.equals("hmac-sha384") && !a.equals("hmac-sha512")) {
            throw new IllegalArgumentException(
                    "TSIG key " + name + ": algorithm " + algorithm + " (use hmac-sha256, hmac-sha384 or hmac-sha512)");
        }
        try {
            if (Base64.getDecoder().decode(secret).length < 16) {
                throw new IllegalArgumentException("TSIG key " + name + ": the secret is shorter than 16 bytes");
            }
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("TSIG key")) {
                throw e;
            }
            throw new IllegalArgumentException("TSIG key " + name + ": the secret is not base64", e);
        }
        algorithm = a;
    }

    /** Without the secret: this may end up in a log. */
    @Override
    public String toString() {
        return "TsigKey[" + name + ", " + algorithm + "]";
    }

    /** The dnsjava signer/verifier. */
    public TSIG tsig() {
        try {
            return new TSIG(TSIG.algorithmToName(algorithm), Name.fromString(name, Name.root), secret);
        } catch (TextParseException e) {
            throw new IllegalArgumentException("TSIG key name " + name + ": " + e.getMessage(), e);
        }
    }
}
