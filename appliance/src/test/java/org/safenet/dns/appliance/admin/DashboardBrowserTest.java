package org.safenet.dns.appliance.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.safenet.dns.testkit.Peers;
import org.safenet.dns.testkit.ScriptedAuthServer;

/**
 * The dashboard in Debian's headless Chromium: the sign-in form, then the totals after known
 * traffic, the top blocked names, the chart (Chart.js loaded from the appliance under its
 * Content-Security-Policy) and the sources. A screenshot goes to {@code
 * target/dashboard-screenshot.png}.
 */
class DashboardBrowserTest {
    @TempDir
    Path dir;

    @Test
    void theDashboardShowsTheTotalsAfterTraffic() throws Exception {
        Path chromium = Peers.require("chromium", "chromium");
        Path chromedriver = Peers.require("chromedriver", "chromium-driver");
        try (ScriptedAuthServer upstream = ScriptedAuthServer.start();
                AdminTestAppliance app = AdminTestAppliance.start(dir, upstream.hostPort(), "")) {
            app.admin("POST", "/api/v1/entries", "{\"name\":\"dash-scam.example\",\"category\":\"scam\"}");
            for (int i = 0; i < 4; i++) {
                app.query("127.0.4." + (i + 1), "www.dash-scam.example");
            }
            for (int i = 0; i < 3; i++) {
                app.query("127.0.4.9", "nothing-here.example.org");
            }

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
                    "--user-data-dir=" + dir.resolve("chromium-profile"));
            ChromeDriverService service = new ChromeDriverService.Builder()
                    .usingDriverExecutable(chromedriver.toFile())
                    .usingAnyFreePort()
                    .build();
            WebDriver browser = new ChromeDriver(service, options);
            try {
                browser.get(app.base.toString() + "/");
                WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));
                wait.until(d -> d.findElement(By.id("login")).isDisplayed());
                browser.findElement(By.id("token")).sendKeys("not-a-token");
                browser.findElement(By.cssSelector("#login-form button")).click();
                wait.until(d -> !d.findElement(By.id("login-error")).getText().isEmpty());
                assertThat(browser.findElement(By.id("dashboard")).isDisplayed())
                        .isFalse();

                browser.findElement(By.id("token")).clear();
                browser.findElement(By.id("token")).sendKeys(app.adminToken);
                browser.findElement(By.cssSelector("#login-form button")).click();
                wait.until(d -> d.findElement(By.id("queries")).getText().equals("7"));
                assertThat(browser.findElement(By.id("blocked")).getText()).isEqualTo("4");
                assertThat(browser.findElement(By.id("protected")).getText()).isEqualTo("4");
                assertThat(browser.findElement(By.id("clients")).getText()).isEqualTo("5");
                wait.until(d -> d.findElement(By.cssSelector("#top-blocked tbody"))
                        .getText()
                        .contains("www.dash-scam.example"));
                assertThat(browser.findElement(By.cssSelector("#by-category tbody"))
                                .getText())
                        .contains("scam");
                Object chartType = ((JavascriptExecutor) browser).executeScript("return typeof Chart;");
                assertThat(chartType).isEqualTo("function");
                Object tokenKept =
                        ((JavascriptExecutor) browser).executeScript("return sessionStorage.getItem('safenet-token');");
                assertThat(tokenKept).isEqualTo(app.adminToken);

                byte[] png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
                Path shot = Path.of("target", "dashboard-screenshot.png");
                Files.createDirectories(shot.getParent());
                Files.write(shot, png);
                assertThat(png.length).isGreaterThan(10_000);
                assertThat(List.of(png[1], png[2], png[3])).containsExactly((byte) 'P', (byte) 'N', (byte) 'G');
            } finally {
                browser.quit();
            }
        }
    }
}
