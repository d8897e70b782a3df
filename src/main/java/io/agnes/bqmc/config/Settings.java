package io.agnes.bqmc.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import io.agnes.bqmc.bigquery.HttpProxies;
import io.agnes.bqmc.db.DatabaseUrl;

/**
 * The service's validated configuration: every value here already passed its check, so the
 * rest of the code never re-validates. Built by {@link SettingsLoader}.
 *
 * @param schedulerApiToken  null when unset or too short (disabled)
 * @param registryFile       null when no registry file is configured
 * @param bigQueryProject    null when unset
 * @param bigQueryApiUrl     null for Google's default endpoint
 * @param credentialsFile    null for application default credentials
 * @param database           {@code DATABASE_URL} when set, else {@code AGNES_DB_URL}
 * @param replica            this replica's name in logs, metrics and the run history
 * @param quotaProject       {@code BIGQUERY_QUOTA_PROJECT}, null when unset
 * @param proxies            the standard proxy variables
 * @param shutdownDrainSeconds how long requests are still served after SIGTERM, with readiness DOWN
 * @param headerTimeoutSeconds how long an API connection may take to send a request's headers
 * @param traces             where traces are exported; null when {@code OTEL_EXPORTER_OTLP_ENDPOINT} is unset (none)
 * @param changeEvents       the events endpoint's settings; null when it is off
 */
public record Settings(
        long refreshIntervalSeconds,
        long startupGraceSeconds,
        int refreshConcurrency,
        String schedulerApiToken,
        Path tokensFile,
        Path registryFile,
        DatabaseUrl database,
        String bigQueryProject,
        URI bigQueryApiUrl,
        Path credentialsFile,
        int bigQueryTimeoutSeconds,
        int bigQueryMaxAttempts,
        long retryInitialDelayMs,
        int port,
        int managementPort,
        String replica,
        String quotaProject,
        HttpProxies proxies,
        int maxRequestsPerSecond,
        int registryStableSeconds,
        int shutdownDrainSeconds,
        int headerTimeoutSeconds,
        TraceExport traces,
        ChangeEvents changeEvents) {

    /** Backoff doubles per attempt up to this cap (contract section 2). */
    public static final long RETRY_MAX_DELAY_MS = 32_000;

    /** The longest interval or startup grace taken: a year and a day. Anything longer is a typo. */
    public static final long MAX_SECONDS = 366L * 24 * 3600;

    /** The freshness threshold is twice the scheduler interval (contract section 7). */
    public long freshThresholdSeconds() {
        return 2 * refreshIntervalSeconds;
    }

    /**
     * The validated values of the application.properties keys that Camel reads through property
     * placeholders (the timer route, the ports, the thread pool). Applied as override
     * properties, so they win over application.properties exactly like the environment does.
     */
    public Map<String, String> camelProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("app.scheduler.interval-seconds", Long.toString(refreshIntervalSeconds));
        p.put("app.scheduler.startup-grace-seconds", Long.toString(startupGraceSeconds));
        p.put("app.refresh.concurrency", Integer.toString(refreshConcurrency));
        p.put("app.server.port", Integer.toString(port));
        p.put("app.management.port", Integer.toString(managementPort));
        return p;
    }
}
