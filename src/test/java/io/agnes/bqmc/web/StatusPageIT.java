package io.agnes.bqmc.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.auth.Role;
import io.agnes.bqmc.auth.TokenIssuer;
import io.agnes.bqmc.support.Browser;
import io.agnes.bqmc.support.ChildService;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The status page in a real headless Chromium, against the jar and a BigQuery stand-in of 300
 * tables that answers after 30 ms: sign in with a token, see the counts, filter to errors,
 * start a run, watch the bar reach 100% and the verdicts change; an analyst sees no Run button
 * and is refused if it tries; no console errors; no serious accessibility violations (axe-core);
 * usable 360 px wide; the Content-Security-Policy as strict as said. Screenshots go to
 * target/screenshots.
 */
class StatusPageIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path SHOTS = Path.of("target", "screenshots");

    @TempDir
    Path dir;

    @Test
    void anAdminWatchesARunAndAnAnalystOnlyLooks() throws Exception {
        WireMockServer bigQuery = WireMocks.startBigQuery();
        WireMocks.serveAnyTable(bigQuery, 1234, 567_890, 30);
        WireMocks.serveError(bigQuery, "test-project", "ds", "t7", 403, "accessDenied", "Access Denied: Table t7");
        WireMocks.serveError(bigQuery, "test-project", "ds", "t42", 403, "accessDenied", "Access Denied: Table t42");
        String admin = TokenIssuer.issue(dir.resolve("tokens"), "ana@example.com", Role.ADMIN, null);
        String analyst = TokenIssuer.issue(dir.resolve("tokens"), "bo@example.com", Role.ANALYST, null);
        TestService.seedRemoteTables(dir.resolve("system.duckdb"), 300);
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        int port = Integer.parseInt(env.get("PORT"));
        String page = "http://127.0.0.1:" + port + "/";
        Files.createDirectories(SHOTS);
        ChromeDriver browser = null;
        try (ChildService service = ChildService.start(env, dir.resolve("service.log"))) {
            service.awaitHttp(port, Duration.ofSeconds(60));
            browser = Browser.start(1280, 1000);
            WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30));

            // the page: a strict policy, no token in it, a sign-in form
            HttpResponse<String> raw = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(page)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(raw.headers().firstValue("Content-Security-Policy").orElseThrow())
                    .contains("default-src 'none'", "script-src 'self'", "connect-src 'self'").doesNotContain("unsafe");
            assertThat(raw.body()).doesNotContain("<script>").doesNotContain("onclick");

            browser.get(page);
            WebElement tokenField = wait.until(d -> visible(d, "token"));
            tokenField.sendKeys(admin);
            browser.findElement(By.cssSelector("#token-form button[type=submit]")).click();
            wait.until(d -> count(d, "never_fetched") == 300);
            assertThat(browser.findElement(By.id("whoami")).getText()).isEqualTo("Signed in as ana@example.com (admin)");
            assertThat(script(browser, "return sessionStorage.getItem('bqmc.token')")).isEqualTo(admin);
            assertThat(browser.getCurrentUrl()).doesNotContain(admin);

            // filter to errors: none yet
            new Select(browser.findElement(By.id("verdict"))).selectByValue("error");
            wait.until(d -> d.findElement(By.id("shown")).getText().equals("0 of 300 tables shown"));

            // a run: the bar fills to 100%, then the verdicts change
            browser.findElement(By.id("run-now")).click();
            wait.until(d -> d.findElement(By.id("progress-box")).isDisplayed()
                    && ((Number) script(d, "return document.getElementById('progress').value")).intValue() > 0);
            shot(browser, "run-in-flight");
            wait.until(d -> ((Number) script(d, "return document.getElementById('progress').value")).intValue() == 100);
            wait.until(d -> count(d, "fresh") == 298);
            assertThat(count(browser, "error")).isEqualTo(2);
            assertThat(browser.findElement(By.id("progress-text")).getText()).startsWith("Run ").contains("finished: 298 ok");
            wait.until(d -> d.findElement(By.id("shown")).getText().equals("2 of 300 tables shown"));
            List<WebElement> rows = browser.findElements(By.cssSelector("#tables tbody tr"));
            assertThat(rows).extracting(r -> r.getAttribute("data-table-id")).containsExactly("t42", "t7");
            assertThat(rows.get(0).getText()).contains("Access Denied: Table t42");

            // search, sort, and one table refreshed from its row
            new Select(browser.findElement(By.id("verdict"))).selectByValue("");
            browser.findElement(By.id("search")).sendKeys("t29");
            wait.until(d -> d.findElement(By.id("shown")).getText().equals("11 of 300 tables shown"));
            browser.findElement(By.cssSelector("th button[data-sort=table_id]")).click();
            wait.until(d -> "descending".equals(d.findElement(By.cssSelector("th[aria-sort]")).getAttribute("aria-sort")));
            assertThat(browser.findElement(By.cssSelector("#tables tbody tr")).getAttribute("data-table-id")).isEqualTo("t299");
            browser.findElement(By.cssSelector("button[aria-label='Refresh t29']")).click();
            wait.until(d -> d.findElement(By.id("app-error")).getText().isEmpty()
                    && d.findElement(By.cssSelector("tr[data-table-id=t29] td:nth-child(5)")).getText().endsWith("s ago"));
            browser.findElement(By.id("search")).clear();
            browser.findElement(By.id("search")).sendKeys(" ");
            wait.until(d -> d.findElement(By.id("shown")).getText().equals("300 of 300 tables shown"));
            browser.findElement(By.cssSelector("th button[data-sort=freshness]")).click();
            script(browser, "window.scrollTo(0, 0); document.activeElement.blur()");
            shot(browser, "status-page");

            assertThat(severe(browser)).as("console errors").isEmpty();
            assertThat(accessibility(browser)).as("serious or critical accessibility violations").isEmpty();

            // 360 px wide: nothing wider than the screen (the table scrolls in its own box)
            browser.manage().window().setSize(new Dimension(360, 800));
            wait.until(d -> ((Number) script(d, "return window.innerWidth")).intValue() <= 360);
            assertThat(((Number) script(browser, "return document.documentElement.scrollWidth")).intValue())
                    .as("too wide: %s", script(browser, "return [...document.querySelectorAll('body *')]"
                            + ".filter(e => e.getBoundingClientRect().right > window.innerWidth && !e.closest('.scroll'))"
                            + ".map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"
                            + ".join(', ')"))
                    .isLessThanOrEqualTo(((Number) script(browser, "return window.innerWidth")).intValue());
            shot(browser, "narrow");
            browser.manage().window().setSize(new Dimension(1280, 1000));

            // an analyst: no Run button, and refused if it tries anyway
            browser.findElement(By.id("sign-out")).click();
            wait.until(d -> visible(d, "token")).sendKeys(analyst);
            browser.findElement(By.cssSelector("#token-form button[type=submit]")).click();
            wait.until(d -> d.findElement(By.id("whoami")).getText().endsWith("(analyst)"));
            wait.until(d -> count(d, "fresh") == 298);
            assertThat(browser.findElement(By.id("run-now")).isDisplayed()).isFalse();
            assertThat(browser.findElements(By.cssSelector(".row-refresh"))).isEmpty();
            Object tried = browser.executeAsyncScript("const done = arguments[arguments.length - 1];"
                    + " fetch('/api/admin/run-bq-metadata-refresh', {method: 'POST', headers: {Authorization: 'Bearer '"
                    + " + sessionStorage.getItem('bqmc.token')}}).then(r => done(r.status));");
            assertThat(((Number) tried).intValue()).isEqualTo(403);
            assertThat(severe(browser)).as("only the refusal asked for")
                    .allMatch(m -> m.contains("run-bq-metadata-refresh") && m.contains("403"));
        } finally {
            if (browser != null) {
                browser.quit();
            }
            bigQuery.stop();
        }
    }

    private static WebElement visible(WebDriver d, String id) {
        WebElement e = d.findElement(By.id(id));
        return e.isDisplayed() ? e : null;
    }

    /** Read in one step in the page: the counts are re-rendered as a run goes, and an element found may be gone when read. */
    private static long count(WebDriver d, String verdict) {
        Object n = script(d, "const e = document.querySelector('#counts li[data-verdict=" + verdict + "] .n');"
                + " return e ? e.textContent.trim() : null;");
        return n == null ? -1 : Long.parseLong(n.toString());
    }

    private static Object script(WebDriver d, String js) {
        return ((JavascriptExecutor) d).executeScript(js);
    }

    private static List<String> severe(ChromeDriver browser) {
        return browser.manage().logs().get("browser").getAll().stream().filter(e -> e.getLevel().intValue()
                >= Level.SEVERE.intValue()).map(LogEntry::getMessage).toList();
    }

    /** axe-core's violations of impact serious or critical, as "rule: nodes". */
    private static List<String> accessibility(ChromeDriver browser) throws Exception {
        browser.executeScript(Browser.axe());
        Object result = browser.executeAsyncScript("const done = arguments[arguments.length - 1];"
                + " axe.run(document, {resultTypes: ['violations']}).then(r => done(JSON.stringify(r.violations)));");
        JsonNode violations = JSON.readTree((String) result);
        List<String> serious = new java.util.ArrayList<>();
        for (JsonNode v : violations) {
            String impact = v.path("impact").asText();
            if (impact.equals("serious") || impact.equals("critical")) {
                serious.add(v.get("id").asText() + " (" + impact + "): " + v.get("nodes").size() + " node(s), e.g. "
                        + v.get("nodes").get(0).path("html").asText());
            }
        }
        return serious;
    }

    private static void shot(ChromeDriver browser, String name) throws Exception {
        Path file = browser.getScreenshotAs(OutputType.FILE).toPath();
        Files.copy(file, SHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }
}
