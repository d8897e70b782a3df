package io.agnes.bqmc.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.auth.Role;
import io.agnes.bqmc.auth.TokenIssuer;
import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.Promtool;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/grafana's dashboard asks only what the service answers: every query of every panel is
 * evaluated by promtool over the service's own metrics, scraped from a running service after a
 * run (with an error, a 429 and a refused caller), and must return data. A query naming a metric
 * the service does not export, or a label it does not have, fails here.
 */
class DashboardTest {

    private static final Path DASHBOARD = Path.of("deploy/grafana/bq-metadata-cache.json");
    private static final Pattern SAMPLE = Pattern.compile("^(bqmc_[a-zA-Z0-9_]*)(\\{[^}]*\\})?\\s+(\\S+)$");

    @TempDir
    Path dir;

    @Test
    void everyPanelsQueryReturnsDataFromTheServicesOwnMetrics() throws Exception {
        List<String> queries = queries();
        assertThat(queries).as("panels with queries").hasSizeGreaterThanOrEqualTo(10);

        WireMockServer bigQuery = WireMocks.startBigQuery();
        WireMocks.serveTable(bigQuery, "test-project", "ds", "ok", 5, 50);
        WireMocks.serveError(bigQuery, "test-project", "ds", "denied", 403, "accessDenied", "Access Denied: Table");
        WireMocks.serveError(bigQuery, "test-project", "ds", "busy", 429, "rateLimitExceeded", "Exceeded rate limits");
        String admin = TokenIssuer.issue(dir.resolve("tokens"), "ana@example.com", Role.ADMIN, null);
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        env.put("BIGQUERY_MAX_ATTEMPTS", "2");
        String exposition;
        try (TestService service = TestService.start(env)) {
            for (String t : List.of("ok", "denied", "busy")) {
                service.registerRemote(t, "ds", t);
            }
            ApiClient api = new ApiClient(Integer.parseInt(env.get("PORT")));
            assertThat(api.post("/api/admin/run-bq-metadata-refresh", admin).status()).isEqualTo(200);
            assertThat(api.get("/api/v2/metadata-cache/status", "no-such-token").status()).isEqualTo(401);
            ApiClient management = new ApiClient(Integer.parseInt(env.get("MANAGEMENT_PORT")));
            // the verdicts are read in the background once their reading is 5 s old: wait for one after the run
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20))
                    .pollInterval(java.time.Duration.ofMillis(500))
                    .until(() -> management.get("/observe/metrics", null).body()
                            .contains("bqmc_cache_tables{freshness=\"fresh\"} 1.0"));
            exposition = management.get("/observe/metrics", null).body();
        } finally {
            bigQuery.stop();
        }

        Files.writeString(dir.resolve("dashboard.rules.yml"), rules(queries, false));
        Files.writeString(dir.resolve("dashboard.test.yml"), test(queries, exposition, false));
        Promtool.Result checked = Promtool.run(dir, "check", "rules", "dashboard.rules.yml");
        assertThat(checked.exit()).as(checked.output()).isZero();
        Promtool.Result tested = Promtool.run(dir, "test", "rules", "dashboard.test.yml");
        assertThat(tested.exit()).as("every query returns data:\n" + tested.output()).isZero();

        // the check can fail: a query of a metric the service does not have is caught
        Files.writeString(dir.resolve("dashboard.rules.yml"), rules(queries, true));
        Files.writeString(dir.resolve("dashboard.test.yml"), test(queries, exposition, true));
        Promtool.Result control = Promtool.run(dir, "test", "rules", "dashboard.test.yml");
        assertThat(control.exit()).as(control.output()).isNotZero();
        assertThat(control.output()).contains("Query" + queries.size());
    }

    /** Every panel's every query, with the dashboard's variables as "All" (any job) puts them. */
    static List<String> queries() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        List<String> out = new ArrayList<>();
        for (JsonNode panel : dashboard.get("panels")) {
            for (JsonNode target : panel.path("targets")) {
                out.add(target.get("expr").asText().replace("$job", ".*"));
            }
        }
        return out;
    }

    /** An alert per query that fires when the query returns nothing ({@code absent}). */
    private static String rules(List<String> queries, boolean withMissing) {
        StringBuilder s = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        List<String> all = new ArrayList<>(queries);
        if (withMissing) {
            all.add("sum(rate(bqmc_no_such_metric_total[5m]))");
        }
        for (int i = 0; i < all.size(); i++) {
            s.append("      - alert: Query").append(i).append("\n        expr: 'absent(")
                    .append(all.get(i).replace("'", "''")).append(")'\n");
        }
        return s.toString();
    }

    /** The scraped samples as series over 20 minutes (counters growing), and no alert expected at 10 m. */
    private static String test(List<String> queries, String exposition, boolean withMissing) {
        Map<String, String> series = new LinkedHashMap<>();
        for (String line : exposition.lines().toList()) {
            Matcher m = SAMPLE.matcher(line.strip());
            if (!m.matches()) {
                continue;
            }
            double value;
            try {
                value = Double.parseDouble(m.group(3));
            } catch (NumberFormatException e) {
                continue;
            }
            if (!Double.isFinite(value)) {
                continue;
            }
            String name = m.group(1);
            boolean counter = name.endsWith("_total") || name.endsWith("_count") || name.endsWith("_sum")
                    || name.endsWith("_bucket");
            series.put(name + (m.group(2) == null ? "" : m.group(2)),
                    counter ? "0+" + Math.max(value, 1) + "x20" : value + "x20");
        }
        StringBuilder s = new StringBuilder("rule_files:\n  - dashboard.rules.yml\nevaluation_interval: 1m\ntests:\n"
                + "  - interval: 1m\n    input_series:\n");
        series.forEach((name, values) -> s.append("      - series: '").append(name.replace("'", "''"))
                .append("'\n        values: '").append(values).append("'\n"));
        s.append("    alert_rule_test:\n");
        for (int i = 0; i < queries.size() + (withMissing ? 1 : 0); i++) {
            s.append("      - eval_time: 10m\n        alertname: Query").append(i).append("\n        exp_alerts: []\n");
        }
        return s.toString();
    }
}
