package io.agnes.bqmc.db;

import java.net.URI;
import java.net.URISyntaxException;
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

    private static DatabaseUrl fromPlatformUrl(String s) {
        URI uri;
        try {
            uri = new URI(s);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("a URL such as postgresql://user:password@host:5432/dbname");
        }
        if (uri.getHost() == null || uri.getRawPath() == null || uri.getRawPath().length() <= 1) {
            throw new IllegalArgumentException("a URL with a host and a database: postgresql://user:password@host:5432/dbname");
        }
        String user = null;
        String password = null;
        if (uri.getRawUserInfo() != null) {
            String info = uri.getRawUserInfo();
            int colon = info.indexOf(':');
            user = decode(colon < 0 ? info : info.substring(0, colon));
            password = colon < 0 ? null : decode(info.substring(colon + 1));
        }
        StringBuilder jdbc = new StringBuilder("jdbc:postgresql://").append(uri.getHost().contains(":")
                ? "[" + uri.getHost() + "]" : uri.getHost());
        if (uri.getPort() > 0) {
            jdbc.append(':').append(uri.getPort());
        }
        jdbc.append(uri.getRawPath());
        DatabaseUrl parsed = withoutCredentialParameters(jdbc + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
        return new DatabaseUrl(parsed.jdbcUrl(), user != null ? user : parsed.user(),
                password != null ? password : parsed.password());
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
