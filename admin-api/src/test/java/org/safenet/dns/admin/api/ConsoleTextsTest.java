package org.safenet.dns.admin.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Locale;
import java.util.ResourceBundle;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.safenet.dns.blocklist.Categories;

/**
 * The console and the block page speak both languages completely: the two text files have the
 * same keys, every key the page and the script name exists, and every category, status and role
 * the API can return has its text.
 */
class ConsoleTextsTest {
    private static String resource(String name) throws IOException {
        try (InputStream in = ConsoleTextsTest.class.getResourceAsStream("/org/safenet/dns/admin/web/" + name)) {
            assertThat(in).as(name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static Set<String> keys(String lang) throws IOException {
        JsonNode texts = new ObjectMapper().readTree(resource("i18n/" + lang + ".json"));
        Set<String> out = new TreeSet<>();
        for (Iterator<String> it = texts.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            assertThat(texts.path(k).asText()).as(lang + " " + k).isNotBlank();
            out.add(k);
        }
        return out;
    }

    private static Set<String> matches(String text, String regex) {
        Set<String> out = new TreeSet<>();
        Matcher m = Pattern.compile(regex).matcher(text);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    @Test
    void bothLanguagesHaveEveryTextThePageAndTheScriptUse() throws IOException {
        Set<String> vi = keys("vi");
        Set<String> en = keys("en");
        assertThat(vi).isEqualTo(en);
        Set<String> used = new TreeSet<>();
        used.addAll(matches(resource("index.html"), "data-i18n(?:-placeholder|-aria-label)?=\"([^\"]+)\""));
        used.addAll(matches(resource("app.js"), "\\bt\\('([a-zA-Z]+(?:\\.[a-zA-Z]+)*)'\\s*[,)]"));
        assertThat(used).hasSizeGreaterThan(50);
        assertThat(vi).containsAll(used);
        for (String c : Categories.KNOWN) {
            assertThat(vi).contains("category." + c);
        }
        for (String s : new String[] {"pending", "open", "accepted", "rejected"}) {
            assertThat(vi).contains("status." + s);
        }
        for (Role r : Role.values()) {
            assertThat(vi).contains("role." + r.text());
        }
    }

    @Test
    void theBlockPagesBundlesHaveTheSameKeys() {
        ResourceBundle.Control exact =
                ResourceBundle.Control.getNoFallbackControl(ResourceBundle.Control.FORMAT_PROPERTIES);
        ResourceBundle vi = ResourceBundle.getBundle(
                "org.safenet.dns.admin.blockpage.messages", Locale.forLanguageTag("vi"), exact);
        ResourceBundle en = ResourceBundle.getBundle(
                "org.safenet.dns.admin.blockpage.messages", Locale.forLanguageTag("en"), exact);
        assertThat(new TreeSet<>(vi.keySet())).isEqualTo(new TreeSet<>(en.keySet()));
        assertThat(vi.getString("warning.heading")).isEqualTo("Trang web này đã bị chặn để bảo vệ bạn");
        for (String c : Categories.KNOWN) {
            assertThat(vi.keySet()).contains("category." + c);
        }
    }
}
