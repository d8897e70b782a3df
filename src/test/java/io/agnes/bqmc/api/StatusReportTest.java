package io.agnes.bqmc.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import io.agnes.bqmc.cache.CacheSchema;
import io.agnes.bqmc.cache.CachedTables;
import io.agnes.bqmc.history.RunHistory;
import io.agnes.bqmc.registry.RegistryTable;
import io.agnes.bqmc.support.MovableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status answer reuses its last rendering only while it is exact: a write by anyone, or
 * a table turning stale with time alone, renders it again.
 */
class StatusReportTest {

    @TempDir
    Path dir;


    @Test
    void reflectsWritesAndTheTurnToStaleAtOnce() throws Exception {
        try (HikariDataSource ds = new HikariDataSource()) {
            ds.setJdbcUrl("jdbc:duckdb:" + dir.resolve("s.duckdb"));
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                RegistryTable.ensure(c);
                CacheSchema.ensure(c);
                RunHistory.ensure(c);
                s.execute("INSERT INTO table_registry (id, name, source_type, query_mode) VALUES"
                        + " ('a', 'a', 'bigquery', 'remote'), ('b', 'b', 'bigquery', 'remote')");
                s.execute("INSERT INTO bq_metadata_cache (table_id, \"rows\", refreshed_at)"
                        + " VALUES ('a', 1, TIMESTAMP '2026-11-27 10:00:00')");
            }
            MovableClock clock = new MovableClock(Instant.parse("2026-11-27T10:01:00Z"));
            // interval 60 s: fresh for 120 s
            Duration threshold = Duration.ofSeconds(120);
            StatusReport report = new StatusReport(new CachedTables(ds, threshold), new RunHistory(ds), 60, threshold,
                    clock);
            ObjectMapper json = new ObjectMapper();

            JsonNode first = json.readTree(report.render());
            assertThat(first.get("tables").get(0).get("freshness").asText()).isEqualTo("fresh");
            assertThat(first.get("tables").get(1).get("freshness").asText()).isEqualTo("never_fetched");
            assertThat(first.get("server_time").asText()).isEqualTo("2026-11-27T10:01:00.000000+00:00");

            // a write made behind the service's back shows at once
            try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
                s.execute("INSERT INTO bq_metadata_cache (table_id, error_at, error_msg)"
                        + " VALUES ('b', TIMESTAMP '2026-11-27 10:00:30', 'boom')");
            }
            JsonNode second = json.readTree(report.render());
            assertThat(second.get("tables").get(1).get("freshness").asText()).isEqualTo("error");
            assertThat(second.get("tables").get(1).get("error_msg").asText()).isEqualTo("boom");

            // time alone: 'a' turns stale 120 s after its refresh, with no write at all
            clock.set(Instant.parse("2026-11-27T10:02:00Z"));
            assertThat(json.readTree(report.render()).get("tables").get(0).get("freshness").asText()).isEqualTo("fresh");
            clock.set(clock.instant().plus(Duration.ofSeconds(1)));
            JsonNode later = json.readTree(report.render());
            assertThat(later.get("tables").get(0).get("freshness").asText()).isEqualTo("stale");
            assertThat(later.get("server_time").asText()).isEqualTo("2026-11-27T10:02:01.000000+00:00");
        }
    }
}
