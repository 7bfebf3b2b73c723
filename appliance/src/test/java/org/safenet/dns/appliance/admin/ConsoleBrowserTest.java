package org.safenet.dns.appliance.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.safenet.dns.testkit.Peers;
import org.safenet.dns.testkit.ScriptedAuthServer;

/**
 * The operator console in Debian's headless Chromium, against a real appliance: signing in, the
 * overview after known traffic, an entry added and seen blocked with dig, a list file uploaded
 * with its report, a held update approved after its preview, an appeal and a citizen's report
 * accepted, the language switched, a viewer who sees no write controls, and axe-core's
 * accessibility audit on every view (no serious or critical violation). Screenshots go to {@code
 * target/console-*.png}.
 */
class ConsoleBrowserTest {
    @TempDir
    Path dir;

    private WebDriver browser;
    private WebDriverWait wait;
    /** axe-core's serious and critical violations, from every view and state the test passes through. */
    private final List<String> accessibility = new ArrayList<>();

    private static final String FEED =
            IntStream.range(0, 20).mapToObj(i -> "feed-" + i + ".example").collect(Collectors.joining("\n", "", "\n"));

    @Test
    void anOperatorRunsTheDayFromTheConsole_andAViewerOnlyLooks() throws Exception {
        Path chromium = Peers.require("chromium", "chromium");
        Path chromedriver = Peers.require("chromedriver", "chromium-driver");
        Peers.require("dig", "dnsutils");
        Path feed = dir.resolve("lists/feed.txt");
        Files.createDirectories(feed.getParent());
        Files.writeString(feed, FEED, StandardCharsets.UTF_8);
        try (ScriptedAuthServer upstream = ScriptedAuthServer.start();
                AdminTestAppliance app = AdminTestAppliance.startWithBlockPage(
                        dir, upstream.hostPort(), """
                        sync:
                          sources:
                            - name: feed
                              type: file
                              path: "%s"
                              category: scam
                              refresh: 1h
                              rails: {minEntriesForRatios: 5, maxRemovePercent: 30}
                        """.formatted(feed), "\"127.0.0.1:0\"")) {
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> app.admin("GET", "/api/v1/explain?name=feed-3.example", null)
                            .json()
                            .path("decision")
                            .asText()
                            .equals("blocked"));
            for (int i = 0; i < 4; i++) {
                app.query("127.0.4." + (i + 1), "feed-1.example");
            }
            for (int i = 0; i < 3; i++) {
                app.query("127.0.4.9", "nothing-here.example.org");
            }
            browser = new ChromeDriver(service(chromedriver), options(chromium));
            wait = new WebDriverWait(browser, Duration.ofSeconds(30));
            wait.ignoring(StaleElementReferenceException.class); // a table redrawn while it is read
            try {
                signInAndOverview(app);
                addAnEntry(app);
                uploadAList(app);
                approveAHeldUpdate(app, feed);
                addAndDisableASource(app);
                editAProfileAndReload(app);
                acceptAnAppeal(app);
                acceptAReport(app);
                switchTheLanguage();
                auditLogAndAccessibility();
                aViewerSeesNoWriteControls(app);
            } finally {
                browser.quit();
            }
        }
    }

    private void signInAndOverview(AdminTestAppliance app) throws Exception {
        browser.get(app.base.toString() + "/");
        wait.until(d -> d.findElement(By.id("login")).isDisplayed());
        assertThat(browser.findElement(By.cssSelector("#login h2")).getText()).isEqualTo("Đăng nhập");
        browser.findElement(By.id("token")).sendKeys("not-a-token");
        browser.findElement(By.cssSelector("#login-form button")).click();
        wait.until(d -> !d.findElement(By.id("login-error")).getText().isEmpty());
        assertThat(browser.findElement(By.id("content")).isDisplayed()).isFalse();

        browser.findElement(By.id("token")).clear();
        browser.findElement(By.id("token")).sendKeys(app.adminToken);
        browser.findElement(By.cssSelector("#login-form button")).click();
        wait.until(d -> d.findElement(By.id("queries")).getText().equals("7"));
        assertThat(browser.findElement(By.id("blocked")).getText()).isEqualTo("4");
        assertThat(browser.findElement(By.id("protected")).getText()).isEqualTo("4");
        assertThat(browser.findElement(By.id("clients")).getText()).isEqualTo("5");
        wait.until(d ->
                d.findElement(By.cssSelector("#top-blocked tbody")).getText().contains("feed-1.example"));
        assertThat(browser.findElement(By.cssSelector("#by-category tbody")).getText())
                .contains("lừa đảo");
        assertThat(browser.findElement(By.id("time-zone")).getText()).isNotBlank();
        assertThat(((JavascriptExecutor) browser).executeScript("return typeof Chart;"))
                .isEqualTo("function");
        assertThat(((JavascriptExecutor) browser).executeScript("return sessionStorage.getItem('safenet-token');"))
                .isEqualTo(app.adminToken);
        screenshot("overview");
    }

    private void addAnEntry(AdminTestAppliance app) throws Exception {
        nav("entries");
        browser.findElement(By.id("entry-name")).sendKeys("console-scam.example");
        new Select(browser.findElement(By.id("entry-category"))).selectByValue("phishing");
        browser.findElement(By.id("entry-reason")).sendKeys("hotline report");
        browser.findElement(By.cssSelector("#entry-add-form button")).click();
        waitForNotice("console-scam.example");
        assertThat(digShort(app.dns, "www.console-scam.example")).isEqualTo("127.0.0.1");
        // A mistake shows the API's own message.
        browser.findElement(By.id("entry-name")).sendKeys("not a name");
        browser.findElement(By.cssSelector("#entry-add-form button")).click();
        wait.until(d -> d.findElement(By.id("error")).getText().contains("not a valid domain name"));
        browser.findElement(By.id("entry-name")).clear();
    }

    private void uploadAList(AdminTestAppliance app) throws Exception {
        Path list = dir.resolve("upload.txt");
        Files.writeString(list, "# from the hotline\nupload-one.example\nupload-two.example\nbad name here\ngov.vn\n");
        browser.findElement(By.id("upload-file")).sendKeys(list.toString());
        new Select(browser.findElement(By.id("upload-category"))).selectByValue("scam");
        browser.findElement(By.cssSelector("#entry-upload-form button")).click();
        wait.until(d -> d.findElement(By.id("upload-result")).isDisplayed());
        String report = browser.findElement(By.id("upload-result")).getText();
        assertThat(report).contains("upload.txt").contains("thêm 2").contains("1 dòng không hợp lệ");
        assertThat(digShort(app.dns, "upload-two.example")).isEqualTo("127.0.0.1");
        wait.until(
                d -> d.findElement(By.cssSelector("#entries tbody")).getText().contains("upload-one.example"));
        screenshot("entries");
    }

    private void approveAHeldUpdate(AdminTestAppliance app, Path feed) throws Exception {
        // The feed drops 15 of its 20 names and adds two: more than maxRemovePercent, so it is held.
        String smaller =
                IntStream.range(15, 20).mapToObj(i -> "feed-" + i + ".example").collect(Collectors.joining("\n"))
                        + "\nfeed-new-a.example\nfeed-new-b.example\n";
        Files.writeString(feed, smaller, StandardCharsets.UTF_8);
        app.admin("POST", "/api/v1/sources/feed/sync", null);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> !app.admin("GET", "/api/v1/sources/feed", null)
                        .json()
                        .path("held")
                        .isNull());
        nav("sources");
        WebElement preview = wait.until(d -> d.findElement(By.cssSelector("#sources-table button.preview")));
        preview.click();
        wait.until(d -> d.findElement(By.id("held-preview")).isDisplayed());
        String shown = browser.findElement(By.id("held-preview")).getText();
        assertThat(shown).contains("Thêm 2 tên").contains("Gỡ 15 tên");
        assertThat(browser.findElement(By.cssSelector("#held-preview ul.held-added"))
                        .getText())
                .contains("feed-new-a.example");
        assertThat(browser.findElement(By.cssSelector("#held-preview ul.held-removed"))
                        .getText())
                .contains("feed-0.example")
                .contains("feed-14.example");
        screenshot("held-update");
        accessibility.addAll(axe("held update preview"));
        assertThat(digShort(app.dns, "feed-0.example"))
                .as("held: not applied yet")
                .isEqualTo("127.0.0.1");
        browser.findElement(By.id("held-approve")).click();
        confirm(null);
        waitForNotice("feed");
        assertThat(app.admin("GET", "/api/v1/sources/feed", null)
                        .json()
                        .path("held")
                        .isNull())
                .isTrue();
        assertThat(digShort(app.dns, "feed-new-b.example")).isEqualTo("127.0.0.1");
        assertThat(digShort(app.dns, "feed-0.example")).isNotEqualTo("127.0.0.1");
    }

    private void addAndDisableASource(AdminTestAppliance app) throws Exception {
        Path second = dir.resolve("lists/school.txt");
        Files.writeString(second, "school-blocked.example\n", StandardCharsets.UTF_8);
        browser.findElement(By.id("source-name")).sendKeys("school");
        new Select(browser.findElement(By.id("source-type"))).selectByValue("file");
        browser.findElement(By.id("source-location")).sendKeys(second.toString());
        new Select(browser.findElement(By.id("source-category"))).selectByValue("gambling");
        browser.findElement(By.cssSelector("#source-form button")).click();
        waitForNotice("school");
        await().atMost(Duration.ofSeconds(30))
                .until(() -> "127.0.0.1".equals(digShort(app.dns, "school-blocked.example")));
        WebElement disable = wait.until(d -> d.findElements(By.cssSelector("#sources-table tbody tr")).stream()
                .filter(row -> row.getText().startsWith("school"))
                .findFirst()
                .map(row -> row.findElement(By.cssSelector("button.danger")))
                .orElse(null));
        disable.click();
        confirm(null);
        waitForNotice("Đã lưu");
        assertThat(app.admin("GET", "/api/v1/sources/school", null)
                        .json()
                        .path("enabled")
                        .asBoolean())
                .isFalse();
    }

    private void editAProfileAndReload(AdminTestAppliance app) throws Exception {
        nav("profiles");
        new Select(browser.findElement(By.id("policy-kind"))).selectByValue("profiles");
        browser.findElement(By.id("policy-json")).sendKeys("{\"name\": \"library\", \"safeSearch\": true");
        browser.findElement(By.cssSelector("#policy-form button")).click();
        wait.until(d -> d.findElement(By.id("error")).getText().contains("JSON"));
        browser.findElement(By.id("policy-json")).sendKeys("}");
        browser.findElement(By.cssSelector("#policy-form button")).click();
        waitForNotice("Đã lưu");
        wait.until(d ->
                d.findElement(By.cssSelector("#profiles-table tbody")).getText().contains("library"));
        assertThat(app.admin("GET", "/api/v1/profiles", null).json().toString()).contains("library");

        nav("system");
        browser.findElement(By.id("reload-config")).click();
        confirm(null);
        wait.until(d -> d.findElement(By.id("reload-result")).isDisplayed());
        assertThat(browser.findElement(By.id("reload-result")).getText()).contains("Cần khởi động lại");
        assertThat(app.admin("GET", "/api/v1/audit?via=reload", null)
                        .json()
                        .at("/items/0/actor")
                        .asText())
                .isEqualTo("bootstrap admin");
    }

    private void acceptAnAppeal(AdminTestAppliance app) throws Exception {
        assertThat(app.blockPageForm("/appeal", "vi", "host", "feed-16.example", "reason", "Trang của trường")
                        .status())
                .isEqualTo(200);
        nav("appeals");
        WebElement accept = wait.until(d -> d.findElement(By.cssSelector("#appeals-table button.accept")));
        assertThat(browser.findElement(By.cssSelector("#appeals-table tbody")).getText())
                .contains("feed-16.example")
                .contains("Trang của trường");
        accessibility.addAll(axe("appeals with a pending appeal"));
        accept.click();
        confirm("school's own site");
        waitForNotice("feed-16.example");
        JsonNode explained =
                app.admin("GET", "/api/v1/explain?name=feed-16.example", null).json();
        assertThat(explained.path("decision").asText()).isEqualTo("allowed");
        assertThat(digShort(app.dns, "feed-16.example")).isNotEqualTo("127.0.0.1");
    }

    private void acceptAReport(AdminTestAppliance app) throws Exception {
        assertThat(app.blockPageForm(
                                "/report",
                                "vi",
                                "domain",
                                "https://vi-dien-tu-gia.example/nap-tien",
                                "category",
                                "phishing",
                                "description",
                                "<img src=x onerror=alert(1)> đòi mã OTP")
                        .status())
                .isEqualTo(200);
        nav("reports");
        WebElement accept = wait.until(d -> d.findElement(By.cssSelector("#reports-table button.accept")));
        String row = browser.findElement(By.cssSelector("#reports-table tbody")).getText();
        assertThat(row).contains("vi-dien-tu-gia.example").contains("<img src=x onerror=alert(1)> đòi mã OTP");
        assertThat(browser.findElements(By.cssSelector("#reports-table img")))
                .as("shown as text")
                .isEmpty();
        new Select(browser.findElement(By.cssSelector("#reports-table select.report-category")))
                .selectByValue("phishing");
        screenshot("reports");
        accessibility.addAll(axe("reports with an open report"));
        accept.click();
        confirm(null);
        waitForNotice("vi-dien-tu-gia.example");
        assertThat(digShort(app.dns, "www.vi-dien-tu-gia.example")).isEqualTo("127.0.0.1");
        assertThat(browser.findElement(By.cssSelector("#report-months tbody")).getText())
                .contains("1");
    }

    private void switchTheLanguage() throws IOException {
        assertThat(browser.findElement(By.id("nav-overview")).getText()).isEqualTo("Tổng quan");
        browser.findElement(By.id("lang-toggle")).click();
        wait.until(d -> d.findElement(By.id("nav-overview")).getText().equals("Overview"));
        assertThat(browser.findElement(By.tagName("html")).getAttribute("lang")).isEqualTo("en");
        assertThat(browser.findElement(By.id("nav-reports")).getText()).isEqualTo("Citizen reports");
        wait.until(d ->
                d.findElement(By.cssSelector("#reports-table thead")).getText().contains("Domain"));
        screenshot("reports-en");
        browser.findElement(By.id("lang-toggle")).click();
        wait.until(d -> d.findElement(By.id("nav-overview")).getText().equals("Tổng quan"));
    }

    private void auditLogAndAccessibility() throws Exception {
        nav("audit");
        wait.until(d ->
                d.findElement(By.cssSelector("#audit-table tbody")).getText().contains("report.accept"));
        String audit = browser.findElement(By.cssSelector("#audit-table tbody")).getText();
        assertThat(audit).contains("appeal.accept").contains("source.approve").contains("entries.import");
        screenshot("audit");
        // The explain box on every page.
        browser.findElement(By.id("explain-name")).sendKeys("www.console-scam.example");
        browser.findElement(By.cssSelector("#explain-form button")).click();
        wait.until(d -> d.findElement(By.id("explain-result")).isDisplayed());
        assertThat(browser.findElement(By.id("explain-result")).getText())
                .contains("bị chặn")
                .contains("giả mạo")
                .contains("hotline report");
        for (String view : List.of(
                "overview",
                "entries",
                "allowlist",
                "categories",
                "sources",
                "appeals",
                "reports",
                "profiles",
                "tokens",
                "audit",
                "system")) {
            nav(view);
            accessibility.addAll(axe(view));
        }
        assertThat(accessibility).as("axe-core serious or critical violations").isEmpty();
    }

    private void aViewerSeesNoWriteControls(AdminTestAppliance app) throws Exception {
        String viewer = app.admin("POST", "/api/v1/tokens", "{\"name\":\"school board\",\"role\":\"viewer\"}")
                .json()
                .path("token")
                .asText();
        app.blockPageForm("/report", "en", "domain", "another-scam.example", "category", "scam");
        browser.findElement(By.id("logout")).click();
        wait.until(d -> d.findElement(By.id("login")).isDisplayed());
        browser.findElement(By.id("token")).clear();
        browser.findElement(By.id("token")).sendKeys(viewer, Keys.ENTER); // the keyboard alone signs in
        wait.until(d -> d.findElement(By.id("who")).getText().contains("school board"));
        assertThat(browser.findElement(By.id("nav-tokens")).isDisplayed()).isFalse();
        nav("entries");
        assertThat(browser.findElement(By.id("entry-add-form")).isDisplayed()).isFalse();
        assertThat(browser.findElement(By.id("entry-upload-form")).isDisplayed())
                .isFalse();
        wait.until(
                d -> d.findElement(By.cssSelector("#entries tbody")).getText().contains("console-scam.example"));
        nav("reports");
        wait.until(d ->
                d.findElement(By.cssSelector("#reports-table tbody")).getText().contains("another-scam.example"));
        nav("categories");
        wait.until(d -> !d.findElements(By.cssSelector("#categories tbody tr")).isEmpty());
        for (String view : List.of("entries", "allowlist", "categories", "sources", "appeals", "reports", "profiles")) {
            nav(view);
            List<WebElement> writes = browser.findElements(
                    By.cssSelector("#view-" + view + " button.accept, #view-" + view + " button.reject, #view-" + view
                            + " button.danger, #view-" + view + " select:not(#appeal-status):not(#report-status)"));
            assertThat(writes.stream().filter(WebElement::isDisplayed).toList())
                    .as(view)
                    .isEmpty();
        }
        assertThat(browser.findElement(By.id("audit-export")).isDisplayed()).isFalse();
        screenshot("viewer");

        // On a phone's screen: nothing wider than the screen but the tables' own scrolling.
        browser.manage().window().setSize(new Dimension(390, 844));
        nav("overview");
        wait.until(d -> !d.findElement(By.id("queries")).getText().equals("–"));
        Object overflow = ((JavascriptExecutor) browser)
                .executeScript("return document.documentElement.scrollWidth - window.innerWidth;");
        assertThat(((Number) overflow).intValue())
                .as("horizontal overflow on a phone")
                .isLessThanOrEqualTo(0);
        screenshot("phone");
        assertThat(axe("phone")).isEmpty();
    }

    // --- helpers -------------------------------------------------------------------------------

    private void nav(String view) {
        browser.findElement(By.id("nav-" + view)).click();
        wait.until(d -> d.findElement(By.id("view-" + view)).isDisplayed());
        wait.until(d -> "page".equals(d.findElement(By.id("nav-" + view)).getAttribute("aria-current")));
    }

    private void confirm(String note) {
        wait.until(d -> d.findElement(By.id("confirm-dialog")).isDisplayed());
        if (note != null) {
            browser.findElement(By.id("confirm-note")).sendKeys(note);
        }
        browser.findElement(By.id("confirm-ok")).click();
        wait.until(d -> !d.findElement(By.id("confirm-dialog")).isDisplayed());
    }

    /** Waits for the console to say it did something ({@code containing}); a timeout says what error it showed instead. */
    private void waitForNotice(String containing) {
        try {
            wait.until(d -> d.findElement(By.id("notice")).getText().contains(containing));
        } catch (TimeoutException e) {
            throw new AssertionError(
                    "the console did not say '" + containing + "'; its error line: "
                            + browser.findElement(By.id("error")).getText(),
                    e);
        }
        assertThat(browser.findElement(By.id("error")).getText()).isEmpty();
    }

    /** axe-core (from its Maven Central jar) on the page as it is: serious and critical violations as text. */
    @SuppressWarnings("unchecked")
    private List<String> axe(String view) throws IOException {
        String script;
        try (InputStream in = ConsoleBrowserTest.class.getResourceAsStream("/axe.min.js")) {
            assertThat(in).as("axe.min.js on the test classpath").isNotNull();
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        JavascriptExecutor js = (JavascriptExecutor) browser;
        js.executeScript(script);
        browser.manage().timeouts().scriptTimeout(Duration.ofSeconds(60));
        Object result = js.executeAsyncScript("const done = arguments[arguments.length - 1];"
                + "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations.map(v =>"
                + " ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))))"
                + ".catch(e => done([{id: 'axe-failed', impact: 'critical', help: String(e), nodes: []}]));");
        List<String> out = new ArrayList<>();
        for (Map<String, Object> v : (List<Map<String, Object>>) result) {
            if ("serious".equals(v.get("impact")) || "critical".equals(v.get("impact"))) {
                out.add(view + ": " + v.get("id") + " (" + v.get("impact") + "): " + v.get("help") + " "
                        + v.get("nodes"));
            }
        }
        return out;
    }

    private void screenshot(String name) throws IOException {
        byte[] png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
        Path shot = Path.of("target", "console-" + name + ".png");
        Files.createDirectories(shot.getParent());
        Files.write(shot, png);
        assertThat(png.length).isGreaterThan(10_000);
        assertThat(List.of(png[1], png[2], png[3])).containsExactly((byte) 'P', (byte) 'N', (byte) 'G');
    }

    private static String digShort(InetSocketAddress server, String name) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(
                        "dig",
                        "@" + server.getAddress().getHostAddress(),
                        "-p",
                        String.valueOf(server.getPort()),
                        "+time=3",
                        "+tries=1",
                        "+short",
                        name,
                        "A")
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    private ChromeOptions options(Path chromium) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(chromium.toFile());
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1280,1400",
                "--lang=vi",
                "--user-data-dir=" + dir.resolve("chromium-profile"));
        return options;
    }

    private static ChromeDriverService service(Path chromedriver) {
        return new ChromeDriverService.Builder()
                .usingDriverExecutable(chromedriver.toFile())
                .usingAnyFreePort()
                .build();
    }
}
