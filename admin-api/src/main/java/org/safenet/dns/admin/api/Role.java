package org.safenet.dns.admin.api;

import java.util.Locale;

/** What a token may do; each role can do everything the ones before it can. */
public enum Role {
    /** Read everything but tokens. */
    VIEWER,
    /** Change lists, categories, sources; review appeals. */
    OPERATOR,
    /** Manage tokens, reload configuration. */
    ADMIN;

    public boolean covers(Role needed) {
        return ordinal() >= needed.ordinal();
    }

    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Role parse(String text) {
        for (Role r : values()) {
            if (r.text().equals(text)) {
                return r;
            }
        }
        throw ApiException.badRequest("invalid_role", "role must be viewer, operator or admin, not '" + text + "'");
    }
}
