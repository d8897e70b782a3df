package io.agnes.bqmc.reliability;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.support.BigQueryJson;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** 500 tables, about 10% of them failing in every way BigQuery can: the run completes and adds up. */
class MixedRunTest {

    static final String P = "test-project";
    static final int TABLES = 500;

    @TempDir
    Path dir;

    @Test
    void aLargeMixedRunCompletesAndEveryTableIsAccountedFor() throws Exception {
        Map<String, ResponseDefinitionBuilder> faults = new LinkedHashMap<>();
        faults.put("f400", WireMocks.json(400, BigQueryJson.error(400, "invalid", "Invalid")));
        faults.put("f403", WireMocks.json(403, BigQueryJson.error(403, "accessDenied", "Access Denied")));
        faults.put("f404", WireMocks.json(404, BigQueryJson.error(404, "notFound", "Not found")));
        faults.put("f429", WireMocks.json(429, BigQueryJson.error(429, "rateLimitExceeded", "Slow down")));
        faults.put("f500", WireMocks.json(500, BigQueryJson.error(500, "internalError", "Internal")));
        faults.put("f503", WireMocks.json(503, BigQueryJson.error(503, "backendError", "Backend")));
        faults.put("fmalformed", WireMocks.json(200, "{\"kind\":"));
        faults.put("freset", aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));
        faults.put("fslow", WireMocks.json(200, BigQueryJson.baseTable(P, "ds", "x", 1, 1, "a")).withFixedDelay(1500));

        WireMockServer bigQuery = WireMocks.startBigQuery();
        bigQuery.stubFor(get(urlPathMatching("/bigquery/v2/projects/" + P + "/datasets/ds/tables/ok_.*"))
                .willReturn(WireMocks.json(200, BigQueryJson.baseTable(P, "ds", "{{request.pathSegments.[7]}}", 3, 30, "a",
                        "b")).withTransformers("response-template")));
        faults.forEach((kind, response) -> bigQuery.stubFor(
                get(urlPathMatching("/bigquery/v2/projects/" + P + "/datasets/ds/tables/" + kind + "_.*"))
                        .willReturn(response)));

        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        env.put("AGNES_BQ_METADATA_REFRESH_CONCURRENCY", "8");
        env.put("BIGQUERY_MAX_ATTEMPTS", "2");
        env.put("BIGQUERY_TIMEOUT_SECONDS", "1");
        try (TestService service = TestService.start(env)) {
            Set<String> remote = new HashSet<>();
            int faulty = 0;
            try (Connection c = service.dataSource().getConnection(); PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO table_registry (id, name, source_type, query_mode, bucket, source_table)"
                            + " VALUES (?, ?, ?, ?, 'ds', ?)")) {
                List<String> kinds = List.copyOf(faults.keySet());
                for (int i = 0; i < TABLES; i++) {
                    // every tenth table fails, cycling through the kinds; a few slow ones only
                    String kind = i % 10 == 0 ? kinds.get((i / 10) % kinds.size()) : "ok";
                    if ("fslow".equals(kind) && i > 200) {
                        kind = "f503";
                    }
                    String id = kind + "_" + i;
                    faulty += "ok".equals(kind) ? 0 : 1;
                    add(ps, id, "bigquery", "remote");
                    remote.add(id);
                }
                add(ps, "local_a", "csv", "local");
                add(ps, "remote_keboola", "keboola", "remote");
                ps.executeBatch();
            }

            RunRecord summary = service.runAll();
            System.out.printf("mixed run: total=%d ok=%d no_data=%d failed=%d duration_ms=%d%n", summary.total(),
                    summary.succeeded(), summary.noData(), summary.failed(), summary.durationMs());

            assertThat(summary.total()).isEqualTo(TABLES);
            int notFound = service.query("SELECT id FROM table_registry WHERE id LIKE 'f404_%'").size();
            assertThat(summary.succeeded()).isEqualTo(TABLES - faulty);
            assertThat(summary.noData()).isEqualTo(notFound);
            assertThat(summary.failed()).isEqualTo(faulty - notFound);
            assertThat(service.query("SELECT table_id FROM bq_metadata_cache WHERE error_msg IS NOT NULL"))
                    .hasSize(faulty);
            Set<String> cached = new HashSet<>();
            service.query("SELECT table_id FROM bq_metadata_cache").forEach(r -> cached.add((String) r.get("table_id")));
            assertThat(cached).as("no row outside the remote registry rows").isEqualTo(remote);
            assertThat(service.query("SELECT table_id FROM bq_metadata_cache WHERE table_id LIKE 'ok_%' AND \"rows\" = 3"))
                    .hasSize(TABLES - faulty);
        } finally {
            bigQuery.stop();
        }
    }

    private static void add(PreparedStatement ps, String id, String sourceType, String queryMode) throws Exception {
        ps.setString(1, id);
        ps.setString(2, id);
        ps.setString(3, sourceType);
        ps.setString(4, queryMode);
        ps.setString(5, id);
        ps.addBatch();
    }
}
