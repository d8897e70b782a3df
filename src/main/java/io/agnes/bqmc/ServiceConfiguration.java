package io.agnes.bqmc;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import io.agnes.bqmc.api.ApiHttpEngine;
import io.agnes.bqmc.api.ApiRoutes;
import io.agnes.bqmc.api.ApiHttpServer;
import io.agnes.bqmc.api.OpenApiDocument;
import io.agnes.bqmc.api.StatusReport;
import io.agnes.bqmc.auth.BearerAuthenticator;
import io.agnes.bqmc.auth.TokenFile;
import io.agnes.bqmc.bigquery.ConfiguredBigQueryConnectionFactory;
import io.agnes.bqmc.bigquery.RequestRate;
import io.agnes.bqmc.bigquery.TableLookup;
import io.agnes.bqmc.cache.CacheSchema;
import io.agnes.bqmc.cache.CacheWriter;
import io.agnes.bqmc.cache.CachedTables;
import io.agnes.bqmc.config.Settings;
import io.agnes.bqmc.db.Database;
import io.agnes.bqmc.db.SystemDatabase;
import io.agnes.bqmc.db.Dialect;
import io.agnes.bqmc.history.RunHistory;
import io.agnes.bqmc.observe.ApiServingHealthCheck;
import io.agnes.bqmc.observe.DatabaseHealthCheck;
import io.agnes.bqmc.observe.DatabaseOutage;
import io.agnes.bqmc.observe.LastRunHealthCheck;
import io.agnes.bqmc.observe.RegistryFileHealthCheck;
import io.agnes.bqmc.observe.RefreshMetrics;
import io.agnes.bqmc.refresh.CacheWriteStep;
import io.agnes.bqmc.refresh.ClusterRunGate;
import io.agnes.bqmc.refresh.LocalRunGate;
import io.agnes.bqmc.refresh.LookupPool;
import io.agnes.bqmc.refresh.PendingTables;
import io.agnes.bqmc.refresh.RefreshSteps;
import io.agnes.bqmc.refresh.SingleFlightRoutePolicy;
import io.agnes.bqmc.refresh.SingleRefreshes;
import io.agnes.bqmc.registry.RegistryFileImporter;
import io.agnes.bqmc.registry.RegistryFileRoutes;
import io.agnes.bqmc.registry.RegistryTable;
import io.agnes.bqmc.registry.TargetResolver;
import io.agnes.bqmc.support.BuildInfo;
import io.agnes.bqmc.support.Times;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;
import org.apache.camel.spi.IdempotentRepository;
import org.apache.camel.support.processor.idempotent.MemoryIdempotentRepository;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.EventNotifierSupport;
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

    /** What everything else stands on: the database, the BigQuery client, the HTTP side. */
    public static class Foundation implements CamelConfiguration {

        /**
         * The system database, with this service's own tables created if missing; closed last,
         * after the routes. The platform's tables are checked by {@link Stores#registryTable}.
         */
        @BindToRegistry(destroyMethod = "close")
        public SystemDatabase dataSource(Settings settings) throws SQLException {
            Dialect dialect = settings.database().dialect();
            // on recovery from a deleted or replaced DuckDB file too: what an empty database gets at start
            return SystemDatabase.open(settings.database(), Database.POOL_SIZE, c -> {
                RegistryTable.createOnDuckDb(c, dialect);
                CacheSchema.ensure(c, dialect);
                RunHistory.ensure(c, dialect);
            }, List.of(CacheSchema.TABLE, RunHistory.TABLE));
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
            factory.setQuotaProjectId(settings.quotaProject());
            factory.setUserAgent("bq-metadata-cache/" + BuildInfo.version());
            factory.setProxies(settings.proxies());
            factory.setTimeoutSeconds(settings.bigQueryTimeoutSeconds());
            factory.setMaxConnections(Math.max(20, settings.refreshConcurrency() + 4));
            factory.setMaxRequestsPerSecond(settings.maxRequestsPerSecond());
            return factory;
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

        /**
         * The API's port, listening from here on: 503 with Retry-After until the service is
         * ready, so nothing ever sees a 404 from a router whose routes are not in yet.
         */
        @BindToRegistry(destroyMethod = "close")
        public ApiHttpServer apiHttpServer(Settings settings, CamelContext context) {
            ApiHttpServer server = new ApiHttpServer(settings.port());
            server.start(context);
            return server;
        }

        /** Renders /api/openapi.json: camel-openapi-java's document, with a server a client can call. */
        @BindToRegistry
        public OpenApiDocument openApiDocument() {
            return new OpenApiDocument();
        }

        @BindToRegistry
        public BearerAuthenticator bearerAuthenticator(Settings settings) {
            TokenFile tokens = new TokenFile(settings.tokensFile());
            tokens.checkAtStart();
            return new BearerAuthenticator(tokens, settings.schedulerApiToken(),
                    ApiRoutes.REQUIRED_ROLE, Clock.systemUTC());
        }

        @Override
        public void configure(CamelContext context) throws Exception {
            context.getManagementStrategy().addEventNotifier(new EventNotifierSupport() {
                @Override
                public void notify(CamelEvent event) {
                    if (event instanceof CamelEvent.CamelContextStoppingEvent) {
                        apiServer(context).stopping();
                        abortBigQueryBeforeTheStopRunsOut(context);
                    }
                }
            });
            context.addStartupListener(new StartupListener() {
                @Override
                public void onCamelContextStarted(CamelContext ctx, boolean alreadyStarted) {
                    // the client built and its credentials read before the first run is due: a problem is told now
                    bigQuery(ctx).prepare();
                }

                @Override
                public void onCamelContextFullyStarted(CamelContext ctx, boolean alreadyStarted) {
                    // every route in, and the registry file's first import done (Services layer)
                    BearerAuthenticator authenticator = ctx.getRegistry().lookupByNameAndType("bearerAuthenticator",
                            BearerAuthenticator.class);
                    apiServer(ctx).checkCredentialsWith(authenticator::refusal);
                    apiServer(ctx).serve();
                }
            });
        }
    }

    private static ApiHttpServer apiServer(CamelContext context) {
        return context.getRegistry().lookupByNameAndType("apiHttpServer", ApiHttpServer.class);
    }

    private static ConfiguredBigQueryConnectionFactory bigQuery(CamelContext context) {
        return context.getRegistry().lookupByNameAndType("bigQueryConnectionFactory", ConfiguredBigQueryConnectionFactory.class);
    }

    /** What reads and writes the database's tables. */
    public static class Stores implements CamelConfiguration {

        /** The platform's table: checked at start (and created on an empty DuckDB database). */
        @BindToRegistry
        public RegistryTable registryTable(DataSource dataSource, Settings settings) throws SQLException {
            try (Connection c = dataSource.getConnection()) {
                return RegistryTable.ensure(c, settings.database().dialect());
            } catch (SQLException e) {
                throw new SQLException("cannot prepare database " + settings.database() + ": " + e.getMessage(), e);
            }
        }

        @BindToRegistry
        public RunHistory runHistory(DataSource dataSource, Settings settings) {
            return new RunHistory(dataSource, settings.database().dialect());
        }

        @BindToRegistry
        public CacheWriteStep cacheWriteStep(DataSource dataSource, PendingTables pending, Settings settings) {
            return new CacheWriteStep(new CacheWriter(dataSource, settings.database().dialect()), pending);
        }

        /** The pace of every BigQuery request of this replica (BIGQUERY_MAX_REQUESTS_PER_SECOND), the client's. */
        @BindToRegistry
        public RequestRate bigQueryRequestRate(ConfiguredBigQueryConnectionFactory bigQuery, MeterRegistry meters) {
            RequestRate rate = bigQuery.requestRate();
            Gauge.builder("bqmc.bigquery.request.rate", rate, RequestRate::current)
                    .description("BigQuery requests per second allowed now: the limit, or less after BigQuery said"
                            + " too many (0 = no limit)").register(meters);
            return rate;
        }

        @BindToRegistry
        public ApiServingHealthCheck apiServingHealthCheck(ApiHttpServer apiHttpServer) {
            return new ApiServingHealthCheck(apiHttpServer);
        }

        @BindToRegistry
        public DatabaseOutage databaseOutage(MeterRegistry meters) {
            return new DatabaseOutage(meters, Clock.systemUTC());
        }

        @BindToRegistry
        public DatabaseHealthCheck databaseHealthCheck(SystemDatabase dataSource, MeterRegistry meters,
                                                       DatabaseOutage databaseOutage) {
            DatabaseHealthCheck check = new DatabaseHealthCheck(dataSource, databaseOutage);
            Gauge.builder("bqmc.database.up", check, c -> c.reachable() ? 1 : 0)
                    .description("1 while the system database hands out a working connection, else 0").register(meters);
            return check;
        }
    }

    /**
     * A stop lets the lookups in flight finish, but not past the stop's own time limit: three
     * seconds before it, whatever is still waiting on BigQuery is aborted, so the run records
     * its tables as interrupted and answers its caller (a forced stop answered it with an empty
     * 500).
     */
    static void abortBigQueryBeforeTheStopRunsOut(CamelContext context) {
        long waitMs = Math.max(0, TimeUnit.SECONDS.toMillis(context.getShutdownStrategy().getTimeout()) - 3000);
        ConfiguredBigQueryConnectionFactory bigQuery = bigQuery(context);
        Thread abort = new Thread(() -> {
            try {
                Thread.sleep(waitMs);
                bigQuery.abortRequestsInFlight();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "bqmc-stop-deadline");
        abort.setDaemon(true);
        abort.start();
    }

    /** What decides who runs, and what reads the stores for the API. */
    public static class Services implements CamelConfiguration {

        /**
         * One run at a time: in this JVM on DuckDB (whose file only this process opens), across
         * every replica on PostgreSQL.
         */
        @BindToRegistry
        public SingleFlightRoutePolicy singleFlightRoutePolicy(RunHistory history, Settings settings) throws SQLException {
            if (settings.database().dialect() == Dialect.POSTGRESQL) {
                return new SingleFlightRoutePolicy(new ClusterRunGate(settings.database(), history,
                        Duration.ofSeconds(settings.refreshIntervalSeconds())));
            }
            // only this process opens the file: a run still marked running died with an earlier one
            history.abandonRunning(Times.now());
            return new SingleFlightRoutePolicy(new LocalRunGate());
        }

        /** The run's lookup threads: the split waits for room rather than queueing the whole registry. */
        @BindToRegistry(value = "bqRefreshPool", destroyMethod = "shutdown")
        public LookupPool bqRefreshPool(Settings settings) {
            return new LookupPool(settings.refreshConcurrency());
        }

        /** Single-table refreshes: bounded like a run, one lookup per table however many ask. */
        @BindToRegistry
        public SingleRefreshes singleRefreshes(Settings settings) {
            return new SingleRefreshes(settings.refreshConcurrency());
        }

        /** The registry file's versions already imported; forgotten when the database is a new one. */
        @BindToRegistry(RegistryFileRoutes.SEEN)
        public IdempotentRepository registryFileSeen(SystemDatabase dataSource) {
            // with its cache from the start: the import at start adds to it before Camel starts it
            IdempotentRepository seen = MemoryIdempotentRepository.memoryIdempotentRepository(100);
            // a deleted or replaced DuckDB file came back empty: the file's rows are imported again
            dataSource.onRecovery(seen::clear);
            return seen;
        }

        /** Imports a registry file that stands still now, before the API serves (readiness waits for it). */
        @BindToRegistry
        public RegistryFileImporter registryFileImporter(DataSource dataSource, RegistryTable table, Settings settings,
                                                         IdempotentRepository registryFileSeen) {
            RegistryFileImporter importer = new RegistryFileImporter(dataSource, table);
            importer.importAtStart(settings.registryFile(), settings.registryStableSeconds() * 1000L, registryFileSeen);
            return importer;
        }

        @BindToRegistry
        public StatusReport statusReport(DataSource dataSource, RunHistory history, Settings settings) {
            Duration threshold = Duration.ofSeconds(settings.freshThresholdSeconds());
            return new StatusReport(new CachedTables(dataSource, settings.database().dialect(), threshold), history,
                    settings.refreshIntervalSeconds(), threshold, Clock.systemUTC());
        }
    }

    /** What watches the refresh: the metrics it reports to. */
    public static class Reporting implements CamelConfiguration {

        @BindToRegistry
        public RefreshMetrics refreshMetrics(MeterRegistry meters, SingleFlightRoutePolicy singleFlight,
                                             RunHistory history, ConfiguredBigQueryConnectionFactory bigQuery,
                                             Settings settings) throws SQLException {
            return new RefreshMetrics(meters, singleFlight, history, () -> bigQuery.credentialsProblem() == null,
                    Duration.ofSeconds(settings.refreshIntervalSeconds()), settings.replica(), Clock.systemUTC());
        }
    }

    /** The refresh itself, reporting to the metrics; and the health check that judges it. */
    public static class Refresh implements CamelConfiguration {

        @BindToRegistry
        public RefreshSteps refreshSteps(Settings settings, ConfiguredBigQueryConnectionFactory bigQuery,
                                         RequestRate rate, RunHistory history, PendingTables pending,
                                         RefreshMetrics metrics, RegistryTable registryTable, DataSource dataSource,
                                         LookupPool bqRefreshPool) {
            return new RefreshSteps(new TargetResolver(settings.bigQueryProject()), new TableLookup(bigQuery, rate,
                    Duration.ofSeconds(settings.bigQueryTimeoutSeconds())),
                    history, pending, metrics, settings.replica(), registryTable, dataSource, bqRefreshPool);
        }

        /** DOWN while the registry file's newest version could not be imported. */
        @BindToRegistry
        public RegistryFileHealthCheck registryFileHealthCheck(RegistryFileImporter importer, Settings settings) {
            return new RegistryFileHealthCheck(importer, settings.registryFile());
        }

        @BindToRegistry
        public LastRunHealthCheck lastRunHealthCheck(RefreshMetrics metrics, Settings settings) {
            return new LastRunHealthCheck(metrics, Duration.ofSeconds(settings.startupGraceSeconds()),
                    Duration.ofSeconds(settings.freshThresholdSeconds()), Clock.systemUTC());
        }
    }
}
