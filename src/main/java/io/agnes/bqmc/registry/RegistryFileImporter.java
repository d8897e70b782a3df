package io.agnes.bqmc.registry;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import javax.sql.DataSource;

import io.agnes.bqmc.db.Transaction;
import io.agnes.bqmc.support.LogText;
import org.apache.camel.Body;
import org.apache.camel.Header;
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

    private static final String UPSERT = """
            INSERT INTO table_registry (id, name, source_type, bucket, source_table, query_mode, registered_by%s)
            VALUES (?, ?, ?, ?, ?, ?, ?%s)
            ON CONFLICT (id) DO UPDATE SET
                name = excluded.name, source_type = excluded.source_type, bucket = excluded.bucket,
                source_table = excluded.source_table, query_mode = excluded.query_mode%s""";

    private final DataSource dataSource;
    private final RegistryTable table;
    private final String upsert;

    public RegistryFileImporter(DataSource dataSource, RegistryTable table) {
        this.dataSource = dataSource;
        this.table = table;
        this.upsert = table.hasBqFqn() ? String.format(UPSERT, ", bq_fqn", ", ?", ", bq_fqn = excluded.bq_fqn")
                : String.format(UPSERT, "", "", "");
    }

    /** What one import did, for logs and tests. */
    public record Result(int upserted, int deleted, int skipped) {
    }

    /** Entry point of the file route: never throws, a rejected file is logged and changes nothing. */
    public Result importText(@Body String text, @Header("CamelFileAbsolutePath") String path) {
        try {
            List<RegistryFileRow> rows = RegistryFileParser.parse(text);
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
            return result;
        } catch (RegistryFileException e) {
            LOG.error("registry file {} rejected, nothing changed: {}", path, LogText.safe(e.getMessage()));
        } catch (SQLException e) {
            LOG.error("registry file {} not imported, nothing changed: {}", path, LogText.safe(e.getMessage()));
        }
        return null;
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
        int upserted = 0;
        int skipped = 0;
        Set<String> listed = new HashSet<>();
        try (PreparedStatement ps = c.prepareStatement(upsert)) {
            for (RegistryFileRow row : rows.stream().sorted(Comparator.comparing(RegistryFileRow::id)).toList()) {
                listed.add(row.id());
                if (owners.containsKey(row.id()) && !OWNER.equals(owners.get(row.id()))) {
                    LOG.warn("registry file line {}: id '{}' is registered by someone else; left as it is",
                            row.line(), LogText.safe(row.id()));
                    skipped++;
                    continue;
                }
                ps.setString(1, row.id());
                ps.setString(2, row.name());
                ps.setString(3, row.sourceType());
                ps.setString(4, row.bucket());
                ps.setString(5, row.sourceTable());
                ps.setString(6, row.queryMode());
                ps.setString(7, OWNER);
                if (table.hasBqFqn()) {
                    ps.setString(8, row.bqFqn());
                }
                ps.executeUpdate();
                upserted++;
            }
        }
        int deleted = 0;
        try (PreparedStatement cache = c.prepareStatement("DELETE FROM bq_metadata_cache WHERE table_id = ?");
             PreparedStatement registry = c.prepareStatement(
                     "DELETE FROM table_registry WHERE id = ? AND registered_by = '" + OWNER + "'")) {
            for (Map.Entry<String, String> owned : owners.entrySet()) {
                if (OWNER.equals(owned.getValue()) && !listed.contains(owned.getKey())) {
                    cache.setString(1, owned.getKey());
                    cache.executeUpdate();
                    registry.setString(1, owned.getKey());
                    deleted += registry.executeUpdate();
                }
            }
        }
        return new Result(upserted, deleted, skipped);
    }
}
