package io.agnes.bqmc.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.agnes.bqmc.api.ApiHttpEngine;
import io.agnes.bqmc.api.ApiRoutes;
import io.agnes.bqmc.api.JsonHttpErrors;
import io.agnes.bqmc.api.StatusReport;
import io.agnes.bqmc.auth.BearerAuthenticator;
import io.agnes.bqmc.auth.TokenFile;
import io.agnes.bqmc.bigquery.ConfiguredBigQueryConnectionFactory;
import io.agnes.bqmc.bigquery.TableLookup;
import io.agnes.bqmc.cache.CacheSchema;
import io.agnes.bqmc.cache.CacheWriteProcessor;
import io.agnes.bqmc.cache.CacheWriter;
import io.agnes.bqmc.cache.CacheWrites;
import io.agnes.bqmc.refresh.PendingTables;
import io.agnes.bqmc.observe.DatabaseHealthCheck;
import io.agnes.bqmc.observe.LastRunHealthCheck;
import io.agnes.bqmc.observe.RefreshMonitor;
import io.agnes.bqmc.observe.RunHistory;
import io.agnes.bqmc.refresh.SingleFlightRoutePolicy;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.apache.camel.component.micrometer.MicrometerUtils;
import io.agnes.bqmc.registry.RegistryFileImporter;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.PlatformHttpConstants;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires every bean of the service in one place, from the validated {@link Settings}. The
 * routes find them by name ({@code dataSource} for camel-jdbc, {@code tableLookup},
 * {@code singleFlightRoutePolicy}, {@code registryFileImporter}).
 */
public class AppConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(AppConfiguration.class);

    private final Settings settings;

    public AppConfiguration(Settings settings) {
        this.settings = settings;
    }

    @Override
    public void configure(CamelContext context) throws Exception {
        HikariDataSource dataSource = dataSource(settings);
        PendingTables pending = new PendingTables();
        CacheWriter cacheWriter = new CacheWriter(dataSource);
        // stopped after the routes, so an in-flight run could still write: first the writer
        // commits what is queued, then what the run could not finish is recorded as failed,
        // then the database closes
        context.addService(new ServiceSupport() {
            @Override
            protected void doStart() {
                cacheWriter.start();
            }

            @Override
            protected void doStop() {
                cacheWriter.stop();
                recordInterrupted(dataSource, pending);
                dataSource.close();
            }
        }, true, true);

        ConfiguredBigQueryConnectionFactory bigQuery = new ConfiguredBigQueryConnectionFactory(settings);
        bigQuery.setCamelContext(context);

        MeterRegistry meters = meterRegistry(context);
        SingleFlightRoutePolicy singleFlight = new SingleFlightRoutePolicy();
        RunHistory history = new RunHistory(dataSource);
        RefreshMonitor monitor = new RefreshMonitor(meters, singleFlight, history, Clock.systemUTC());

        // once the API server listens: JSON for the errors Vert.x answers before any route runs
        context.addStartupListener((ctx, alreadyStarted) -> JsonHttpErrors.install(ctx, settings.port()));

        Registry registry = context.getRegistry();
        registry.bind("settings", settings);
        registry.bind("dataSource", dataSource);
        registry.bind("runHistory", history);
        registry.bind("refreshMonitor", monitor);
        registry.bind("bigQueryConnectionFactory", bigQuery);
        registry.bind("tableLookup", new TableLookup(bigQuery, monitor));
        registry.bind("singleFlightRoutePolicy", singleFlight);
        registry.bind("pendingTables", pending);
        registry.bind("cacheWriteProcessor", new CacheWriteProcessor(cacheWriter));
        registry.bind("registryFileImporter", new RegistryFileImporter(dataSource));
        registry.bind("databaseHealthCheck", new DatabaseHealthCheck(dataSource));
        registry.bind("lastRunHealthCheck", new LastRunHealthCheck(monitor, settings, Clock.systemUTC()));
        registry.bind(PlatformHttpConstants.PLATFORM_HTTP_ENGINE_NAME, new ApiHttpEngine(settings.port()));
        registry.bind("statusReport", new StatusReport(dataSource, history, settings, Clock.systemUTC()));
        registry.bind("bearerAuthenticator", new BearerAuthenticator(new TokenFile(settings.tokensFile()),
                settings.schedulerApiToken(), ApiRoutes.REQUIRED_ROLE, Clock.systemUTC()));
    }

    static void recordInterrupted(DataSource dataSource, PendingTables pending) {
        List<String> unfinished = pending.drain();
        if (unfinished.isEmpty()) {
            return;
        }
        try (Connection c = dataSource.getConnection()) {
            CacheWrites.recordFailures(c, unfinished, PendingTables.INTERRUPTED);
            LOG.warn("stopped during a refresh: {} table(s) recorded as interrupted", unfinished.size());
        } catch (SQLException e) {
            LOG.error("stopped during a refresh: could not record {} unfinished table(s): {}", unfinished.size(),
                    e.getMessage());
        }
    }

    /**
     * The registry camel-micrometer-prometheus serves on /observe/metrics, so our meters stand
     * beside Camel's. Whichever of us runs first creates and binds it; the other finds it.
     */
    static MeterRegistry meterRegistry(CamelContext context) {
        MeterRegistry found = MicrometerUtils.getMeterRegistryFromCamelRegistry(context.getRegistry(),
                MicrometerConstants.METRICS_REGISTRY_NAME);
        if (found == null) {
            found = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            context.getRegistry().bind(MicrometerConstants.METRICS_REGISTRY_NAME, found);
        }
        return found;
    }

    /**
     * A small pool: DuckDB is in-process, so connections are cheap, but each refresh thread
     * writes, and the API reads beside it.
     */
    static HikariDataSource dataSource(Settings settings) throws SQLException {
        createParentDirectory(settings.dbUrl());
        HikariConfig config = new HikariConfig();
        config.setPoolName("bqmc-db");
        config.setJdbcUrl(settings.dbUrl());
        config.setMaximumPoolSize(settings.refreshConcurrency() + 4);
        config.setMinimumIdle(1);
        config.setConnectionTimeout(30_000);
        // fail the start with the driver's own reason (missing directory, file locked by another process)
        config.setInitializationFailTimeout(1);
        HikariDataSource dataSource;
        try {
            dataSource = new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new SQLException("cannot open database " + settings.dbUrl() + ": " + rootMessage(e), e);
        }
        try {
            CacheSchema.ensure(dataSource);
        } catch (SQLException e) {
            dataSource.close();
            throw new SQLException("cannot prepare database " + settings.dbUrl() + ": " + e.getMessage(), e);
        }
        return dataSource;
    }

    /** DuckDB creates the file but not its directory; {@code data/} should just work. */
    private static void createParentDirectory(String url) {
        String prefix = "jdbc:duckdb:";
        if (!url.startsWith(prefix)) {
            return;
        }
        String file = url.substring(prefix.length());
        int query = file.indexOf('?');
        if (query >= 0) {
            file = file.substring(0, query);
        }
        if (file.isEmpty() || file.startsWith(":memory:")) {
            return;
        }
        Path parent = Path.of(file).toAbsolutePath().getParent();
        try {
            Files.createDirectories(parent);
        } catch (Exception ignored) {
            // the driver's own error on open names the problem better
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
