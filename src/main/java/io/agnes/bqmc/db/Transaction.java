package io.agnes.bqmc.db;

import java.sql.Connection;
import java.sql.SQLException;

/** Runs work in one transaction on a connection: all of it commits, or none of it. */
public final class Transaction {

    /** Work against the connection. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private Transaction() {
    }

    public static <T> T run(Connection c, Work<T> work) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            T result = work.run(c);
            c.commit();
            return result;
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }
}
