package io.agnes.bqmc.support;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

import io.agnes.bqmc.cache.CacheSchema;
import io.agnes.bqmc.db.Database;
import io.agnes.bqmc.db.DatabaseUrl;
import io.agnes.bqmc.db.Dialect;
import io.agnes.bqmc.db.PlatformTables;
import io.agnes.bqmc.history.RunHistory;
import io.agnes.bqmc.registry.RegistryTable;

/**
 * A database of the test's own on either engine, prepared as the service prepares it at start
 * (on PostgreSQL with the platform's tables first), for tests of one component without the
 * whole service.
 */
public record TestDatabase(Database dataSource, Dialect dialect, RegistryTable registry) implements AutoCloseable {

    public static TestDatabase open(Engine engine, Path dir) throws SQLException {
        DatabaseUrl url;
        if (engine == Engine.POSTGRESQL) {
            Postgres pg = Postgres.shared();
            String database = pg.createDatabase();
            try (Connection c = pg.connect(database)) {
                PlatformTables.create(c, true);
            }
            url = DatabaseUrl.parse(pg.platformUrl(database));
        } else {
            url = DatabaseUrl.parse("jdbc:duckdb:" + dir.resolve("test.duckdb"));
        }
        Dialect dialect = url.dialect();
        Database database = Database.open(url, 4, c -> {
            CacheSchema.ensure(c, dialect);
            RunHistory.ensure(c, dialect);
        }, List.of());
        try (Connection c = database.getConnection()) {
            return new TestDatabase(database, dialect, RegistryTable.ensure(c, dialect));
        }
    }

    /** Runs a statement; an {@link Instant} parameter is bound as this engine's timestamp text (write {@link #ts()}). */
    public int update(String sql, Object... params) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i] instanceof Instant at ? dialect.timestampText(at) : params[i]);
            }
            return ps.executeUpdate();
        }
    }

    /** A timestamp parameter, for {@link #update}. */
    public String ts() {
        return dialect.timestampParam();
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
