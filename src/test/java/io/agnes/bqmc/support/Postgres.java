package io.agnes.bqmc.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;

/**
 * A throwaway PostgreSQL server for the tests, from the machine's own binaries (Debian's
 * {@code postgresql} package, which {@code .ci/run} installs when it is missing): its own data
 * directory, a free port on loopback, password authentication over TCP, and a server time zone
 * other than the JVM's (the suite runs in Europe/Prague) so that a timestamp shifted by a zone
 * shows. {@code initdb} refuses root, so as root the server runs as the {@code postgres} user.
 * Where PostgreSQL is not installed the tests that need it are skipped, unless
 * {@code BQMC_REQUIRE_POSTGRES=1} (set by {@code .ci/run}) makes that a failure.
 */
public final class Postgres implements AutoCloseable {

    public static final String USER = "bqmc";
    /** A password no log line may ever show. */
    public static final String PASSWORD = "pw-Zq7vN2xK9LmT";
    static final String SERVER_TIME_ZONE = "America/Los_Angeles";

    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static Postgres shared;

    private final Path bin;
    private final Path dir;
    private final Path data;
    private final int port;
    private final String runAs;

    private Postgres(Path bin, Path dir, int port, String runAs) {
        this.bin = bin;
        this.dir = dir;
        this.data = dir.resolve("data");
        this.port = port;
        this.runAs = runAs;
    }

    /** One server for every test that only needs a database of its own: started once, stopped with the JVM. */
    public static synchronized Postgres shared() {
        if (shared == null) {
            shared = start();
            Postgres server = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        }
        return shared;
    }

    /** A server of the caller's own, for tests that stop and start it. */
    public static Postgres start() {
        Path bin = binaries();
        if (bin == null) {
            String why = "PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin or on PATH)";
            if ("1".equals(System.getenv("BQMC_REQUIRE_POSTGRES"))) {
                throw new IllegalStateException(why + ", and BQMC_REQUIRE_POSTGRES=1");
            }
            Assumptions.abort(why + ": run .ci/run, which installs it, to include these tests");
        }
        try {
            String runAs = "root".equals(System.getProperty("user.name")) ? "postgres" : null;
            Path dir = Files.createTempDirectory("bqmc-pg",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
            Postgres pg = new Postgres(bin, dir, FreePorts.next(), runAs);
            pg.init();
            pg.startServer();
            return pg;
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("cannot start a test PostgreSQL: " + e.getMessage(), e);
        }
    }

    private static Path binaries() {
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> versions = Files.list(debian)) {
                Path newest = versions.filter(v -> Files.isExecutable(v.resolve("bin/initdb")))
                        .max(Comparator.comparingInt(v -> Integer.parseInt(v.getFileName().toString().replaceAll("\\D", "0"))))
                        .orElse(null);
                if (newest != null) {
                    return newest.resolve("bin");
                }
            } catch (IOException ignored) {
                // fall through to PATH
            }
        }
        for (String p : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!p.isEmpty() && Files.isExecutable(Path.of(p, "initdb")) && Files.isExecutable(Path.of(p, "pg_ctl"))) {
                return Path.of(p);
            }
        }
        return null;
    }

    private void init() throws IOException, InterruptedException {
        Files.createDirectories(data, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path pwfile = dir.resolve("pwfile");
        Files.writeString(pwfile, PASSWORD + "\n");
        if (runAs != null) {
            UserPrincipal owner = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(runAs);
            Files.setOwner(data, owner);
            Files.setOwner(pwfile, owner);
            Files.setOwner(dir, owner);
        }
        run("initdb", "-D", data.toString(), "-U", USER, "--pwfile=" + pwfile, "--auth-host=scram-sha-256",
                "--auth-local=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync");
    }

    private void startServer() throws IOException, InterruptedException {
        run("pg_ctl", "-D", data.toString(), "-l", dir.resolve("server.log").toString(), "-w", "-t", "60", "-o",
                "-p " + port + " -c listen_addresses=127.0.0.1 -c unix_socket_directories=" + dir
                        + " -c timezone=" + SERVER_TIME_ZONE + " -c fsync=off -c synchronous_commit=off"
                        + " -c full_page_writes=off -c max_connections=200 -c shared_buffers=32MB", "start");
    }

    /** Stops the server as an operator's restart would (fast: running sessions are ended). */
    public void stopServer() {
        try {
            run("pg_ctl", "-D", data.toString(), "-w", "-m", "fast", "stop");
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    public void restartServer() {
        try {
            startServer();
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private void run(String tool, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        if (runAs != null) {
            command.addAll(List.of("runuser", "-u", runAs, "--"));
        }
        command.add(bin.resolve(tool).toString());
        command.addAll(List.of(args));
        Path log = dir.resolve(tool + ".out");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException(tool + " failed: " + Files.readString(log));
        }
    }

    public int port() {
        return port;
    }

    /** A new, empty database of the caller's own. */
    public String createDatabase() {
        String name = "t" + DATABASES.incrementAndGet() + "_" + ProcessHandle.current().pid();
        try (Connection c = connect("postgres"); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name + ": " + e.getMessage(), e);
        }
        return name;
    }

    /** The platform's way to name a database: {@code postgresql://user:password@host:port/db}. */
    /** The directory of the server's Unix socket ({@code .s.PGSQL.<port>}). */
    public Path socketDirectory() {
        return dir;
    }

    public String platformUrl(String database) {
        return "postgresql://" + USER + ":" + PASSWORD + "@127.0.0.1:" + port + "/" + database;
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    public Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database), USER, PASSWORD);
    }

    @Override
    public void close() {
        try {
            run("pg_ctl", "-D", data.toString(), "-m", "immediate", "stop");
        } catch (Exception ignored) {
            // it may not be running
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // a temp directory
        }
    }
}
