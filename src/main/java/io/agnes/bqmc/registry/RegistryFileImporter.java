package io.agnes.bqmc.registry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import javax.sql.DataSource;

import io.agnes.bqmc.db.Database;
import io.agnes.bqmc.db.Dialect;
import io.agnes.bqmc.db.Transaction;
import io.agnes.bqmc.support.LogText;
import org.apache.camel.Header;
import org.apache.camel.spi.IdempotentRepository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the registry file to {@code table_registry} in one transaction (contract section 4):
 * upsert by id as {@code registry-file}, delete the rows an earlier import created that the
 * file no longer lists (with their cache rows), and never touch anyone else's row.
 */
public class RegistryFileImporter {

    public static final String OWNER = "registry-file";

    private static final Logger LOG = LoggerFactory.getLogger(RegistryFileImporter.class);

    /** Rows per statement. */
    static final int BATCH = 500;

    /**
     * The insert and what it sets on a row already there, whichever way the rows come (a
     * {@code VALUES} list here, DuckDB's staging table in {@link StagedRegistryUpserts}).
     *
     * @param bqFqn whether the table has the {@code bq_fqn} column
     * @param rows  the rows' source, between the column list and the conflict clause
     */
    static String upsert(boolean bqFqn, String rows) {
        String fqn = bqFqn ? ", bq_fqn" : "";
        return "INSERT INTO table_registry (id, name, source_type, bucket, source_table, query_mode, registered_by" + fqn
                + ") " + rows + " ON CONFLICT (id) DO UPDATE SET name = excluded.name, source_type = excluded.source_type,"
                + " bucket = excluded.bucket, source_table = excluded.source_table, query_mode = excluded.query_mode"
                + (bqFqn ? ", bq_fqn = excluded.bq_fqn" : "");
    }

    private final DataSource dataSource;
    private final Dialect dialect;
    private final RegistryTable table;

    public RegistryFileImporter(Database database, RegistryTable table) {
        this.dataSource = database;
        this.dialect = database.dialect();
        this.table = table;
    }

    /** What one import did, for logs and tests. */
    public record Result(int upserted, int deleted, int skipped) {
    }

    /** Why the file's newest version was not imported, or null once one was. */
    private volatile String problem;

    /** Null while the file's newest version is imported; else why it is not, for the health check. */
    public String problem() {
        return problem;
    }

    /**
     * Entry point of the file route: never throws, whatever the file holds. A rejected file is
     * logged, changes nothing, and leaves the registry as the last good file made it.
     */
    public Result importFile(@Header("CamelFileAbsolutePath") String path) {
        try {
            List<RegistryFileRow> rows = RegistryFileParser.parse(RegistryFileReader.read(Path.of(path)));
            if (!table.hasBqFqn()) {
                for (RegistryFileRow row : rows) {
                    if (row.bqFqn() != null) {
                        throw new RegistryFileException(row.line(), "this table_registry has no bq_fqn column:"
                                + " give bucket and source_table instead");
                    }
                }
            }
            Result result = apply(rows);
            LOG.info("registry file {} imported: upserted={} deleted={} skipped={}", path,
                    result.upserted(), result.deleted(), result.skipped());
            problem = null;
            return result;
        } catch (RegistryFileException e) {
            rejected(path, "rejected, nothing changed: " + LogText.safe(e.getMessage()));
        } catch (SQLException e) {
            rejected(path, "not imported, nothing changed: " + LogText.safe(e.getMessage()));
        } catch (RuntimeException | StackOverflowError | OutOfMemoryError e) {
            // the watcher lives on: the next version of the file is read as if nothing happened
            rejected(path, "not imported, nothing changed: " + e.getClass().getSimpleName());
            LOG.debug("registry file {} import failed", path, e);
        }
        return null;
    }

    /**
     * At start, before the API serves: a file that already stands still (unchanged for
     * {@code stableMs}) is imported now, so the first run and the first status read see its rows;
     * one still being written is left to the file route. The version imported is remembered in
     * {@code seen}, under the file route's own key, so the route does not import it again.
     */
    public void importAtStart(Path file, long stableMs, IdempotentRepository seen) {
        if (file == null) {
            return;
        }
        Path path = file.toAbsolutePath().normalize();
        try {
            BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
            long modified = attributes.lastModifiedTime().toMillis();
            if (!attributes.isRegularFile() || System.currentTimeMillis() - modified < stableMs) {
                return;
            }
            importFile(path.toString());
            seen.add(routeKey(path.getFileName().toString(), modified, attributes.size()));
        } catch (IOException e) {
            // absent or unreadable: the file route and the health check say so
        }
    }

    /** The file route's idempotent key of one version of the file: {@code ${file:name}-${file:modified}-${file:size}}. */
    public static String routeKey(String name, long modifiedMillis, long size) {
        return name + "-" + modifiedMillis + "-" + size;
    }

    private void rejected(String path, String why) {
        LOG.error("registry file {} {}", path, why);
        problem = why;
    }

    /** For tests and tools: the text as if it were the file's. */
    public Result importText(String text) throws RegistryFileException, SQLException {
        return apply(RegistryFileParser.parse(text));
    }

    /** "(?, ?, ...), (?, ?, ...)": {@code rows} groups of {@code columns} parameters. */
    private static String values(int rows, int columns) {
        String row = "(" + String.join(", ", java.util.Collections.nCopies(columns, "?")) + ")";
        return String.join(", ", java.util.Collections.nCopies(rows, row));
    }

    Result apply(List<RegistryFileRow> rows) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            return Transaction.run(c, tx -> apply(tx, rows));
        }
    }

    private Result apply(Connection c, List<RegistryFileRow> rows) throws SQLException {
        // in id order, as every replica that imports the same file does: concurrent imports never deadlock
        Map<String, String> owners = new TreeMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT id, registered_by FROM table_registry");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                owners.put(rs.getString(1), rs.getString(2));
            }
        }
        int skipped = 0;
        Set<String> listed = new HashSet<>();
        List<RegistryFileRow> mine = new ArrayList<>();
        for (RegistryFileRow row : rows.stream().sorted(Comparator.comparing(RegistryFileRow::id)).toList()) {
            listed.add(row.id());
            if (owners.containsKey(row.id()) && !OWNER.equals(owners.get(row.id()))) {
                LOG.warn("registry file line {}: id '{}' is registered by someone else; left as it is",
                        row.line(), LogText.safe(row.id()));
                skipped++;
            } else {
                mine.add(row);
            }
        }
        if (dialect == Dialect.DUCKDB) {
            StagedRegistryUpserts.upsert(c, mine, table.hasBqFqn(), OWNER);
        } else {
            upsertInBatches(c, mine);
        }
        int upserted = mine.size();
        List<String> gone = owners.entrySet().stream()
                .filter(owned -> OWNER.equals(owned.getValue()) && !listed.contains(owned.getKey()))
                .map(Map.Entry::getKey).toList();
        int deleted = 0;
        for (int from = 0; from < gone.size(); from += BATCH) {
            List<String> batch = gone.subList(from, Math.min(gone.size(), from + BATCH));
            String in = String.join(", ", java.util.Collections.nCopies(batch.size(), "?"));
            try (PreparedStatement cache = c.prepareStatement("DELETE FROM bq_metadata_cache WHERE table_id IN (" + in + ")");
                 PreparedStatement registry = c.prepareStatement(
                         "DELETE FROM table_registry WHERE registered_by = '" + OWNER + "' AND id IN (" + in + ")")) {
                for (int i = 0; i < batch.size(); i++) {
                    cache.setString(i + 1, batch.get(i));
                    registry.setString(i + 1, batch.get(i));
                }
                cache.executeUpdate();
                deleted += registry.executeUpdate();
            }
        }
        return new Result(upserted, deleted, skipped);
    }

    /** On PostgreSQL: many rows per statement (100,000 single-row upserts took minutes). */
    private void upsertInBatches(Connection c, List<RegistryFileRow> mine) throws SQLException {
        int columns = table.hasBqFqn() ? 8 : 7;
        for (int from = 0; from < mine.size(); from += BATCH) {
            List<RegistryFileRow> batch = mine.subList(from, Math.min(mine.size(), from + BATCH));
            try (PreparedStatement ps = c.prepareStatement(upsert(table.hasBqFqn(), "VALUES " + values(batch.size(), columns)))) {
                int i = 0;
                for (RegistryFileRow row : batch) {
                    ps.setString(++i, row.id());
                    ps.setString(++i, row.name());
                    ps.setString(++i, row.sourceType());
                    ps.setString(++i, row.bucket());
                    ps.setString(++i, row.sourceTable());
                    ps.setString(++i, row.queryMode());
                    ps.setString(++i, OWNER);
                    if (table.hasBqFqn()) {
                        ps.setString(++i, row.bqFqn());
                    }
                }
                ps.executeUpdate();
            }
        }
    }
}
