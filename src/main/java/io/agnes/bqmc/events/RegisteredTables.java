package io.agnes.bqmc.events;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import io.agnes.bqmc.db.Database;
import io.agnes.bqmc.registry.RegistryRow;
import io.agnes.bqmc.registry.RegistryTable;
import io.agnes.bqmc.registry.TargetResolver;

/**
 * Which registry rows a BigQuery table is: every remote BigQuery row resolved the way a run
 * resolves it (its {@code bq_fqn}, or the default project, bucket and source table), kept in
 * memory so a burst of events does not read the registry once per event. Read again when it is
 * {@link #MAX_AGE_NANOS} old, and early when an event names a table it does not know (a table
 * registered a moment ago), at most every {@link #MISS_GAP_NANOS}.
 */
public class RegisteredTables {

    static final long MAX_AGE_NANOS = TimeUnit.SECONDS.toNanos(30);
    static final long MISS_GAP_NANOS = TimeUnit.SECONDS.toNanos(5);

    private final Database database;
    private final RegistryTable registry;
    private final TargetResolver resolver;
    private final LongSupplier nanos;

    private Map<String, List<String>> byTable;
    private long loadedAt;

    public RegisteredTables(Database database, RegistryTable registry, TargetResolver resolver, LongSupplier nanos) {
        this.database = database;
        this.registry = registry;
        this.resolver = resolver;
        this.nanos = nanos;
    }

    /** The ids of the registry rows that are this table; empty when none is. */
    public synchronized List<String> ids(String fqn) throws SQLException {
        long now = nanos.getAsLong();
        if (byTable == null || now - loadedAt >= MAX_AGE_NANOS) {
            load(now);
        }
        List<String> ids = byTable.get(fqn);
        if (ids == null && now - loadedAt >= MISS_GAP_NANOS) {
            load(now);
            ids = byTable.get(fqn);
        }
        return ids == null ? List.of() : ids;
    }

    private void load(long now) throws SQLException {
        Map<String, List<String>> index = new HashMap<>();
        try (Connection c = database.getConnection();
             PreparedStatement ps = c.prepareStatement(registry.selectRemote());
             ResultSet rs = ps.executeQuery()) {
            ResultSetMetaData meta = rs.getMetaData();
            while (rs.next()) {
                Map<String, Object> columns = new HashMap<>();
                for (int i = 1; i <= meta.getColumnCount(); i++) {
                    columns.put(meta.getColumnLabel(i).toLowerCase(java.util.Locale.ROOT), rs.getObject(i));
                }
                if (resolver.resolve(RegistryRow.fromColumns(columns)) instanceof TargetResolver.Resolved r) {
                    index.computeIfAbsent(r.target().toString(), k -> new ArrayList<>(1)).add((String) columns.get("id"));
                }
            }
        }
        byTable = index;
        loadedAt = now;
    }
}
