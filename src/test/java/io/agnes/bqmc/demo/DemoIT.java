package io.agnes.bqmc.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.ChildService;
import io.agnes.bqmc.support.FreePorts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command: {@code --demo} registers its sample tables and its first run, the
 * timer's a few seconds after start, refreshes every one of them. (The registry file the demo
 * writes at start is new each time: the first run had found none while the importer waited for
 * it to stand still.)
 */
class DemoIT {

    private static final Pattern TOKEN = Pattern.compile("admin token\\s+: (\\S+)");
    private static final Pattern RUN = Pattern.compile("bq metadata refresh: run_id=\\S+ total=(\\d+) ok=(\\d+)");

    @TempDir
    Path dir;

    @Test
    void theFirstRunRefreshesEverySampleTable() throws Exception {
        int port = FreePorts.next();
        Path log = dir.resolve("demo.log");
        Map<String, String> env = Map.of("PORT", Integer.toString(port), "MANAGEMENT_PORT",
                Integer.toString(FreePorts.next()));
        try (ChildService demo = ChildService.startIn(dir, env, log, "--demo")) {
            demo.awaitHttp(port, Duration.ofSeconds(90));
            Matcher token = TOKEN.matcher(Files.readString(log));
            assertThat(token.find()).as("the demo prints an admin token").isTrue();

            Matcher run = RUN.matcher("");
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> run.reset(Files.readString(log)).find());
            ApiClient.Answer status = new ApiClient(port).get("/api/v2/metadata-cache/status", token.group(1));
            assertThat(status.status()).isEqualTo(200);
            int tables = status.json().get("tables").size();
            assertThat(tables).as("sample tables registered").isPositive();
            assertThat(Integer.parseInt(run.group(1))).as("tables in the first run").isEqualTo(tables);
            assertThat(Files.exists(dir.resolve("data/demo/system.duckdb"))).as("the demo's files in its own directory")
                    .isTrue();

            // the status page's address, printed, and the page there
            assertThat(Files.readString(log)).contains("status page       : http://localhost:" + port + "/");
            ApiClient.Answer page = new ApiClient(port).get("/", null);
            assertThat(page.status()).isEqualTo(200);
            assertThat(page.header("Content-Type")).startsWith("text/html");
            assertThat(page.body()).contains("<script src=\"/ui/app.js\" defer></script>");

            // the printed change command: BigQuery's change, pushed as Pub/Sub would, fresh without a run
            Matcher change = CHANGE.matcher(Files.readString(log));
            assertThat(change.find()).as("the demo prints its change command").isTrue();
            long before = rows(port, token.group(1), "orders");
            java.net.http.HttpResponse<String> pushed = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(change.group(1)))
                            .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(pushed.statusCode()).as(pushed.body()).isEqualTo(200);
            assertThat(pushed.body()).contains("\"outcome\":\"queued\"");
            await().atMost(Duration.ofSeconds(20)).until(() -> rows(port, token.group(1), "orders") == before + 100);
        }
    }

    private static final Pattern CHANGE = Pattern.compile("curl -s -X POST '(http://127\\.0\\.0\\.1:\\d+/demo/change\\?table=agnes-demo\\.sales\\.orders)'");

    private static long rows(int port, String token, String table) {
        ApiClient.Answer status = new ApiClient(port).get("/api/v2/metadata-cache/status?table=" + table, token);
        return status.json().get("tables").get(0).path("rows").asLong();
    }
}
