package io.agnes.bqmc.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;

import io.agnes.bqmc.bigquery.BigQueryTarget;
import io.agnes.bqmc.bigquery.HttpProxies;
import io.agnes.bqmc.db.DatabaseUrl;
import io.agnes.bqmc.support.LogFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.helpers.MessageFormatter;

/**
 * Reads the contract's environment variables over the defaults in application.properties,
 * which is the one place a default is written. An invalid value never stops the service: it
 * falls back to the default and logs exactly one WARN that names the variable (contract
 * section 2). Secrets are never echoed.
 */
public final class SettingsLoader {

    private static final Logger LOG = LoggerFactory.getLogger(SettingsLoader.class);

    static final int MIN_SCHEDULER_TOKEN_LENGTH = 32;

    private final Map<String, String> env;
    private final Properties defaults;
    private final List<String> warnings = new ArrayList<>();

    public SettingsLoader(Map<String, String> env, Properties defaults) {
        this.env = env;
        this.defaults = defaults;
    }

    /** The WARNs loading logged, in order: what an operator would read at start. */
    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    private void warn(String format, Object... args) {
        String message = MessageFormatter.arrayFormat(format, args).getMessage();
        warnings.add(message);
        LOG.warn(message);
    }

    /** The defaults shipped in application.properties on the classpath. */
    public static Properties classpathDefaults() {
        Properties p = new Properties();
        try (InputStream in = SettingsLoader.class.getResourceAsStream("/application.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read application.properties", e);
        }
        return p;
    }

    public Settings load() {
        return new Settings(
                read(EnvironmentVariable.SCHEDULER_BQ_METADATA_REFRESH_INTERVAL, "app.scheduler.interval-seconds",
                        longInRange(1, Settings.MAX_SECONDS, "a whole number of seconds greater than 0")),
                read(EnvironmentVariable.SCHEDULER_STARTUP_GRACE_SECONDS, "app.scheduler.startup-grace-seconds",
                        longInRange(0, Settings.MAX_SECONDS, "a whole number of seconds, 0 or more")),
                read(EnvironmentVariable.AGNES_BQ_METADATA_REFRESH_CONCURRENCY, "app.refresh.concurrency",
                        intInRange(1, 256, "a whole number from 1 to 256")),
                schedulerToken(),
                read(EnvironmentVariable.AGNES_TOKENS_FILE, "app.auth.tokens-file", SettingsLoader::path),
                read(EnvironmentVariable.AGNES_REGISTRY_FILE, "app.registry.file", SettingsLoader::path),
                database(),
                read(EnvironmentVariable.BIGQUERY_PROJECT, "app.bigquery.project", SettingsLoader::projectId),
                read(EnvironmentVariable.BIGQUERY_API_URL, "app.bigquery.api-url", SettingsLoader::httpUrl),
                read(EnvironmentVariable.GOOGLE_APPLICATION_CREDENTIALS, "app.bigquery.credentials-file", SettingsLoader::path),
                read(EnvironmentVariable.BIGQUERY_TIMEOUT_SECONDS, "app.bigquery.timeout-seconds",
                        intInRange(1, 3600, "a whole number of seconds from 1 to 3600")),
                read(EnvironmentVariable.BIGQUERY_MAX_ATTEMPTS, "app.bigquery.max-attempts",
                        intInRange(1, 20, "a whole number from 1 to 20")),
                read(EnvironmentVariable.BIGQUERY_RETRY_INITIAL_DELAY_MS, "app.bigquery.retry-initial-delay-ms",
                        longInRange(0, Settings.RETRY_MAX_DELAY_MS, "a whole number of milliseconds from 0 to 32000")),
                read(EnvironmentVariable.PORT, "app.server.port", intInRange(1, 65535, "a TCP port from 1 to 65535")),
                read(EnvironmentVariable.MANAGEMENT_PORT, "app.management.port", intInRange(1, 65535, "a TCP port from 1 to 65535")),
                replica(),
                read(EnvironmentVariable.BIGQUERY_QUOTA_PROJECT, "app.bigquery.quota-project", SettingsLoader::projectId),
                new HttpProxies(proxy(EnvironmentVariable.HTTPS_PROXY), proxy(EnvironmentVariable.HTTP_PROXY),
                        HttpProxies.parseNoProxy(either(EnvironmentVariable.NO_PROXY) == null ? "" : either(EnvironmentVariable.NO_PROXY))),
                read(EnvironmentVariable.BIGQUERY_MAX_REQUESTS_PER_SECOND, "app.bigquery.max-requests-per-second",
                        intInRange(0, 10_000, "a whole number of requests per second from 0 (no limit) to 10000")),
                read(EnvironmentVariable.AGNES_REGISTRY_FILE_STABLE_SECONDS, "app.registry.stable-seconds",
                        intInRange(1, 300, "a whole number of seconds from 1 to 300")),
                read(EnvironmentVariable.SHUTDOWN_DRAIN_SECONDS, "app.shutdown.drain-seconds",
                        intInRange(0, 300, "a whole number of seconds from 0 to 300")),
                read(EnvironmentVariable.API_HEADER_TIMEOUT_SECONDS, "app.server.header-timeout-seconds",
                        intInRange(1, 300, "a whole number of seconds from 1 to 300")),
                traces(),
                changeEvents());
    }

    /**
     * The events endpoint is on when both its audience and its push account are set: a token
     * checked against one of them only would let any Google-signed token for that audience in.
     */
    private ChangeEvents changeEvents() {
        String audience = env.get(EnvironmentVariable.BQMC_EVENTS_AUDIENCE.name());
        String account = env.get(EnvironmentVariable.BQMC_EVENTS_SERVICE_ACCOUNT.name());
        boolean hasAudience = audience != null && !audience.isBlank();
        boolean hasAccount = account != null && !account.isBlank();
        if (!hasAudience && !hasAccount) {
            return null;
        }
        if (!hasAudience || !hasAccount) {
            warn("{} is set but {} is not: both are needed to check a push's token; the events endpoint is off",
                    hasAudience ? EnvironmentVariable.BQMC_EVENTS_AUDIENCE : EnvironmentVariable.BQMC_EVENTS_SERVICE_ACCOUNT,
                    hasAudience ? EnvironmentVariable.BQMC_EVENTS_SERVICE_ACCOUNT : EnvironmentVariable.BQMC_EVENTS_AUDIENCE);
            return null;
        }
        URI certs = read(EnvironmentVariable.BQMC_EVENTS_CERTS_URL, "app.events.certs-url", SettingsLoader::httpUrl);
        int debounce = read(EnvironmentVariable.BQMC_EVENTS_DEBOUNCE_SECONDS, "app.events.debounce-seconds",
                intInRange(0, 3600, "a whole number of seconds from 0 to 3600"));
        return new ChangeEvents(audience.strip(), account.strip(), certs, debounce);
    }

    /**
     * Traces are exported when an OTLP endpoint is set. Its headers usually hold an API key, and
     * an endpoint may hold credentials: a rejected value is named, never shown, and traces stay off.
     */
    private TraceExport traces() {
        String signal = env.get(EnvironmentVariable.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT.name());
        String base = env.get(EnvironmentVariable.OTEL_EXPORTER_OTLP_ENDPOINT.name());
        boolean own = signal != null && !signal.isBlank();
        if (!own && (base == null || base.isBlank())) {
            return null;
        }
        EnvironmentVariable named = own ? EnvironmentVariable.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
                : EnvironmentVariable.OTEL_EXPORTER_OTLP_ENDPOINT;
        URI endpoint;
        try {
            endpoint = httpUrl(own ? signal.strip() : base.strip());
        } catch (IllegalArgumentException e) {
            warn("Ignoring invalid {} (value not shown): must be {}; no traces are exported", named, e.getMessage());
            return null;
        }
        if (!own) {
            // the specification's signal path, appended to the base URL's path
            String path = endpoint.getRawPath() == null ? "" : endpoint.getRawPath();
            endpoint = endpoint.resolve((path.endsWith("/") ? path : path + "/") + "v1/traces");
        }
        String protocol = env.get(EnvironmentVariable.OTEL_EXPORTER_OTLP_PROTOCOL.name());
        if (protocol != null && !protocol.isBlank() && !protocol.strip().equals("http/protobuf")) {
            warn("OTEL_EXPORTER_OTLP_PROTOCOL={} is not supported: traces are exported as http/protobuf to {}",
                    printable(protocol), named);
        }
        Map<String, String> headers;
        try {
            headers = otlpHeaders(env.getOrDefault(EnvironmentVariable.OTEL_EXPORTER_OTLP_HEADERS.name(), ""));
        } catch (IllegalArgumentException e) {
            warn("Ignoring invalid OTEL_EXPORTER_OTLP_HEADERS (value not shown: it may hold a key): {}; no traces"
                    + " are exported", e.getMessage());
            return null;
        }
        return new TraceExport(endpoint, headers, LogFormat.deploymentEnv(env));
    }

    /** {@code key1=value1,key2=value2}, values percent-encoded, as the OpenTelemetry specification has it. */
    static Map<String, String> otlpHeaders(String raw) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (String pair : raw.split(",")) {
            if (pair.isBlank()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("each item must be name=value");
            }
            String name = pair.substring(0, eq).strip();
            String value = java.net.URLDecoder.decode(pair.substring(eq + 1).strip(), java.nio.charset.StandardCharsets.UTF_8);
            if (!name.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+") || value.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                throw new IllegalArgumentException("a header name or value is not valid in HTTP");
            }
            headers.put(name, value);
        }
        return Map.copyOf(headers);
    }

    /** The standard variables are read in upper case, else in lower case, as curl does. */
    private String either(EnvironmentVariable variable) {
        String upper = env.get(variable.name());
        return upper != null && !upper.isBlank() ? upper : env.get(variable.name().toLowerCase(java.util.Locale.ROOT));
    }

    /** A proxy variable; its value may hold a password, so a rejected one is named, not shown. */
    private URI proxy(EnvironmentVariable variable) {
        String raw = either(variable);
        if (raw == null || raw.isBlank()) {
            return null;
        }
        try {
            return HttpProxies.parseProxy(raw);
        } catch (IllegalArgumentException e) {
            warn("Ignoring invalid {} (value not shown: it may hold credentials): must be {}; BigQuery is reached"
                    + " without it", variable, e.getMessage());
            return null;
        }
    }

    /**
     * {@code DATABASE_URL} (the platform's PostgreSQL) wins over {@code AGNES_DB_URL}. Both may
     * hold credentials: a rejected value is never echoed, only named. Public for the commands
     * that need nothing else.
     */
    public DatabaseUrl database() {
        DatabaseUrl fallback = parseDefault("app.db.url", DatabaseUrl::parse);
        String platform = env.get(EnvironmentVariable.DATABASE_URL.name());
        if (platform != null && !platform.isBlank()) {
            try {
                return DatabaseUrl.parse(platform);
            } catch (IllegalArgumentException e) {
                // never another database instead of the one named: a replica on a local file would look healthy
                throw new IllegalStateException("DATABASE_URL is not usable (value not shown: it may hold credentials):"
                        + " must be " + e.getMessage());
            }
        }
        String raw = env.get(EnvironmentVariable.AGNES_DB_URL.name());
        if (raw == null || raw.isBlank()) {
            return fallback;
        }
        try {
            return DatabaseUrl.parse(raw);
        } catch (IllegalArgumentException e) {
            warn("Ignoring invalid AGNES_DB_URL (value not shown: it may hold credentials): must be {};"
                    + " using the default {}", e.getMessage(), fallback);
            return fallback;
        }
    }

    /** {@code REPLICA_ID}, else the host name (a pod's name on Kubernetes). */
    private String replica() {
        return LogFormat.replica(env);
    }

    /** {@code AGNES_TOKENS_FILE} alone, for the commands that need nothing else. */
    public Path tokensFile() {
        return read(EnvironmentVariable.AGNES_TOKENS_FILE, "app.auth.tokens-file", SettingsLoader::path);
    }

    /**
     * The environment variable, else the application.properties default. A blank value counts
     * as unset; an unset optional value is null.
     */
    private <T> T read(EnvironmentVariable variable, String key, Function<String, T> parser) {
        T fallback = parseDefault(key, parser);
        String raw = env.get(variable.name());
        if (raw == null || raw.isBlank()) {
            return fallback;
        }
        try {
            return parser.apply(raw.trim());
        } catch (IllegalArgumentException e) {
            warn("Ignoring invalid {}='{}': must be {}; using the default {}",
                    variable, printable(raw), e.getMessage(), fallback == null ? "(unset)" : fallback);
            return fallback;
        }
    }

    private <T> T parseDefault(String key, Function<String, T> parser) {
        String configured = defaults.getProperty(key);
        if (configured == null) {
            throw new IllegalStateException("application.properties lacks " + key);
        }
        configured = configured.trim();
        return configured.isEmpty() ? null : parser.apply(configured);
    }

    /**
     * The scheduler secret is special: too short means disabled, and its value is never logged.
     * Whitespace around it (a trailing newline from a secret store) is not part of it: a caller
     * could never send it in a header.
     */
    private String schedulerToken() {
        String raw = env.get(EnvironmentVariable.SCHEDULER_API_TOKEN.name());
        if (raw == null || raw.isEmpty()) {
            return null;
        }
        String token = raw.strip();
        if (!token.equals(raw)) {
            warn("SCHEDULER_API_TOKEN has whitespace around it: using it without (a header cannot carry it)");
        }
        if (token.length() < MIN_SCHEDULER_TOKEN_LENGTH || token.chars().anyMatch(c -> c <= ' ')) {
            warn("SCHEDULER_API_TOKEN is shorter than {} characters or holds whitespace: the scheduler token is"
                    + " disabled", MIN_SCHEDULER_TOKEN_LENGTH);
            return null;
        }
        return token;
    }

    private static String printable(String raw) {
        String cut = raw.length() > 80 ? raw.substring(0, 80) + "..." : raw;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }

    private static Function<String, Long> longInRange(long min, long max, String rule) {
        return s -> {
            long v;
            try {
                v = Long.parseLong(s);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(rule);
            }
            if (v < min || v > max) {
                throw new IllegalArgumentException(rule);
            }
            return v;
        };
    }

    private static Function<String, Integer> intInRange(int min, int max, String rule) {
        return s -> Math.toIntExact(longInRange(min, max, rule).apply(s));
    }


    private static Path path(String s) {
        if (s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("a file path");
        }
        return Path.of(s);
    }

    private static String projectId(String s) {
        if (!BigQueryTarget.isProjectId(s)) {
            throw new IllegalArgumentException("a Google Cloud project id (6-30 of a-z, 0-9 and -)");
        }
        return s;
    }

    private static URI httpUrl(String s) {
        try {
            URI uri = new URI(s);
            String scheme = uri.getScheme();
            if (("http".equals(scheme) || "https".equals(scheme)) && uri.getHost() != null) {
                return uri;
            }
        } catch (Exception ignored) {
            // fall through to the rule below
        }
        throw new IllegalArgumentException("an http(s) URL such as http://127.0.0.1:9050");
    }
}
