package io.agnes.bqmc.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import io.agnes.bqmc.support.LogCapture;
import org.junit.jupiter.api.Test;

class SettingsLoaderTest {

    static Settings load(Map<String, String> env) {
        return new SettingsLoader(env, SettingsLoader.classpathDefaults()).load();
    }

    @Test
    void contractDefaults() {
        Settings s = load(Map.of());
        assertThat(s.refreshIntervalSeconds()).isEqualTo(14400);
        assertThat(s.startupGraceSeconds()).isEqualTo(60);
        assertThat(s.refreshConcurrency()).isEqualTo(4);
        assertThat(s.schedulerApiToken()).isNull();
        assertThat(s.tokensFile()).isEqualTo(Path.of("data/tokens"));
        assertThat(s.registryFile()).isNull();
        assertThat(s.database().jdbcUrl()).isEqualTo("jdbc:duckdb:data/system.duckdb");
        assertThat(s.bigQueryProject()).isNull();
        assertThat(s.bigQueryApiUrl()).isNull();
        assertThat(s.credentialsFile()).isNull();
        assertThat(s.bigQueryTimeoutSeconds()).isEqualTo(30);
        assertThat(s.bigQueryMaxAttempts()).isEqualTo(4);
        assertThat(s.retryInitialDelayMs()).isEqualTo(1000);
        assertThat(s.port()).isEqualTo(8080);
        assertThat(s.managementPort()).isEqualTo(9876);
        assertThat(s.freshThresholdSeconds()).isEqualTo(28800);
    }

    /** The OpenTelemetry SDK's variables: traces only with an endpoint; a bad value turns them off, never shown. */
    @Test
    void traceExportFromTheStandardVariables() {
        assertThat(load(Map.of()).traces()).isNull();
        TraceExport base = load(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318",
                "OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=k%3Dsecret%20one, x-tenant = agnes",
                "AGNES_DEPLOYMENT_ENV", "prod")).traces();
        assertThat(base.tracesEndpoint()).isEqualTo(URI.create("http://collector:4318/v1/traces"));
        assertThat(base.headers()).isEqualTo(Map.of("x-api-key", "k=secret one", "x-tenant", "agnes"));
        assertThat(base.environment()).isEqualTo("prod");
        assertThat(base.toString()).doesNotContain("secret");
        assertThat(load(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "https://c.example/otlp/")).traces().tracesEndpoint())
                .isEqualTo(URI.create("https://c.example/otlp/v1/traces"));
        assertThat(load(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "http://b:9/custom")).traces().tracesEndpoint()).isEqualTo(URI.create("http://b:9/custom"));
        try (LogCapture log = LogCapture.open()) {
            assertThat(load(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318", "OTEL_EXPORTER_OTLP_HEADERS",
                    "novalue-secret")).traces()).isNull();
            assertThat(load(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://user:pw-secret@a")).traces()).isNull();
            assertThat(load(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:4318", "OTEL_EXPORTER_OTLP_PROTOCOL",
                    "grpc")).traces().tracesEndpoint()).isEqualTo(URI.create("http://a:4318/v1/traces"));
            assertThat(log.linesContaining("OTEL_EXPORTER_OTLP")).hasSize(3).allMatch(l -> l.startsWith("WARN"))
                    .noneMatch(l -> l.contains("secret"));
        }
    }

    @Test
    void environmentWins() {
        Settings s = load(Map.of("SCHEDULER_BQ_METADATA_REFRESH_INTERVAL", "60", "AGNES_BQ_METADATA_REFRESH_CONCURRENCY",
                "16", "BIGQUERY_PROJECT", "my-project", "BIGQUERY_API_URL", "http://127.0.0.1:9050", "PORT", "18080"));
        assertThat(s.refreshIntervalSeconds()).isEqualTo(60);
        assertThat(s.refreshConcurrency()).isEqualTo(16);
        assertThat(s.bigQueryProject()).isEqualTo("my-project");
        assertThat(s.bigQueryApiUrl()).isEqualTo(URI.create("http://127.0.0.1:9050"));
        assertThat(s.port()).isEqualTo(18080);
        // what Camel's own keys and the timer route read through placeholders
        assertThat(s.camelProperties()).containsEntry("app.server.port", "18080")
                .containsEntry("app.refresh.concurrency", "16")
                .containsEntry("app.scheduler.interval-seconds", "60");
    }

    @Test
    void applicationPropertiesAreTheDefaults() {
        Properties p = SettingsLoader.classpathDefaults();
        p.setProperty("app.refresh.concurrency", "7");
        assertThat(new SettingsLoader(Map.of(), p).load().refreshConcurrency()).isEqualTo(7);
        assertThat(new SettingsLoader(Map.of("AGNES_BQ_METADATA_REFRESH_CONCURRENCY", "0"), p).load()
                .refreshConcurrency()).isEqualTo(7);
    }

    @Test
    void invalidValuesFallBackWithOneWarnNamingTheVariable() {
        Map<String, String> env = Map.of(
                "SCHEDULER_BQ_METADATA_REFRESH_INTERVAL", "-5",
                "SCHEDULER_STARTUP_GRACE_SECONDS", "soon",
                "AGNES_BQ_METADATA_REFRESH_CONCURRENCY", "0",
                "AGNES_DB_URL", "mysql://root:hunter2@db/x",
                "BIGQUERY_PROJECT", "Not A Project",
                "BIGQUERY_API_URL", "ftp://x",
                "BIGQUERY_TIMEOUT_SECONDS", "1.5",
                "BIGQUERY_MAX_ATTEMPTS", "0",
                "BIGQUERY_RETRY_INITIAL_DELAY_MS", "-1",
                "PORT", "70000");
        try (LogCapture logs = LogCapture.open()) {
            Settings s = load(Map.of());
            Settings invalid = load(env);
            assertThat(invalid).isEqualTo(s);
            for (String variable : env.keySet()) {
                assertThat(logs.linesContaining("Ignoring invalid " + variable)).as(variable).hasSize(1)
                        .allSatisfy(line -> assertThat(line).startsWith("WARN"));
            }
            assertThat(logs.lines()).noneMatch(line -> line.contains("hunter2"));
        }
    }

    @Test
    void databaseUrlWinsAndItsCredentialsStayOutOfTheUrl() {
        Settings platform = load(Map.of("DATABASE_URL", "postgresql://agnes:s%40cret@db.internal:5433/agnes?sslmode=require",
                "AGNES_DB_URL", "jdbc:duckdb:/tmp/ignored.duckdb"));
        assertThat(platform.database().jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:5433/agnes?sslmode=require");
        assertThat(platform.database().user()).isEqualTo("agnes");
        assertThat(platform.database().password()).isEqualTo("s@cret");
        assertThat(platform.database().toString()).doesNotContain("cret").doesNotContain("agnes:");

        assertThat(load(Map.of("DATABASE_URL", "postgres://u:p@h/d")).database().jdbcUrl())
                .isEqualTo("jdbc:postgresql://h/d");
        Settings jdbc = load(Map.of("DATABASE_URL", "jdbc:postgresql://h:5432/d?user=u&password=p%26w&ssl=true"));
        assertThat(jdbc.database().jdbcUrl()).isEqualTo("jdbc:postgresql://h:5432/d?ssl=true");
        assertThat(jdbc.database().password()).isEqualTo("p&w");

        // an unusable DATABASE_URL stops the start, naming the variable and never its value: no fallback
        for (String unusable : List.of("postgresql://u:topsecret@h:5432", "postgresql://u:topsecret@h:99999/db",
                "postgresql://u:topsecret@bad host/db", "mysql://u:topsecret@h/db")) {
            assertThatThrownBy(() -> load(Map.of("DATABASE_URL", unusable, "AGNES_DB_URL", "jdbc:duckdb:/tmp/x.duckdb")))
                    .as(unusable).isInstanceOf(IllegalStateException.class).hasMessageContaining("DATABASE_URL")
                    .hasMessageNotContaining("topsecret");
        }
    }

    /** Every form of the platform's URL that libpq takes (issue 23, finding 6). */
    @Test
    void everyFormLibpqTakesMapsToTheJdbcDriversEquivalent() {
        Map<String, String> forms = Map.of(
                "postgresql://u:p@h1:5432,h2:5433/db", "jdbc:postgresql://h1:5432,h2:5433/db",
                "postgresql://u:p@db_primary.internal:5432/agnes", "jdbc:postgresql://db_primary.internal:5432/agnes",
                "postgresql://u:p@[::1]:5432/db", "jdbc:postgresql://[::1]:5432/db",
                "postgresql://u:p@/db?host=/run/pg", "jdbc:postgresql://localhost/db?socketFactory="
                        + io.agnes.bqmc.db.UnixSocketFactory.class.getName() + "&socketFactoryArg=%2Frun%2Fpg%2F.s.PGSQL.5432",
                "postgresql://u:p@%2Frun%2Fpg:6432/db", "jdbc:postgresql://localhost/db?socketFactory="
                        + io.agnes.bqmc.db.UnixSocketFactory.class.getName() + "&socketFactoryArg=%2Frun%2Fpg%2F.s.PGSQL.6432",
                "postgresql://u:p@h/db?sslmode=require&application_name=x&target_session_attrs=read-write",
                "jdbc:postgresql://h/db?sslmode=require&ApplicationName=x&targetServerType=primary",
                "postgres://h/db?user=u&password=p", "jdbc:postgresql://h/db");
        forms.forEach((url, jdbc) -> {
            Settings s = load(Map.of("DATABASE_URL", url));
            assertThat(s.database().jdbcUrl()).as(url).isEqualTo(jdbc);
            assertThat(s.database().user()).as(url).isEqualTo("u");
            assertThat(s.database().password()).as(url).isEqualTo("p");
        });
    }

    @Test
    void shortSchedulerTokenIsDisabledAndNeverLogged() {
        String shortToken = "too-short-secret";
        try (LogCapture logs = LogCapture.open()) {
            assertThat(load(Map.of("SCHEDULER_API_TOKEN", shortToken)).schedulerApiToken()).isNull();
            assertThat(logs.linesContaining("SCHEDULER_API_TOKEN")).hasSize(1);
            assertThat(logs.lines()).noneMatch(l -> l.contains(shortToken));
        }
        String longToken = "x".repeat(32);
        assertThat(load(Map.of("SCHEDULER_API_TOKEN", longToken)).schedulerApiToken()).isEqualTo(longToken);
    }

    /** A trailing newline from a secret store would make the token one no header can carry. */
    @Test
    void whitespaceAroundTheSchedulerTokenIsNotPartOfIt() {
        String token = "s".repeat(40);
        try (LogCapture logs = LogCapture.open()) {
            assertThat(load(Map.of("SCHEDULER_API_TOKEN", "  " + token + "\n")).schedulerApiToken()).isEqualTo(token);
            assertThat(logs.linesContaining("SCHEDULER_API_TOKEN has whitespace around it")).hasSize(1);
            assertThat(load(Map.of("SCHEDULER_API_TOKEN", token.substring(0, 20) + " " + token)).schedulerApiToken())
                    .as("inside it, a header could not carry it either").isNull();
            assertThat(logs.lines()).noneMatch(l -> l.contains(token.substring(0, 20)));
        }
    }

    /** Beyond a year and a day is a typo: it falls back with a WARN rather than failing at start or in the status. */
    @Test
    void intervalsAndGraceBeyondAYearFallBack() {
        try (LogCapture logs = LogCapture.open()) {
            Settings s = load(Map.of("SCHEDULER_BQ_METADATA_REFRESH_INTERVAL", "9223372036854775807",
                    "SCHEDULER_STARTUP_GRACE_SECONDS", Long.toString(Settings.MAX_SECONDS + 1)));
            assertThat(s.refreshIntervalSeconds()).isEqualTo(14400);
            assertThat(s.startupGraceSeconds()).isEqualTo(60);
            assertThat(logs.linesContaining("Ignoring invalid SCHEDULER_")).hasSize(2);
        }
        Settings longest = load(Map.of("SCHEDULER_BQ_METADATA_REFRESH_INTERVAL", Long.toString(Settings.MAX_SECONDS),
                "SCHEDULER_STARTUP_GRACE_SECONDS", Long.toString(Settings.MAX_SECONDS)));
        assertThat(longest.refreshIntervalSeconds()).isEqualTo(Settings.MAX_SECONDS);
        assertThat(longest.freshThresholdSeconds()).isEqualTo(2 * Settings.MAX_SECONDS);
    }
}
