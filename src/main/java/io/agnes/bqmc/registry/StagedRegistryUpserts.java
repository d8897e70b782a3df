package io.agnes.bqmc.registry;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

import io.agnes.bqmc.db.DuckDbStage;

/**
 * The registry file's upsert on DuckDB, at a fixed cost however many rows: staged through the
 * appender ({@link DuckDbStage}) and upserted by one statement of constant text. A multi-row
 * {@code VALUES} of seven parameters a row cost DuckDB more to prepare than to run
 * (docs/RELIABILITY.md has the figures). Inside the caller's transaction.
 */
final class StagedRegistryUpserts {

    private static final String STAGE = "bqmc_registry_stage";

    private static final String COLUMNS = "id VARCHAR, name VARCHAR, source_type VARCHAR, bucket VARCHAR,"
            + " source_table VARCHAR, query_mode VARCHAR, bq_fqn VARCHAR";

    private StagedRegistryUpserts() {
    }

    /** Upserts {@code rows} (distinct ids) as {@code owner}; {@code bqFqn}: whether the table has the column. */
    static void upsert(Connection tx, List<RegistryFileRow> rows, boolean bqFqn, String owner) throws SQLException {
        String upsert = RegistryFileImporter.upsert(bqFqn, "SELECT id, name, source_type, bucket, source_table,"
                + " query_mode, CAST(? AS VARCHAR)" + (bqFqn ? ", bq_fqn" : "") + " FROM " + STAGE);
        DuckDbStage.write(tx, STAGE, COLUMNS, stage -> {
            for (RegistryFileRow row : rows) {
                stage.beginRow().append(row.id()).append(row.name()).append(row.sourceType()).append(row.bucket())
                        .append(row.sourceTable()).append(row.queryMode()).append(row.bqFqn()).endRow();
            }
        }, owner, List.of(upsert));
    }
}
