package io.agnes.bqmc.db;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * A check a write makes inside its own transaction, before it writes: it throws when the writer
 * has lost the right to write (a run whose lock another replica took over). The check holds
 * what it read until the transaction ends, so the right cannot be taken away in between.
 */
@FunctionalInterface
public interface Fence {

    /** Writes that need no right: a single-table refresh, or a database only this process uses. */
    Fence NONE = c -> {
    };

    void check(Connection c) throws SQLException;

    /** Thrown by {@link #check}: the writer was fenced off, and writes nothing. */
    class FencedOffException extends SQLException {
        public FencedOffException(String message) {
            super(message);
        }
    }
}
