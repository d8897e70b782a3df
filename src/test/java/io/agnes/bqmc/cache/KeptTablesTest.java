package io.agnes.bqmc.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import io.agnes.bqmc.support.Engine;
import io.agnes.bqmc.support.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kept rows of the status: the same rows while nothing changed, whatever time it is; after a
 * write, a new load that renders only the row written; not kept over the budget, kept again once
 * the estate shrinks below it.
 */
class KeptTablesTest {

    @TempDir
    Path dir;

    static final Instant T0 = Instant.parse("2026-12-05T10:00:00Z");

    @Test
    void rowsAreReadAgainOnlyWhenTheyChangedAndRenderedAgainOnlyWhereTheyDid() throws Exception {
        try (TestDatabase db = TestDatabase.open(Engine.DUCKDB, dir)) {
            db.update("INSERT INTO table_registry (id, name, source_type, query_mode) SELECT 't' || i, 't' || i,"
                    + " 'bigquery', 'remote' FROM range(3) r(i)");
            db.update("INSERT INTO bq_metadata_cache (table_id, \"rows\", refreshed_at) VALUES ('t0', 1, " + db.ts()
                    + "), ('t1', 2, " + db.ts() + ")", T0, T0.minus(Duration.ofHours(3)));
            CachedTables cached = new CachedTables(db.dataSource(), Duration.ofHours(2));
            KeptTables kept = new KeptTables(cached, Long.MAX_VALUE);

            KeptTables.Rows first = kept.current(T0);
            assertThat(first.size()).isEqualTo(3);
            long at = cached.freshSince(T0);
            assertThat(first.verdict(0, at)).isEqualTo(Freshness.FRESH);
            assertThat(first.verdict(1, at)).isEqualTo(Freshness.STALE);
            assertThat(first.verdict(2, at)).isEqualTo(Freshness.NEVER_FETCHED);
            // time alone changes verdicts, not the rows
            KeptTables.Rows later = kept.current(T0.plus(Duration.ofHours(3)));
            assertThat(later).isSameAs(first);
            assertThat(later.verdict(0, cached.freshSince(T0.plus(Duration.ofHours(3))))).isEqualTo(Freshness.STALE);

            db.update("UPDATE bq_metadata_cache SET \"rows\" = 5 WHERE table_id = 't1'");
            KeptTables.Rows written = kept.current(T0);
            assertThat(written).isNotSameAs(first);
            assertThat(new String(written.fragment(1), java.nio.charset.StandardCharsets.UTF_8)).contains("\"rows\":5");
            assertThat(written.fragment(0)).isSameAs(first.fragment(0));
            assertThat(written.fragment(2)).isSameAs(first.fragment(2));
            assertThat(written.fragment(1)).isNotSameAs(first.fragment(1));
        }
    }

    @Test
    void anEstateOverTheBudgetIsNotKeptUntilItShrinks() throws Exception {
        try (TestDatabase db = TestDatabase.open(Engine.DUCKDB, dir)) {
            db.update("INSERT INTO table_registry (id, name, source_type, query_mode) SELECT 't' || i, 't' || i,"
                    + " 'bigquery', 'remote' FROM range(10) r(i)");
            CachedTables cached = new CachedTables(db.dataSource(), Duration.ofHours(2));
            // room for about five rows
            KeptTables kept = new KeptTables(cached, 5 * (KeptTables.ROW_OVERHEAD_BYTES + 200));

            assertThat(kept.current(T0)).isNull();
            db.update("INSERT INTO bq_metadata_cache (table_id, error_at, error_msg) VALUES ('t0', " + db.ts() + ", 'x')", T0);
            assertThat(kept.current(T0)).as("still as many tables: not read again").isNull();

            db.update("DELETE FROM table_registry WHERE id IN ('t5', 't6', 't7', 't8', 't9')");
            KeptTables.Rows rows = kept.current(T0);
            assertThat(rows).isNotNull();
            assertThat(rows.size()).isEqualTo(5);
            assertThat(rows.verdict(0, cached.freshSince(T0))).isEqualTo(Freshness.ERROR);
        }
    }
}
