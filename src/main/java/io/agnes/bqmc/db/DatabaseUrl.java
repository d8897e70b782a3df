package io.agnes.bqmc.db;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * Where the system database is, with its credentials kept apart: {@link #jdbcUrl()} and
 * {@link #toString()} never hold a user or a password, so the URL can be logged and named in
 * errors. Accepts a JDBC URL ({@code jdbc:duckdb:...}, {@code jdbc:postgresql://...}, with or
 * without {@code user}/{@code password} parameters) and the platform's
 * {@code postgresql://user:password@host:5432/dbname} (also {@code postgres://}).
 *
 * @param user     null when the URL names none
 * @param password null when the URL names none
 */
public record DatabaseUrl(String jdbcUrl, String user, String password) {

    public static DatabaseUrl parse(String text) {
        String s = text.trim();
        String lower = s.toLowerCase(Locale.ROOT);
        if (lower.startsWith("postgresql://") || lower.startsWith("postgres://")) {
            return fromPlatformUrl(s);
        }
        if (lower.startsWith("jdbc:postgresql:")) {
            return withoutCredentialParameters(s);
        }
        if (lower.startsWith("jdbc:") && s.length() > "jdbc:".length()) {
            return new DatabaseUrl(s, null, null);
        }
        throw new IllegalArgumentException("a JDBC URL such as jdbc:duckdb:data/system.duckdb, or"
                + " postgresql://user:password@host:5432/dbname");
    }

    public Dialect dialect() {
        return Dialect.of(jdbcUrl);
    }

    /** A connection of its own, outside any pool, with the driver's {@code settings} and these credentials. */
    public Connection connect(Properties settings) throws SQLException {
        Properties props = new Properties();
        props.putAll(settings);
        if (user != null) {
            props.setProperty("user", user);
        }
        if (password != null) {
            props.setProperty("password", password);
        }
        return DriverManager.getConnection(jdbcUrl, props);
    }

    /** Safe to log: the JDBC URL, which holds no credentials. */
    @Override
    public String toString() {
        return jdbcUrl;
    }

    /**
     * The platform's URL in every form libpq takes
     * ({@code postgresql://[user[:password]@][host[:port][,host[:port]...]][/dbname][?param=value...]}):
     * several hosts (tried in turn), a host name with {@code _}, an IPv6 address in brackets, a
     * socket directory (an encoded path as the host, or {@code ?host=/dir}), and libpq's parameters
     * mapped to the JDBC driver's. Parsed by hand: {@link java.net.URI} refuses several of these.
     */
    private static DatabaseUrl fromPlatformUrl(String s) {
        String rest = s.substring(s.indexOf("://") + 3);
        String query = null;
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        String path = "";
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            path = rest.substring(slash + 1);
            rest = rest.substring(0, slash);
        }
        String user = null;
        String password = null;
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            String info = rest.substring(0, at);
            rest = rest.substring(at + 1);
            int colon = info.indexOf(':');
            user = decode(colon < 0 ? info : info.substring(0, colon));
            password = colon < 0 ? null : decode(info.substring(colon + 1));
        }
        String database = decode(path);
        List<String> hosts = new ArrayList<>();
        String socketDirectory = null;
        String port = null;
        List<String> kept = new ArrayList<>();
        if (query != null) {
            for (String pair : query.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String key = decode(eq < 0 ? pair : pair.substring(0, eq));
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
                switch (key) {
                    case "user" -> user = value;
                    case "password" -> password = value;
                    case "dbname" -> database = value;
                    case "port" -> port = value;
                    case "host" -> {
                        if (value.startsWith("/")) {
                            socketDirectory = value;
                        } else {
                            hosts.addAll(List.of(value.split(",")));
                        }
                    }
                    // libpq's names for what the JDBC driver calls otherwise
                    case "application_name" -> kept.add("ApplicationName=" + encode(value));
                    case "connect_timeout" -> kept.add("connectTimeout=" + encode(value));
                    case "sslmode", "sslcert", "sslkey", "sslrootcert", "options", "target_session_attrs" ->
                            kept.add((key.equals("target_session_attrs") ? "targetServerType" : key) + "="
                                    + encode(key.equals("target_session_attrs") ? targetServerType(value) : value));
                    default -> kept.add(pair);
                }
            }
        }
        if (rest.isEmpty() && hosts.isEmpty() && socketDirectory == null) {
            // no host at all: libpq's local socket, in the directory Debian's and most builds use
            socketDirectory = DEFAULT_SOCKET_DIRECTORY;
        }
        for (String spec : rest.isEmpty() ? List.<String>of() : List.of(rest.split(","))) {
            int colon = spec.startsWith("[") ? -1 : spec.indexOf(':');
            String host = decode(colon < 0 ? spec : spec.substring(0, colon));
            if (host.startsWith("/")) {
                // an encoded socket directory as the host, its port naming the socket file
                socketDirectory = host;
                if (colon >= 0) {
                    port = spec.substring(colon + 1);
                }
            } else if (!spec.isEmpty()) {
                hosts.add(spec);
            }
        }
        if (database.isEmpty()) {
            throw new IllegalArgumentException("a URL that names its database: postgresql://user:password@host:5432/dbname");
        }
        StringBuilder jdbc = new StringBuilder("jdbc:postgresql://");
        if (socketDirectory != null) {
            // a Unix socket: the JDBC driver connects through our factory to <dir>/.s.PGSQL.<port>
            jdbc.append("localhost");
            kept.add("socketFactory=" + UnixSocketFactory.class.getName());
            kept.add("socketFactoryArg=" + encode(socketDirectory + "/.s.PGSQL." + (port == null ? "5432" : port)));
        } else {
            List<String> specs = new ArrayList<>();
            for (String host : hosts.isEmpty() ? List.of("localhost") : hosts) {
                specs.add(hostSpec(host, port));
            }
            jdbc.append(String.join(",", specs));
        }
        jdbc.append('/').append(encode(database));
        if (!kept.isEmpty()) {
            jdbc.append('?').append(String.join("&", kept));
        }
        DatabaseUrl parsed = withoutCredentialParameters(jdbc.toString());
        return new DatabaseUrl(parsed.jdbcUrl(), user != null ? user : parsed.user(),
                password != null ? password : parsed.password());
    }

    /** Where libpq looks for the server's socket when a URL names no host. */
    static final String DEFAULT_SOCKET_DIRECTORY = "/var/run/postgresql";

    /** {@code host[:port]}, {@code [v6][:port]}; a bad port is refused here rather than by the driver later. */
    private static String hostSpec(String spec, String defaultPort) {
        String host = spec;
        String port = defaultPort;
        if (spec.startsWith("[")) {
            int close = spec.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("an IPv6 host in brackets: postgresql://user@[::1]:5432/dbname");
            }
            host = spec.substring(0, close + 1);
            if (spec.length() > close + 1 && spec.charAt(close + 1) == ':') {
                port = spec.substring(close + 2);
            }
        } else if (spec.indexOf(':') >= 0) {
            host = spec.substring(0, spec.indexOf(':'));
            port = spec.substring(spec.indexOf(':') + 1);
        }
        host = decode(host);
        if (host.isEmpty() || !host.matches("\\[[0-9A-Fa-f:.%]+]|[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("a host name, an IPv4 address or an IPv6 address in brackets, not '"
                    + host.replaceAll("[^A-Za-z0-9._:-]", "?") + "'");
        }
        if (port != null && !port.isEmpty()) {
            if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
                throw new IllegalArgumentException("a port from 1 to 65535");
            }
            return host + ":" + port;
        }
        return host;
    }

    private static String targetServerType(String libpq) {
        return switch (libpq) {
            case "read-write" -> "primary";
            case "read-only" -> "secondary";
            case "prefer-standby" -> "preferSecondary";
            default -> libpq;
        };
    }

    private static String encode(String s) {
        return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Moves {@code user=} and {@code password=} out of a JDBC URL's query. */
    private static DatabaseUrl withoutCredentialParameters(String jdbcUrl) {
        int q = jdbcUrl.indexOf('?');
        if (q < 0) {
            return new DatabaseUrl(jdbcUrl, null, null);
        }
        String user = null;
        String password = null;
        List<String> kept = new ArrayList<>();
        for (String pair : jdbcUrl.substring(q + 1).split("&")) {
            String key = pair.contains("=") ? pair.substring(0, pair.indexOf('=')) : pair;
            String value = pair.contains("=") ? decode(pair.substring(pair.indexOf('=') + 1)) : "";
            switch (key.toLowerCase(Locale.ROOT)) {
                case "user" -> user = value;
                case "password" -> password = value;
                default -> {
                    if (!pair.isEmpty()) {
                        kept.add(pair);
                    }
                }
            }
        }
        return new DatabaseUrl(jdbcUrl.substring(0, q) + (kept.isEmpty() ? "" : "?" + String.join("&", kept)),
                user, password);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
