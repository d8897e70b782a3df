package io.agnes.bqmc.db;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The platform's own DDL for {@code table_registry} and {@code bq_metadata_cache} on
 * PostgreSQL, for standalone use: next to the platform its migrations create them and this
 * service never does. Platform versions that know {@code bq_fqn} add it to the registry.
 */
public final class PlatformTables {

    private static final String DDL = "/db/platform-tables.postgresql.sql";

    private PlatformTables() {
    }

    /** Creates whichever of the two tables is missing; returns how many statements ran. */
    public static int create(Connection c, boolean withBqFqn) throws SQLException {
        int statements = 0;
        try (Statement s = c.createStatement()) {
            for (String sql : ddl().split(";")) {
                String statement = sql.lines().filter(l -> !l.startsWith("--")).reduce("", (a, b) -> a + b + "\n").strip();
                if (!statement.isEmpty()) {
                    s.execute(statement);
                    statements++;
                }
            }
            if (withBqFqn) {
                s.execute("ALTER TABLE table_registry ADD COLUMN IF NOT EXISTS bq_fqn varchar");
                statements++;
            }
        }
        return statements;
    }

    private static String ddl() {
        try (InputStream in = PlatformTables.class.getResourceAsStream(DDL)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + DDL, e);
        }
    }
}
