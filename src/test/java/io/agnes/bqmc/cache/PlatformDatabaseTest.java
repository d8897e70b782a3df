package io.agnes.bqmc.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Contract section 3: an existing Agnes system database opens unchanged and is refreshed in place. */
class PlatformDatabaseTest {

    @TempDir
    Path dir;

    static final String REGISTRY_COLUMNS = "SELECT column_name, data_type FROM information_schema.columns"
            + " WHERE table_name = 'table_registry' ORDER BY ordinal_position";

    @Test
    void opensAPlatformDatabaseWithMoreColumnsAndTables() throws Exception {
        Path db = dir.resolve("system.duckdb");
        try (Connection c = TestService.openDuckDb(db); Statement s = c.createStatement()) {
            s.execute("""
                    CREATE TABLE table_registry (
                        id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, folder VARCHAR, source_type VARCHAR,
                        bucket VARCHAR, source_table VARCHAR, query_mode VARCHAR DEFAULT 'local', bq_fqn VARCHAR,
                        registered_by VARCHAR, registered_at TIMESTAMP DEFAULT current_timestamp,
                        description VARCHAR, tags VARCHAR[], sync_schedule VARCHAR, is_public BOOLEAN DEFAULT true)""");
            s.execute("CREATE TABLE users (id VARCHAR PRIMARY KEY, email VARCHAR, role VARCHAR)");
            s.execute("INSERT INTO users VALUES ('u1', 'ana@example.com', 'admin')");
            // an older cache table, without the columns added later
            s.execute("CREATE TABLE bq_metadata_cache (table_id VARCHAR PRIMARY KEY, \"rows\" BIGINT, size_bytes BIGINT,"
                    + " refreshed_at TIMESTAMP, error_at TIMESTAMP, error_msg VARCHAR)");
            s.execute("INSERT INTO table_registry (id, name, folder, source_type, bucket, source_table, query_mode,"
                    + " registered_by, description, tags) VALUES ('orders', 'Orders', 'finance', 'bigquery', 'sales',"
                    + " 'orders', 'remote', 'ana', 'All orders', ['pii', 'gold'])");
            s.execute("INSERT INTO bq_metadata_cache VALUES ('orders', 1, 2, TIMESTAMP '2026-01-01 00:00:00', NULL, NULL)");
        }
        List<Map<String, Object>> columnsBefore;
        try (Connection c = TestService.openDuckDb(db)) {
            columnsBefore = query(c, REGISTRY_COLUMNS);
        }

        WireMockServer bigQuery = WireMocks.startBigQuery();
        try {
            WireMocks.serveTable(bigQuery, "test-project", "sales", "orders", 77, 7700);
            Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
            try (TestService service = TestService.start(env)) {
                RunRecord summary = service.runAll();
                assertThat(summary.succeeded()).isEqualTo(1);
                assertThat(service.cacheRow("orders")).containsEntry("rows", 77L).containsEntry("size_bytes", 7700L)
                        .containsEntry("known_columns", "[\"a\",\"b\"]");
            }
        } finally {
            bigQuery.stop();
        }

        try (Connection c = TestService.openDuckDb(db)) {
            assertThat(query(c, REGISTRY_COLUMNS)).isEqualTo(columnsBefore);
            assertThat(query(c, "SELECT folder, description, CAST(tags AS VARCHAR) AS tags FROM table_registry"))
                    .containsExactly(Map.of("folder", "finance", "description", "All orders", "tags", "[pii, gold]"));
            assertThat(query(c, "SELECT email FROM users")).containsExactly(Map.of("email", "ana@example.com"));
        }
    }

    static List<Map<String, Object>> query(Connection c, String sql) throws Exception {
        try (Statement s = c.createStatement(); var rs = s.executeQuery(sql)) {
            var md = rs.getMetaData();
            List<Map<String, Object>> out = new java.util.ArrayList<>();
            while (rs.next()) {
                Map<String, Object> row = new java.util.LinkedHashMap<>();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    row.put(md.getColumnLabel(i), rs.getObject(i));
                }
                out.add(row);
            }
            return out;
        }
    }
}
