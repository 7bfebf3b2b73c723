package org.safenet.dns.appliance;

/** The version stamped into the jar manifest at build time. */
public final class Version {
    private Version() {}

    public static String current() {
        String v = Version.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
