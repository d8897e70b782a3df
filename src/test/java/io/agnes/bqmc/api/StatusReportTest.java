package io.agnes.bqmc.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agnes.bqmc.cache.CachedTables;
import io.agnes.bqmc.cache.KeptTables;
import io.agnes.bqmc.history.RunHistory;
import io.agnes.bqmc.support.Engine;
import io.agnes.bqmc.support.MovableClock;
import io.agnes.bqmc.support.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Contract section 7 on both engines: every remote BigQuery row with its freshness, lists as
 * JSON arrays ({@code []} for none), timestamps in ISO-8601 UTC with {@code +00:00} exactly as
 * stored; the kept rows ({@link KeptTables}) exact at every answer: a write by anyone shows at
 * once, a table turns stale with time alone; and an estate over the memory budget, read from the
 * database instead, answers the same bytes.
 */
@ParameterizedClass
@EnumSource(Engine.class)
class StatusReportTest {

    @Parameter
    Engine engine;

    @TempDir
    Path dir;

    static final Instant T0 = Instant.parse("2026-11-27T10:00:00Z");

    @Test
    void verdictsListsAndTimesAndTheirReuse() throws Exception {
        try (TestDatabase db = TestDatabase.open(engine, dir)) {
            db.update("INSERT INTO table_registry (id, name, source_type, query_mode) VALUES"
                    + " ('a', 'a', 'bigquery', 'remote'), ('b', 'b', 'bigquery', 'remote'), ('c', 'c', 'bigquery', 'remote'),"
                    + " ('local', 'local', 'csv', 'local'), ('other', 'other', 'keboola', 'remote')");
            db.update("INSERT INTO bq_metadata_cache (table_id, \"rows\", size_bytes, partition_by, clustered_by, entity_type,"
                    + " known_columns, refreshed_at) VALUES ('a', 9007199254740993, 5, 'day', " + db.dialect().jsonParam()
                    + ", 'BASE TABLE', " + db.dialect().jsonParam() + ", " + db.ts() + ")",
                    "[\"region\", \"day\"]", "[\"region\",\"day\",\"ü\"]", T0.plusMillis(123));
            db.update("INSERT INTO bq_metadata_cache (table_id, refreshed_at) VALUES ('c', " + db.ts() + ")",
                    T0.minus(Duration.ofHours(1)));
            MovableClock clock = new MovableClock(T0.plusSeconds(60));
            Duration threshold = Duration.ofSeconds(120);
            CachedTables cached = new CachedTables(db.dataSource(), threshold);
            java.util.concurrent.ScheduledExecutorService deadlines = java.util.concurrent.Executors
                    .newSingleThreadScheduledExecutor();
            StatusReport kept = new StatusReport(cached, new KeptTables(cached, Long.MAX_VALUE),
                    new RunHistory(db.dataSource()), 60, threshold, clock, deadlines);
            StatusReport overBudget = new StatusReport(cached, new KeptTables(cached, 1),
                    new RunHistory(db.dataSource()), 60, threshold, clock, deadlines);
            ObjectMapper json = new ObjectMapper();
            // each answer from the kept rows is byte for byte the one read from the database
            java.util.concurrent.Callable<byte[]> report = () -> {
                byte[] answer = kept.render();
                assertThat(new String(answer, java.nio.charset.StandardCharsets.UTF_8))
                        .isEqualTo(new String(overBudget.render(), java.nio.charset.StandardCharsets.UTF_8));
                return answer;
            };

            String first = new String(report.call(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(first).startsWith("{\"scheduler_interval_seconds\":60,\"fresh_threshold_seconds\":120,"
                    + "\"server_time\":\"2026-11-27T10:01:00.000000+00:00\",\"tables\":[");
            assertThat(first).contains("{\"table_id\":\"a\",\"refreshed_at\":\"2026-11-27T10:00:00.123000+00:00\","
                    + "\"rows\":9007199254740993,\"size_bytes\":5,\"partition_by\":\"day\",\"clustered_by\":[\"region\",\"day\"],"
                    + "\"entity_type\":\"BASE TABLE\",\"known_columns\":[\"region\",\"day\",\"ü\"],\"error_at\":null,"
                    + "\"error_msg\":null,\"freshness\":\"fresh\"}");
            assertThat(first).endsWith(",\"last_runs\":[]}");
            JsonNode tables = json.readTree(first).get("tables");
            assertThat(tables).hasSize(3);
            assertThat(tables.get(1).get("freshness").asText()).isEqualTo("never_fetched");
            assertThat(tables.get(1).get("clustered_by").toString()).isEqualTo("[]");
            assertThat(tables.get(1).get("known_columns").toString()).isEqualTo("[]");
            assertThat(tables.get(2).get("freshness").asText()).isEqualTo("stale");
            assertThat(tables.get(2).get("refreshed_at").asText()).isEqualTo("2026-11-27T09:00:00.000000+00:00");

            // a write made behind the service's back shows at once
            db.update("INSERT INTO bq_metadata_cache (table_id, error_at, error_msg) VALUES ('b', " + db.ts() + ", 'boom')",
                    T0.plusSeconds(30));
            JsonNode second = json.readTree(report.call());
            assertThat(second.get("tables").get(1).get("freshness").asText()).isEqualTo("error");
            assertThat(second.get("tables").get(1).get("error_at").asText()).isEqualTo("2026-11-27T10:00:30.000000+00:00");
            assertThat(second.get("tables").get(1).get("error_msg").asText()).isEqualTo("boom");

            // time alone: 'a' turns stale 120 s after its refresh, with no write at all
            clock.set(T0.plusSeconds(120));
            assertThat(json.readTree(report.call()).get("tables").get(0).get("freshness").asText()).isEqualTo("fresh");
            clock.set(T0.plusSeconds(121));
            JsonNode later = json.readTree(report.call());
            assertThat(later.get("tables").get(0).get("freshness").asText()).isEqualTo("stale");
            assertThat(later.get("server_time").asText()).isEqualTo("2026-11-27T10:02:01.000000+00:00");

            // a table leaving the registry, and one joining it: the count and the versions both move
            db.update("DELETE FROM table_registry WHERE id = 'c'");
            db.update("INSERT INTO table_registry (id, name, source_type, query_mode) VALUES ('d', 'd', 'bigquery', 'remote')");
            JsonNode moved = json.readTree(report.call()).get("tables");
            assertThat(moved.findValuesAsText("table_id")).containsExactly("a", "b", "d");
            deadlines.shutdownNow();
        }
    }
}
