package io.agnes.bqmc.registry;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.ResultSetMetaData;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;

import javax.sql.DataSource;

/**
 * A run's registry rows, read a page at a time in id order as the split asks for them: memory
 * stays one page whatever the estate, and no connection or transaction is held between pages
 * (a cursor held open for a run paced at BigQuery's quota would outlive the server's timeouts).
 * Pages go by key ({@code id > last}), so rows added or removed meanwhile never shift them.
 */
public final class RegistryPages implements Iterator<RegistryRow> {

    /** Rows per page. */
    static final int PAGE = 1000;

    private final DataSource dataSource;
    private final String select;
    private final ArrayDeque<RegistryRow> page = new ArrayDeque<>();
    private String last;
    private boolean exhausted;

    RegistryPages(DataSource dataSource, String select) {
        this.dataSource = dataSource;
        this.select = select;
    }

    @Override
    public synchronized boolean hasNext() {
        if (page.isEmpty() && !exhausted) {
            fetch();
        }
        return !page.isEmpty();
    }

    @Override
    public synchronized RegistryRow next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        RegistryRow row = page.poll();
        last = row.id();
        return row;
    }

    private void fetch() {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(select)) {
            ps.setString(1, last == null ? "" : last);
            ps.setBoolean(2, last == null);
            ps.setInt(3, PAGE);
            try (ResultSet rs = ps.executeQuery()) {
                ResultSetMetaData md = rs.getMetaData();
                int read = 0;
                while (rs.next()) {
                    Map<String, Object> columns = new HashMap<>();
                    for (int i = 1; i <= md.getColumnCount(); i++) {
                        columns.put(md.getColumnLabel(i).toLowerCase(java.util.Locale.ROOT), rs.getObject(i));
                    }
                    page.add(RegistryRow.fromColumns(columns));
                    read++;
                }
                exhausted = read < PAGE;
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read table_registry: " + e.getMessage(), e);
        }
    }
}
