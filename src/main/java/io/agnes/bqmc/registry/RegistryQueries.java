package io.agnes.bqmc.registry;

/** The registry reads of a refresh, parameterized for camel-jdbc. */
public final class RegistryQueries {

    private static final String COLUMNS = "id, name, source_type, bucket, source_table, query_mode, bq_fqn";

    /** Contract section 4: only remote BigQuery rows are refreshed by a run. */
    public static final String SELECT_REMOTE_BIGQUERY = "SELECT " + COLUMNS + " FROM table_registry"
            + " WHERE query_mode = 'remote' AND source_type = 'bigquery' ORDER BY id";

    public static final String SELECT_BY_ID = "SELECT " + COLUMNS + " FROM table_registry WHERE id = :?bqmc_table_id";

    private RegistryQueries() {
    }
}
