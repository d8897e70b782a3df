package io.agnes.bqmc.config;

/**
 * Every environment variable the service reads: the one list that deployment files and
 * docs/OPERATIONS.md are checked against (DeploymentFilesTest), so neither can name a setting
 * the service does not have. README and docs/OPERATIONS.md say what each one means.
 */
public enum EnvironmentVariable {
    SCHEDULER_BQ_METADATA_REFRESH_INTERVAL,
    SCHEDULER_STARTUP_GRACE_SECONDS,
    AGNES_BQ_METADATA_REFRESH_CONCURRENCY,
    SCHEDULER_API_TOKEN,
    AGNES_TOKENS_FILE,
    AGNES_REGISTRY_FILE,
    AGNES_REGISTRY_FILE_STABLE_SECONDS,
    AGNES_DB_URL,
    DATABASE_URL,
    BIGQUERY_PROJECT,
    BIGQUERY_API_URL,
    GOOGLE_APPLICATION_CREDENTIALS,
    BIGQUERY_TIMEOUT_SECONDS,
    BIGQUERY_MAX_ATTEMPTS,
    BIGQUERY_RETRY_INITIAL_DELAY_MS,
    BIGQUERY_QUOTA_PROJECT,
    BIGQUERY_MAX_REQUESTS_PER_SECOND,
    HTTPS_PROXY,
    HTTP_PROXY,
    NO_PROXY,
    PORT,
    MANAGEMENT_PORT,
    SHUTDOWN_DRAIN_SECONDS,
    API_HEADER_TIMEOUT_SECONDS,
    /** Read by support.LogFormat before anything else, with HOSTNAME as its fallback. */
    REPLICA_ID,
    HOSTNAME,
    /** Read by support.LogFormat before the first log line. */
    LOG_FORMAT,
    /** Traces over OTLP/HTTP (config.TraceExport): the SDK's standard variables. */
    OTEL_EXPORTER_OTLP_ENDPOINT,
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    OTEL_EXPORTER_OTLP_HEADERS,
    OTEL_EXPORTER_OTLP_PROTOCOL,
    /** Refreshes on BigQuery's change events (config.ChangeEvents): on when the first two are set. */
    BQMC_EVENTS_AUDIENCE,
    BQMC_EVENTS_SERVICE_ACCOUNT,
    BQMC_EVENTS_CERTS_URL,
    BQMC_EVENTS_DEBOUNCE_SECONDS,
    /** The JSON lines' env field (support.LogFormat), with RELEASE_CHANNEL as its fallback. */
    AGNES_DEPLOYMENT_ENV,
    RELEASE_CHANNEL
}
