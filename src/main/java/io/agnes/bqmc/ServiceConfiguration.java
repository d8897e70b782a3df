package io.agnes.bqmc;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;

import javax.sql.DataSource;

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
import io.agnes.bqmc.cache.CacheWriter;
import io.agnes.bqmc.cache.CachedTables;
import io.agnes.bqmc.config.Settings;
import io.agnes.bqmc.db.Database;
import io.agnes.bqmc.history.RunHistory;
import io.agnes.bqmc.observe.DatabaseHealthCheck;
import io.agnes.bqmc.observe.LastRunHealthCheck;
import io.agnes.bqmc.observe.RefreshMetrics;
import io.agnes.bqmc.refresh.CacheWriteStep;
import io.agnes.bqmc.refresh.PendingTables;
import io.agnes.bqmc.refresh.RefreshSteps;
import io.agnes.bqmc.refresh.SingleFlightRoutePolicy;
import io.agnes.bqmc.registry.RegistryFileImporter;
import io.agnes.bqmc.registry.RegistryTable;
import io.agnes.bqmc.registry.TargetResolver;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.apache.camel.component.micrometer.MicrometerUtils;
import org.apache.camel.component.platform.http.PlatformHttpConstants;

/**
 * Every bean of the service, built from the validated {@link Settings} (bound as
 * {@code settings} before these run). Camel Main binds the beans of one layer before the next
 * layer's, in the order {@link ServiceMain} adds them; within a layer no bean needs another, so
 * the order Camel picks inside a class never matters. The routes find the beans by name.
 */
public final class ServiceConfiguration {

    private ServiceConfiguration() {
    }

    /** What everything else stands on: the database, the BigQuery client, the single-flight gate, the HTTP side. */
    public static class Foundation implements CamelConfiguration {

        /** The system database, with what this service needs created if missing; closed last, after the routes. */
        @BindToRegistry(destroyMethod = "close")
        public HikariDataSource dataSource(Settings settings) throws SQLException {
            HikariDataSource dataSource = Database.open(settings.dbUrl(), settings.refreshConcurrency() + 4);
            try (Connection c = dataSource.getConnection()) {
                RegistryTable.ensure(c);
                CacheSchema.ensure(c);
                RunHistory.ensure(c);
            } catch (SQLException e) {
                dataSource.close();
                throw new SQLException("cannot prepare database " + settings.dbUrl() + ": " + e.getMessage(), e);
            }
            return dataSource;
        }

        /** The contract's GoogleBigQueryConnectionFactory bean. */
        @BindToRegistry
        public ConfiguredBigQueryConnectionFactory bigQueryConnectionFactory(Settings settings) {
            ConfiguredBigQueryConnectionFactory factory = new ConfiguredBigQueryConnectionFactory();
            if (settings.bigQueryApiUrl() != null) {
                factory.setServiceURL(settings.bigQueryApiUrl().toString());
            }
            if (settings.credentialsFile() != null) {
                factory.setServiceAccountKeyFile(settings.credentialsFile().toString());
            }
            factory.setProjectId(settings.bigQueryProject());
            factory.setTimeoutSeconds(settings.bigQueryTimeoutSeconds());
            factory.setMaxConnections(Math.max(20, settings.refreshConcurrency() + 4));
            return factory;
        }

        @BindToRegistry
        public SingleFlightRoutePolicy singleFlightRoutePolicy() {
            return new SingleFlightRoutePolicy();
        }

        @BindToRegistry
        public PendingTables pendingTables() {
            return new PendingTables();
        }

        /** The registry camel-micrometer-prometheus serves on /observe/metrics, so our meters stand beside Camel's. */
        @BindToRegistry(MicrometerConstants.METRICS_REGISTRY_NAME)
        public MeterRegistry metricsRegistry(CamelContext context) {
            MeterRegistry found = MicrometerUtils.getMeterRegistryFromCamelRegistry(context.getRegistry(),
                    MicrometerConstants.METRICS_REGISTRY_NAME);
            return found != null ? found : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        }

        @BindToRegistry(PlatformHttpConstants.PLATFORM_HTTP_ENGINE_NAME)
        public ApiHttpEngine platformHttpEngine(Settings settings) {
            return new ApiHttpEngine(settings.port());
        }

        @BindToRegistry
        public BearerAuthenticator bearerAuthenticator(Settings settings) {
            return new BearerAuthenticator(new TokenFile(settings.tokensFile()), settings.schedulerApiToken(),
                    ApiRoutes.REQUIRED_ROLE, Clock.systemUTC());
        }

        @Override
        public void configure(CamelContext context) throws Exception {
            int port = context.getRegistry().lookupByNameAndType("settings", Settings.class).port();
            // once the API server listens: JSON for the errors Vert.x answers before any route runs
            context.addStartupListener((ctx, alreadyStarted) -> JsonHttpErrors.install(ctx, port));
        }
    }

    /** What reads and writes the database. */
    public static class Stores implements CamelConfiguration {

        @BindToRegistry
        public RunHistory runHistory(DataSource dataSource) {
            return new RunHistory(dataSource);
        }

        @BindToRegistry
        public CacheWriteStep cacheWriteStep(DataSource dataSource, PendingTables pending) {
            return new CacheWriteStep(new CacheWriter(dataSource), pending);
        }

        @BindToRegistry
        public RegistryFileImporter registryFileImporter(DataSource dataSource) {
            return new RegistryFileImporter(dataSource);
        }

        @BindToRegistry
        public DatabaseHealthCheck databaseHealthCheck(DataSource dataSource) {
            return new DatabaseHealthCheck(dataSource);
        }
    }

    /** What watches and reports: the metrics the refresh feeds, and the status answer. */
    public static class Reporting implements CamelConfiguration {

        @BindToRegistry
        public RefreshMetrics refreshMetrics(MeterRegistry meters, SingleFlightRoutePolicy singleFlight,
                                             RunHistory history) throws SQLException {
            return new RefreshMetrics(meters, singleFlight, history, Clock.systemUTC());
        }

        @BindToRegistry
        public StatusReport statusReport(DataSource dataSource, RunHistory history, Settings settings) {
            Duration threshold = Duration.ofSeconds(settings.freshThresholdSeconds());
            return new StatusReport(new CachedTables(dataSource, threshold), history,
                    settings.refreshIntervalSeconds(), threshold, Clock.systemUTC());
        }
    }

    /** The refresh itself, reporting to the metrics; and the health check that judges it. */
    public static class Refresh implements CamelConfiguration {

        @BindToRegistry
        public RefreshSteps refreshSteps(Settings settings, ConfiguredBigQueryConnectionFactory bigQuery,
                                         RunHistory history, PendingTables pending, RefreshMetrics metrics) {
            return new RefreshSteps(new TargetResolver(settings.bigQueryProject()), new TableLookup(bigQuery), history,
                    pending, metrics);
        }

        @BindToRegistry
        public LastRunHealthCheck lastRunHealthCheck(RefreshMetrics metrics, Settings settings) {
            return new LastRunHealthCheck(metrics, Duration.ofSeconds(settings.startupGraceSeconds()),
                    Duration.ofSeconds(settings.freshThresholdSeconds()), Clock.systemUTC());
        }
    }
}
