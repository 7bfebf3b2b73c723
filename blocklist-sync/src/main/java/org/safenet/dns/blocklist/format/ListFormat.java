package org.safenet.dns.blocklist.format;

import java.util.Locale;

/** The list syntaxes the importer reads. */
public enum ListFormat {
    /** One name per line; each line means the name and everything below it. */
    DOMAINS,
    /** {@code 0.0.0.0 name [name...]}: each name exactly (hosts-file semantics). */
    HOSTS,
    /** {@code ||name^} blocks the name and below it; {@code @@||name^} is an exception. */
    ADBLOCK,
    /** A Response Policy Zone in master-file syntax (QNAME and rpz-ip triggers). */
    RPZ;

    public static ListFormat parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown list format '" + text + "' (domains, hosts, adblock, rpz)", e);
        }
    }
}
