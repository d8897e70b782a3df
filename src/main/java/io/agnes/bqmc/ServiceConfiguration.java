package io.agnes.bqmc;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.agnes.bqmc.api.ApiHttpEngine;
import io.agnes.bqmc.api.ApiHttpServer;
import io.agnes.bqmc.api.ApiRoutes;
import io.agnes.bqmc.api.OpenApiDocument;
import io.agnes.bqmc.api.Refusals;
import io.agnes.bqmc.api.RequestContext;
import io.agnes.bqmc.api.RunEvents;
import io.agnes.bqmc.api.StatusPage;
import io.agnes.bqmc.audit.AuditTrail;
import io.agnes.bqmc.api.StatusReport;
import io.agnes.bqmc.auth.BearerAuthenticator;
import io.agnes.bqmc.auth.TokenFile;
import io.agnes.bqmc.bigquery.ConfiguredBigQueryConnectionFactory;
import io.agnes.bqmc.bigquery.RequestRate;
import io.agnes.bqmc.bigquery.TableLookup;
import io.agnes.bqmc.cache.CacheSchema;
import io.agnes.bqmc.cache.CacheWriter;
import io.agnes.bqmc.cache.CachedTables;
import io.agnes.bqmc.cache.KeptTables;
import io.agnes.bqmc.config.ChangeEvents;
import io.agnes.bqmc.config.Settings;
import io.agnes.bqmc.events.ChangeIntake;
import io.agnes.bqmc.events.ChangeLookups;
import io.agnes.bqmc.events.ChangeMetrics;
import io.agnes.bqmc.events.ChangeQueue;
import io.agnes.bqmc.events.ChangeRoutes;
import io.agnes.bqmc.events.PushTokens;
import io.agnes.bqmc.events.RegisteredTables;
import io.agnes.bqmc.events.SigningKeys;
import io.agnes.bqmc.api.ChangeEventsEndpoint;
import io.agnes.bqmc.db.Dialect;
import io.agnes.bqmc.db.ConnectionPool;
import io.agnes.bqmc.db.Database;
import io.agnes.bqmc.history.RunHistory;
import io.agnes.bqmc.api.ApiServingHealthCheck;
import io.agnes.bqmc.observe.DatabaseHealthCheck;
import io.agnes.bqmc.observe.DatabaseOutage;
import io.agnes.bqmc.observe.LastRunHealthCheck;
import io.agnes.bqmc.observe.RefreshMetrics;
import io.agnes.bqmc.observe.RegistryFileHealthCheck;
import io.agnes.bqmc.observe.Tracing;
import io.agnes.bqmc.refresh.CacheWriteStep;
import io.agnes.bqmc.refresh.ClusterRunGate;
import io.agnes.bqmc.refresh.LocalRunGate;
import io.agnes.bqmc.refresh.LookupPool;
import io.agnes.bqmc.refresh.PendingTables;
import io.agnes.bqmc.refresh.RefreshSteps;
import io.agnes.bqmc.refresh.RunProgress;
import io.agnes.bqmc.refresh.SingleFlightRoutePolicy;
import io.agnes.bqmc.refresh.OneTableRefreshes;
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
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;
import org.apache.camel.util.concurrent.ThreadPoolRejectedPolicy;
import org.apache.camel.builder.ThreadPoolProfileBuilder;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.apache.camel.component.micrometer.MicrometerUtils;
import org.apache.camel.component.platform.http.PlatformHttpConstants;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.spi.ExecutorServiceManager;
import org.apache.camel.spi.IdempotentRepository;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.EventNotifierSupport;
import org.apache.camel.support.processor.idempotent.MemoryIdempotentRepository;

/**
 * Every bean of the service, built from the validated {@link Settings} in plain construction order: each bean is made after the
 * ones it needs, and bound under the name the routes and tests look it up by. Threads all come
 * from Camel's {@code ExecutorServiceManager}: named, and shut down with the context.
 */
public final class ServiceConfiguration implements CamelConfiguration {

    private final Settings settings;

    /** The timers made here: their pending deadlines are dropped once the context has stopped. */
    private final List<ScheduledExecutorService> timers = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** A single-thread timer of Camel's, stopped with the context without waiting for what it still holds. */
    private ScheduledExecutorService timer(CamelContext context, String name) {
        ScheduledExecutorService timer = context.getExecutorServiceManager().newSingleThreadScheduledExecutor(this, name);
        timers.add(timer);
        return timer;
    }

    /** @param settings the validated settings, also bound as {@code settings} */
    public ServiceConfiguration(Settings settings) {
        this.settings = settings;
    }

    @Override
    public void configure(CamelContext context) throws Exception {
        Registry registry = context.getRegistry();
        ExecutorServiceManager threads = context.getExecutorServiceManager();
        Clock clock = Clock.systemUTC();
        Dialect dialect = settings.database().dialect();
        Duration interval = Duration.ofSeconds(settings.refreshIntervalSeconds());
        Duration threshold = Duration.ofSeconds(settings.freshThresholdSeconds());

        // traces, when an OTLP endpoint is set: Camel's tracer goes in before any route is built
        Tracing tracing = Tracing.of(settings.traces(), settings.replica());
        tracing.installInto(context);
        registry.bind("tracing", Tracing.class, tracing, null, "close");

        // the HTTP side first: the port answers 503 with Retry-After until the service is ready,
        // so nothing ever sees a 404 from a router whose routes are not in yet
        registry.bind(PlatformHttpConstants.PLATFORM_HTTP_ENGINE_NAME, new ApiHttpEngine(settings.port()));
        ApiHttpServer api = new ApiHttpServer(settings.port(), settings.headerTimeoutSeconds());
        api.start(context);
        registry.bind("apiHttpServer", ApiHttpServer.class, api, null, "close");
        registry.bind("openApiDocument", new OpenApiDocument());
        TokenFile tokens = new TokenFile(settings.tokensFile());
        tokens.checkAtStart();
        BearerAuthenticator authenticator = new BearerAuthenticator(tokens, settings.schedulerApiToken(),
                ApiRoutes.REQUIRED_ROLE, clock);
        registry.bind("bearerAuthenticator", authenticator);

        // the registry camel-micrometer-prometheus serves on /observe/metrics, so our meters stand beside Camel's
        MeterRegistry meters = MicrometerUtils.getMeterRegistryFromCamelRegistry(registry,
                MicrometerConstants.METRICS_REGISTRY_NAME);
        if (meters == null) {
            meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            registry.bind(MicrometerConstants.METRICS_REGISTRY_NAME, meters);
        }

        // the system database, our tables created if missing (on recovery from a deleted or
        // replaced DuckDB file too); closed last, after the routes
        Database database = Database.open(settings.database(), ConnectionPool.POOL_SIZE, c -> {
            RegistryTable.createOnDuckDb(c, dialect);
            CacheSchema.ensure(c, dialect);
            RunHistory.ensure(c, dialect);
            if (settings.changeEvents() != null) {
                ChangeQueue.ensure(c, dialect);
            }
        }, settings.changeEvents() != null ? List.of(CacheSchema.TABLE, RunHistory.TABLE, ChangeQueue.TABLE)
                : List.of(CacheSchema.TABLE, RunHistory.TABLE));
        registry.bind("dataSource", Database.class, database, null, "close");
        RegistryTable registryTable;
        try (Connection c = database.getConnection()) {
            registryTable = RegistryTable.ensure(c, dialect);
        } catch (SQLException e) {
            throw new SQLException("cannot prepare database " + settings.database() + ": " + e.getMessage(), e);
        }
        registry.bind("registryTable", registryTable);
        RunHistory history = new RunHistory(database);
        registry.bind("runHistory", history);
        DatabaseOutage outage = new DatabaseOutage(meters, clock);
        registry.bind("databaseOutage", outage);
        DatabaseHealthCheck databaseCheck = new DatabaseHealthCheck(database, outage,
                threads.newSingleThreadExecutor(database, "bqmc-database-probe"));
        Gauge.builder("bqmc.database.up", databaseCheck, c -> c.reachable() ? 1 : 0)
                .description("1 while the system database hands out a working connection, else 0").register(meters);
        registry.bind("databaseHealthCheck", databaseCheck);

        // the platform's audit trail, where the database has it; requests' ids and refusals
        AuditTrail audit = new AuditTrail(database, threads.newThreadPool(this, "bqmc-audit-writer",
                new ThreadPoolProfileBuilder("bqmc-audit-writer").poolSize(1).maxPoolSize(1)
                        .maxQueueSize(AuditTrail.QUEUE).rejectedPolicy(ThreadPoolRejectedPolicy.Abort).build()),
                meters, System::nanoTime);
        registry.bind("auditTrail", audit);
        registry.bind("requestContext", new RequestContext(audit));
        Refusals refusals = new Refusals(meters, System::nanoTime);
        registry.bind("refusals", refusals);
        api.countRefusalsWith(refusals);

        // BigQuery: the contract's GoogleBigQueryConnectionFactory bean and its pace
        ConfiguredBigQueryConnectionFactory bigQuery = bigQuery(settings,
                timer(context, "bqmc-bigquery-deadline"));
        bigQuery.setTracer(tracing.tracer());
        registry.bind("bigQueryConnectionFactory", bigQuery);
        RequestRate rate = bigQuery.requestRate();
        Gauge.builder("bqmc.bigquery.request.rate", rate, RequestRate::current)
                .description("BigQuery requests per second allowed now: the limit, or less after BigQuery said"
                        + " too many (0 = no limit)").register(meters);
        registry.bind("bigQueryRequestRate", rate);

        // who runs: one run at a time, in this JVM on DuckDB (whose file only this process
        // opens), across every replica on PostgreSQL
        SingleFlightRoutePolicy singleFlight;
        if (dialect == Dialect.POSTGRESQL) {
            singleFlight = new SingleFlightRoutePolicy(new ClusterRunGate(settings.database(), history, interval,
                    timer(context, "bqmc-run-lock-heartbeat")));
        } else {
            // only this process opens the file: a run still marked running died with an earlier one
            history.abandonRunning(Times.now());
            singleFlight = new SingleFlightRoutePolicy(new LocalRunGate());
        }
        registry.bind("singleFlightRoutePolicy", singleFlight);

        // the registry file: imported now if it stands still, before the API serves (readiness
        // waits for it); its versions already imported are forgotten when the database is a new one
        IdempotentRepository seen = MemoryIdempotentRepository.memoryIdempotentRepository(100);
        database.onRecovery(seen::clear);
        registry.bind(RegistryFileRoutes.SEEN, seen);
        RegistryFileImporter importer = new RegistryFileImporter(database, registryTable);
        importer.importAtStart(settings.registryFile(), settings.registryStableSeconds() * 1000L, seen);
        registry.bind("registryFileImporter", importer);
        registry.bind("registryFileHealthCheck", new RegistryFileHealthCheck(importer, settings.registryFile()));

        // the refresh: its live progress, its metrics, its lookup threads, the writer, and the steps the routes call
        CachedTables cachedTables = new CachedTables(database, threshold);
        RunProgress progress = new RunProgress(settings.replica());
        registry.bind("runProgress", progress);
        RefreshMetrics metrics = new RefreshMetrics(meters, singleFlight, history,
                () -> bigQuery.credentialsProblem() == null, interval, settings.replica(), clock,
                threads.newSingleThreadExecutor(this, "bqmc-history-reader"), cachedTables, progress);
        registry.bind("refreshMetrics", metrics);
        registry.bind("lastRunHealthCheck", new LastRunHealthCheck(metrics,
                Duration.ofSeconds(settings.startupGraceSeconds()), threshold, clock));
        // the split waits for room rather than queueing the whole registry
        LookupPool lookups = new LookupPool(context, settings.refreshConcurrency());
        registry.bind("bqRefreshPool", lookups.executor());
        PendingTables pending = new PendingTables();
        registry.bind("pendingTables", pending);
        registry.bind("cacheWriteStep", new CacheWriteStep(new CacheWriter(database,
                threads.newSingleThreadExecutor(this, "bqmc-cache-writer")), pending));
        TargetResolver resolver = new TargetResolver(settings.bigQueryProject());
        registry.bind("refreshSteps", new RefreshSteps(resolver,
                new TableLookup(bigQuery, rate, Duration.ofSeconds(settings.bigQueryTimeoutSeconds())),
                history, pending, metrics, settings.replica(), registryTable, database, lookups, tracing.tracer(),
                progress));
        // single-table refreshes: bounded like a run, one lookup per table however many ask
        registry.bind("oneTableRefreshes", new OneTableRefreshes(settings.refreshConcurrency()));

        // what the API reads
        // an eighth of the heap at most: a reader may still be sending the rows of the load before
        registry.bind("statusReport", new StatusReport(cachedTables,
                new KeptTables(cachedTables, Runtime.getRuntime().maxMemory() / 8), history,
                settings.refreshIntervalSeconds(), threshold, clock,
                timer(context, "bqmc-status-deadline")));
        registry.bind("apiServingHealthCheck", new ApiServingHealthCheck(api));
        // the run in flight, live, on the API's own router
        RunEvents runEvents = new RunEvents(api, progress, history, cachedTables);
        registry.bind("runEvents", runEvents);
        api.get(RunEvents.PATH, runEvents);
        StatusPage page = new StatusPage();
        for (String file : List.of(StatusPage.PAGE, StatusPage.SCRIPT, StatusPage.STYLE, StatusPage.ICON)) {
            api.get(file, page);
        }

        // BigQuery's change events, when a push subscription is configured to send them
        if (settings.changeEvents() != null) {
            changeEvents(context, settings.changeEvents(), api, database, registryTable, resolver, cachedTables, meters,
                    outage, clock);
        }

        ScheduledExecutorService stopDeadline = timer(context, "bqmc-stop-deadline");
        context.getManagementStrategy().addEventNotifier(new EventNotifierSupport() {
            @Override
            public void notify(CamelEvent event) {
                if (event instanceof CamelEvent.CamelContextStoppingEvent) {
                    api.stopping();
                    abortBigQueryBeforeTheStopRunsOut(context, bigQuery, stopDeadline);
                } else if (event instanceof CamelEvent.CamelContextStoppedEvent) {
                    // stopped, its tables recorded: a lookup still waiting on BigQuery has no one to
                    // answer, and what the timers hold (deadlines of requests that are gone) is dropped
                    bigQuery.abortRequestsInFlight();
                    threads.shutdownNow(lookups.executor());
                    timers.forEach(threads::shutdownNow);
                }
            }
        });
        context.addStartupListener(new StartupListener() {
            @Override
            public void onCamelContextStarted(CamelContext ctx, boolean alreadyStarted) {
                // nothing before the routes are in: the API and the client wait for the full start below
            }

            @Override
            public void onCamelContextFullyStarted(CamelContext ctx, boolean alreadyStarted) {
                // every route in, and the registry file's first import done
                api.checkCredentialsWith(authenticator::refusal);
                api.serve();
                // then the client built and its credentials read, still at start (a problem is told now, the
                // first run finds the client ready), but no longer before the API answers: it takes half a second
                bigQuery.prepare();
            }
        });
    }

    /** The events endpoint, its queue in the database, and the lookups ChangeRoutes hands it. */
    private void changeEvents(CamelContext context, ChangeEvents events, ApiHttpServer api, Database database,
                              RegistryTable registryTable, TargetResolver resolver, CachedTables cachedTables,
                              MeterRegistry meters, DatabaseOutage outage, Clock clock) throws Exception {
        ChangeMetrics metrics = new ChangeMetrics(meters);
        ChangeQueue queue = new ChangeQueue(database);
        ChangeLookups lookups = new ChangeLookups(queue, cachedTables, metrics, settings.replica(), clock,
                context.getRegistry().lookupByNameAndType("bigQueryRequestRate", RequestRate.class), settings.refreshConcurrency());
        // started now (an earlier life's claims freed before any poll), stopped after the routes
        lookups.start();
        context.addService(lookups, true);
        context.getRegistry().bind("changeLookups", lookups);
        ChangeEventsEndpoint endpoint = new ChangeEventsEndpoint(api,
                new PushTokens(events.audience(), events.serviceAccount(), new SigningKeys(events.certsUrl(), System::nanoTime), clock),
                new ChangeIntake(new RegisteredTables(database, registryTable, resolver, System::nanoTime), queue, metrics,
                        Duration.ofSeconds(events.debounceSeconds())),
                metrics, outage, clock);
        api.post(ChangeEventsEndpoint.PATH, endpoint.handlers());
    }

    private static ConfiguredBigQueryConnectionFactory bigQuery(Settings settings, ScheduledExecutorService deadlines) {
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
        factory.setDeadlineTimer(deadlines);
        return factory;
    }

    /**
     * A stop lets the lookups in flight finish, but not past the stop's own time limit: three
     * seconds before it, whatever is still waiting on BigQuery is aborted, so the run records
     * its tables as interrupted and answers its caller (a forced stop answered it with an empty
     * 500).
     */
    static void abortBigQueryBeforeTheStopRunsOut(CamelContext context, ConfiguredBigQueryConnectionFactory bigQuery,
                                                  ScheduledExecutorService deadline) {
        long waitMs = Math.max(0, TimeUnit.SECONDS.toMillis(context.getShutdownStrategy().getTimeout()) - 3000);
        deadline.schedule(bigQuery::abortRequestsInFlight, waitMs, TimeUnit.MILLISECONDS);
    }
}
