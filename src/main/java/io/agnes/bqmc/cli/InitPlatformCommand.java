package io.agnes.bqmc.cli;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;
import java.util.concurrent.Callable;

import io.agnes.bqmc.config.SettingsLoader;
import io.agnes.bqmc.db.DatabaseUrl;
import io.agnes.bqmc.db.Dialect;
import io.agnes.bqmc.db.PlatformTables;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Creates the platform's two tables on PostgreSQL with the platform's own DDL, for running the
 * service without the platform: next to it, the platform's migrations create them, and the
 * service itself never does.
 */
@Command(name = "init-platform", mixinStandardHelpOptions = true,
        description = {"Create table_registry and bq_metadata_cache on the PostgreSQL database of DATABASE_URL,",
            "as the platform's migrations define them, for standalone use. Tables that exist are left as they are.",
            "Exit codes: 0 done, 1 the database refused, 2 DATABASE_URL does not name a PostgreSQL database."})
public class InitPlatformCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--without-bq-fqn",
            description = "Leave out table_registry.bq_fqn, as platform versions before it did.")
    boolean withoutBqFqn;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        DatabaseUrl url = new SettingsLoader(System.getenv(), SettingsLoader.classpathDefaults()).database();
        if (url.dialect() != Dialect.POSTGRESQL) {
            err.println("db init-platform: DATABASE_URL must name a PostgreSQL database"
                    + " (postgresql://user:password@host:5432/dbname); the DuckDB default needs no preparing");
            err.flush();
            return 2;
        }
        try (Connection c = url.connect(new Properties())) {
            PlatformTables.create(c, !withoutBqFqn);
        } catch (SQLException e) {
            err.println("db init-platform: " + url + ": " + e.getMessage());
            err.flush();
            return 1;
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("table_registry and bq_metadata_cache are ready in " + url
                + (withoutBqFqn ? " (table_registry without bq_fqn)" : ""));
        out.flush();
        return 0;
    }
}
