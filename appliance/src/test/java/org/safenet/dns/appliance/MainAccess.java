package org.safenet.dns.appliance;

import picocli.CommandLine;

/** The command line as {@code safenet} builds it, for tests in other packages. */
public final class MainAccess {
    private MainAccess() {}

    public static CommandLine commandLine() {
        return Main.commandLine();
    }
}
