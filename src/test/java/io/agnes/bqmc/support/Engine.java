package io.agnes.bqmc.support;

/** The two databases the service runs on; tests of the database's semantics run on both. */
public enum Engine {
    /** The embedded default: a DuckDB file in the test's directory. */
    DUCKDB,
    /** The platform's PostgreSQL: a database of the test's own on the shared test server, with the platform's tables. */
    POSTGRESQL
}
