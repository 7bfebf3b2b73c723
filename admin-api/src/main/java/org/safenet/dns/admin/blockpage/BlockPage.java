package org.safenet.dns.admin.blockpage;

import java.util.List;
import java.util.Locale;
import java.util.ResourceBundle;
import org.jspecify.annotations.Nullable;
import org.safenet.dns.admin.appeals.ReportBox;

/**
 * The warning page, the appeal receipt and the citizen report form, in the visitor's language
 * (Vietnamese or English, from {@code messages_*.properties}), with a link to the other. Every
 * value echoed is escaped; the texts are ours.
 */
final class BlockPage {
    /** The languages the pages speak; the first is the default. */
    static final List<String> LANGUAGES = List.of("vi", "en");

    private BlockPage() {}

    /** HTML escaping of the five characters that matter in text and attribute values. */
    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }

    /**
     * The language to answer in: {@code ?lang=} when it names one we speak, else the first of
     * {@code Accept-Language} (by its q values) that we speak, else Vietnamese.
     */
    static String language(@Nullable String asked, @Nullable String acceptLanguage) {
        if (asked != null && LANGUAGES.contains(asked)) {
            return asked;
        }
        if (acceptLanguage == null || acceptLanguage.length() > 1000) {
            return LANGUAGES.getFirst();
        }
        String best = LANGUAGES.getFirst();
        double bestQ = -1;
        for (String part : acceptLanguage.split(",")) {
            String[] p = part.strip().split(";");
            String tag = p[0].strip().toLowerCase(Locale.ROOT);
            String primary = tag.contains("-") ? tag.substring(0, tag.indexOf('-')) : tag;
            double q = 1;
            for (int i = 1; i < p.length; i++) {
                String param = p[i].strip();
                if (param.startsWith("q=")) {
                    try {
                        q = Double.parseDouble(param.substring(2));
                    } catch (NumberFormatException e) {
                        q = 0;
                    }
                }
            }
            if (LANGUAGES.contains(primary) && q > bestQ && q > 0) {
                best = primary;
                bestQ = q;
            }
        }
        return best;
    }

    /** The page texts in {@code lang}. */
    record Texts(String lang, ResourceBundle bundle) {
        static Texts of(String lang) {
            return new Texts(
                    lang,
                    ResourceBundle.getBundle(
                            "org.safenet.dns.admin.blockpage.messages",
                            Locale.forLanguageTag(lang),
                            ResourceBundle.Control.getNoFallbackControl(ResourceBundle.Control.FORMAT_PROPERTIES)));
        }

        /** The text for {@code key}, escaped. */
        String t(String key) {
            return escape(bundle.getString(key));
        }

        /** The text for {@code key} with {@code {0}} replaced by {@code value} (the text escaped, the value as given). */
        String t(String key, String valueHtml) {
            return t(key).replace("{0}", valueHtml);
        }
    }

    private static final String STYLE = """
            body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;background:#f6f7f9;color:#1d2530;margin:0}
            main{max-width:40rem;margin:3rem auto;background:#fff;border-radius:.5rem;padding:2rem;box-shadow:0 1px 4px rgba(0,0,0,.12)}
            h1{color:#b3261e;font-size:1.5rem;margin-top:0}h2{font-size:1.1rem;color:#444}
            .host{font-family:monospace;background:#f1f1f1;padding:.1rem .3rem;border-radius:.2rem;word-break:break-all}
            dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}dt{color:#555}
            label{display:block;margin-top:.8rem;font-weight:600}
            input,select,textarea{width:100%;box-sizing:border-box;padding:.4rem;font:inherit}
            textarea{min-height:5rem}button{margin-top:.8rem;padding:.5rem 1rem;font:inherit}
            .lang{float:right}.error{color:#b3261e;font-weight:600}h1.thanks{color:#1d6b2f}
            footer{color:#555;font-size:.85rem;margin-top:1.5rem}""";

    private static String page(Texts t, String titleKey, String body) {
        String other = t.bundle().getString("lang.other");
        return """
                <!DOCTYPE html>
                <html lang="%s"><head><meta charset="utf-8">
                <meta name="viewport" content="width=device-width,initial-scale=1">
                <title>%s</title><style>%s</style></head>
                <body><main>
                <a class="lang" href="?lang=%s" hreflang="%s" lang="%s">%s</a>
                %s
                <footer>SafeNet DNS</footer>
                </main></body></html>
                """.formatted(t.lang(), t.t(titleKey), STYLE, other, other, other, t.t("lang.otherName"), body);
    }

    /**
     * @param host the blocked host name the browser asked for
     * @param category the list category, or null when the name is not (or no longer) listed
     * @param reference the decision reference operators can look up
     */
    static String warning(Texts t, String host, @Nullable String category, String reference) {
        String h = escape(host);
        String c = category == null
                ? t.t("warning.unknown")
                : t.bundle().containsKey("category." + category) ? t.t("category." + category) : escape(category);
        return page(t, "warning.title", """
                <h1>%s</h1>
                <p>%s</p>
                <dl><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd><code>%s</code></dd></dl>
                <h2>%s</h2>
                <form method="post" action="/appeal?lang=%s">
                <input type="hidden" name="host" value="%s">
                <label for="reason">%s</label>
                <textarea id="reason" name="reason" maxlength="2000" required></textarea>
                <button type="submit">%s</button>
                </form>
                <p><a href="/report?lang=%s">%s</a></p>
                """.formatted(
                        t.t("warning.heading"),
                        t.t("warning.text", "<span class=\"host\">" + h + "</span>"),
                        t.t("warning.category"),
                        c,
                        t.t("warning.reference"),
                        escape(reference),
                        t.t("appeal.heading"),
                        t.lang(),
                        h,
                        t.t("appeal.label"),
                        t.t("appeal.send"),
                        t.lang(),
                        t.t("report.link")));
    }

    /** The thanks after an appeal ({@code what} "receipt.appeal") or a report ("receipt.report"). */
    static String receipt(Texts t, String what, String name) {
        return page(
                t,
                "receipt.title",
                "<h1 class=\"thanks\">%s</h1>\n<p>%s</p>\n"
                        .formatted(
                                t.t("receipt.heading"), t.t(what, "<span class=\"host\">" + escape(name) + "</span>")));
    }

    /** A page that says why a request was not taken ({@code reasonKey} one of {@code notTaken.*}). */
    static String notTaken(Texts t, String name, String reasonKey) {
        return page(
                t,
                "notTaken.title",
                "<h1>%s</h1>\n<p><span class=\"host\">%s</span>: %s</p>\n"
                        .formatted(t.t("notTaken.heading"), escape(name), t.t(reasonKey)));
    }

    /**
     * The report form; after a refused filing, with what was typed and the error for {@code
     * errorField} (null: none).
     */
    static String reportForm(
            Texts t, String domain, String category, String description, String contact, @Nullable String errorField) {
        StringBuilder options = new StringBuilder();
        for (String kind : ReportBox.KINDS) {
            options.append("<option value=\"")
                    .append(kind)
                    .append('"')
                    .append(kind.equals(category) ? " selected" : "")
                    .append('>')
                    .append(t.t("kind." + kind))
                    .append("</option>");
        }
        String error = errorField == null
                ? ""
                : "<p class=\"error\" role=\"alert\">" + t.t("report.invalid", t.t("report.field." + errorField))
                        + "</p>";
        return page(t, "report.title", """
                <h1>%s</h1>
                <p>%s</p>
                %s
                <form method="post" action="/report?lang=%s">
                <label for="domain">%s</label>
                <input id="domain" name="domain" maxlength="2000" required value="%s" autocomplete="off" inputmode="url">
                <label for="category">%s</label>
                <select id="category" name="category" required>%s</select>
                <label for="description">%s</label>
                <textarea id="description" name="description" maxlength="2000">%s</textarea>
                <label for="contact">%s</label>
                <input id="contact" name="contact" maxlength="200" value="%s" autocomplete="email">
                <button type="submit">%s</button>
                </form>
                """.formatted(
                        t.t("report.heading"),
                        t.t("report.intro"),
                        error,
                        t.lang(),
                        t.t("report.domain"),
                        escape(domain),
                        t.t("report.category"),
                        options,
                        t.t("report.description"),
                        escape(description),
                        t.t("report.contact"),
                        escape(contact),
                        t.t("report.send")));
    }
}
