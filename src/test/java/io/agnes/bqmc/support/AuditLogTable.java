package io.agnes.bqmc.support;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

import io.agnes.bqmc.db.Dialect;

/**
 * The platform's {@code audit_log} as its migrations create it (../shared/PLATFORM-SCHEMA.md),
 * on either engine: the service writes it where it exists and never creates it.
 */
public final class AuditLogTable {

    private AuditLogTable() {
    }

    public static void create(Connection c, Dialect dialect) throws SQLException {
        create(c, dialect, "");
    }

    /** @param constraint a table constraint to add (a {@code CHECK} no row passes makes the table unwritable) */
    public static void create(Connection c, Dialect dialect, String constraint) throws SQLException {
        boolean pg = dialect == Dialect.POSTGRESQL;
        String ts = pg ? "timestamptz" : "TIMESTAMP";
        String json = pg ? "jsonb" : "JSON";
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE audit_log (\n"
                    + "    id varchar NOT NULL PRIMARY KEY,\n"
                    + "    timestamp " + ts + " NOT NULL DEFAULT CURRENT_TIMESTAMP,\n"
                    + "    user_id varchar,\n"
                    + "    action varchar NOT NULL,\n"
                    + "    resource varchar,\n"
                    + "    params " + json + ",\n"
                    + "    result varchar,\n"
                    + "    duration_ms integer,\n"
                    + "    params_before " + json + ",\n"
                    + "    client_ip varchar,\n"
                    + "    client_kind varchar,\n"
                    + "    correlation_id varchar"
                    + (constraint.isEmpty() ? "" : ",\n    " + constraint) + "\n)");
            for (String column : List.of("timestamp", "user_id", "action", "correlation_id", "resource")) {
                s.execute("CREATE INDEX idx_audit_log_" + column + " ON audit_log (" + column + ")");
            }
        }
    }

    /** Every row, oldest first, with {@code params} as compact JSON text and the time as epoch micros. */
    public static List<Map<String, Object>> rows(TestService service) throws SQLException {
        Dialect d = service.dialect();
        return service.query("SELECT user_id, action, resource, " + d.jsonText("params") + " AS params, result,"
                + " duration_ms, client_ip, client_kind, correlation_id, " + d.epochMicros("timestamp") + " AS at"
                + " FROM audit_log ORDER BY timestamp, id");
    }
}
