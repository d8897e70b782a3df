package io.agnes.bqmc.cache;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import io.agnes.bqmc.bigquery.TableMetadata;
import io.agnes.bqmc.db.DuckDbStage;

/**
 * The two writes of contract section 3 on DuckDB, for a batch of any size at a fixed cost,
 * staged through the appender ({@link DuckDbStage}) and upserted by two statements of constant
 * text. Without it a run's writer spent about as much CPU preparing statements as its 32 lookup
 * threads together (docs/BENCHMARKS.md, B10).
 */
final class StagedDuckDbWrites {

    private static final String STAGE = "bqmc_cache_stage";

    private static final String COLUMNS = """
            ok BOOLEAN, table_id VARCHAR, "rows" BIGINT, size_bytes BIGINT, partition_by VARCHAR,
            clustered_by VARCHAR, entity_type VARCHAR, known_columns VARCHAR, error_msg VARCHAR""";

    // what a success sets and a failure moves: CacheUpserts' ON CONFLICT clauses, the same on both paths
    private static final String UPSERT_SUCCESSES = """
            INSERT INTO bq_metadata_cache (table_id, "rows", size_bytes, partition_by, clustered_by,
                entity_type, known_columns, refreshed_at, error_at, error_msg)
            SELECT table_id, "rows", size_bytes, partition_by, CAST(clustered_by AS JSON), entity_type,
                CAST(known_columns AS JSON), CAST(? AS TIMESTAMP), NULL, NULL
            FROM\s""" + STAGE + " WHERE ok" + CacheUpserts.SUCCESS_ON_CONFLICT;

    private static final String UPSERT_FAILURES = """
            INSERT INTO bq_metadata_cache (table_id, error_at, error_msg)
            SELECT table_id, CAST(? AS TIMESTAMP), error_msg FROM\s""" + STAGE + " WHERE NOT ok"
            + CacheUpserts.FAILURE_ON_CONFLICT;

    private StagedDuckDbWrites() {
    }

    /** Writes one row per entry (their table ids distinct) inside the transaction {@code tx} holds. */
    static void write(Connection tx, Collection<CacheEntry> entries, String at) throws SQLException {
        List<String> upserts = new ArrayList<>(2);
        if (entries.stream().anyMatch(CacheEntry::isSuccess)) {
            upserts.add(UPSERT_SUCCESSES);
        }
        if (!entries.stream().allMatch(CacheEntry::isSuccess)) {
            upserts.add(UPSERT_FAILURES);
        }
        DuckDbStage.write(tx, STAGE, COLUMNS, stage -> {
            for (CacheEntry e : entries) {
                TableMetadata m = e.metadata();
                stage.beginRow()
                        .append(e.isSuccess())
                        .append(e.tableId())
                        .append(m == null ? null : m.rows())
                        .append(m == null ? null : m.sizeBytes())
                        .append(m == null ? null : m.partitionBy())
                        .append(m == null ? null : CacheUpserts.json(m.clusteredBy()))
                        .append(m == null ? null : m.entityType())
                        .append(m == null ? null : CacheUpserts.json(m.knownColumns()))
                        .append(e.isSuccess() ? null : CacheUpserts.cut(e.error()))
                        .endRow();
            }
        }, at, upserts);
    }
}
