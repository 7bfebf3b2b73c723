package org.safenet.dns.admin.api;

import java.util.List;

/**
 * The console's files (its texts in {@code i18n/vi.json} and {@code i18n/en.json}): static, in {@code org/safenet/dns/admin/web/} on the classpath, served
 * without a token (the page asks for one and keeps it in session storage; every number it shows
 * comes from the API with that token). Chart.js comes from its WebJar, packaged into the jar at
 * build time: nothing is loaded from elsewhere at run time, and the Content-Security-Policy allows
 * scripts from the appliance only.
 */
final class Dashboard {
    static final List<String> FILES = List.of("index.html", "app.js", "app.css", "i18n/vi.json", "i18n/en.json");

    /** Chart.js from its WebJar; the version is {@code chartjs.version} in the parent pom. */
    static final String CHART_JS = "/META-INF/resources/webjars/chart.js/4.4.1/dist/chart.umd.js";

    private Dashboard() {}
}
