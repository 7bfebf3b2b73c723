package org.safenet.dns.appliance.config;

import java.util.List;

/** A configuration that cannot be used; each problem names the key, where it was set, and why. */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    public ConfigException(List<String> problems) {
        super(String.join("\n", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
