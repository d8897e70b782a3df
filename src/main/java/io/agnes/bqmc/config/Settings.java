package io.agnes.bqmc.config;

import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The service's validated configuration: every value here already passed its check, so the
 * rest of the code never re-validates. Built by {@link SettingsLoader}.
 *
 * @param schedulerApiToken  null when unset or too short (disabled)
 * @param registryFile       null when no registry file is configured
 * @param bigQueryProject    null when unset
 * @param bigQueryApiUrl     null for Google's default endpoint
 * @param credentialsFile    null for application default credentials
 */
public record Settings(
        long refreshIntervalSeconds,
        long startupGraceSeconds,
        int refreshConcurrency,
        String schedulerApiToken,
        Path tokensFile,
        Path registryFile,
        String dbUrl,
        String bigQueryProject,
        URI bigQueryApiUrl,
        Path credentialsFile,
        int bigQueryTimeoutSeconds,
        int bigQueryMaxAttempts,
        long retryInitialDelayMs,
        int port,
        int managementPort) {

    /** Backoff doubles per attempt up to this cap (contract section 2). */
    public static final long RETRY_MAX_DELAY_MS = 32_000;

    /** The freshness threshold is twice the scheduler interval (contract section 7). */
    public long freshThresholdSeconds() {
        return 2 * refreshIntervalSeconds;
    }

    /**
     * The values that Camel itself reads through property placeholders. Applied as override
     * properties, so they win over application.properties exactly like the environment does.
     */
    public Map<String, String> camelProperties() {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("camel.server.port", Integer.toString(port));
        p.put("camel.management.port", Integer.toString(managementPort));
        p.put("camel.threadpool.config[bqRefreshPool].pool-size", Integer.toString(refreshConcurrency));
        p.put("camel.threadpool.config[bqRefreshPool].max-pool-size", Integer.toString(refreshConcurrency));
        p.put("app.scheduler.interval-ms", Long.toString(refreshIntervalSeconds * 1000));
        p.put("app.scheduler.startup-grace-ms", Long.toString(startupGraceSeconds * 1000));
        return p;
    }
}
