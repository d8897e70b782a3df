package io.agnes.bqmc.bigquery;

import java.util.concurrent.ScheduledExecutorService;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.google.api.client.http.HttpTransport;
import com.google.api.client.http.apache.v2.ApacheHttpTransport;
import com.google.api.gax.retrying.RetrySettings;
import com.google.api.gax.rpc.FixedHeaderProvider;
import com.google.auth.Credentials;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.cloud.NoCredentials;
import com.google.cloud.http.HttpTransportOptions;
import com.google.cloud.bigquery.BigQuery;
import com.google.cloud.bigquery.BigQueryOptions;
import org.apache.camel.component.google.bigquery.GoogleBigQueryConnectionFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * camel-google-bigquery's connection factory, configured as a bean: API URL override
 * ({@code serviceURL}), credentials (a file, application default credentials, or none against a
 * local stand-in), the default project, timeouts and connections, and the client's own retries
 * switched off because Camel redelivery owns retrying.
 * The client is built on first use, so a service without credentials still starts and
 * reports {@code no_data} per table instead of failing.
 */
public class ConfiguredBigQueryConnectionFactory extends GoogleBigQueryConnectionFactory {

    private static final Logger LOG = LoggerFactory.getLogger(ConfiguredBigQueryConnectionFactory.class);

    static final String BIGQUERY_SCOPE = "https://www.googleapis.com/auth/bigquery";

    /** A failed credential lookup is remembered this long, so a run does not repeat it per table. */
    static final long FAILURE_MEMORY_NANOS = 60_000_000_000L;

    /** Used for nothing but the client's own needs: every request names its project explicitly. */
    static final String PLACEHOLDER_PROJECT = "bq-metadata-cache";

    private String projectId;
    private String quotaProjectId;
    private String userAgent = "bq-metadata-cache";
    private HttpProxies proxies = HttpProxies.NONE;
    private int timeoutSeconds = 30;
    private int maxConnections = 20;
    private RequestRate requestRate = RequestRate.unlimited();
    private volatile BigQuery client;
    private volatile AnswerGuard guard;
    private ScheduledExecutorService deadlineTimer;
    private BigQueryNotConfiguredException lastFailure;
    private long lastFailureAt;

    /** {@code BIGQUERY_PROJECT}; null leaves the client a fixed placeholder. */
    public void setProjectId(String projectId) {
        this.projectId = projectId;
    }

    /** {@code BIGQUERY_QUOTA_PROJECT}: the project every request is billed and counted against; null for the credentials' own. */
    public void setQuotaProjectId(String quotaProjectId) {
        this.quotaProjectId = quotaProjectId;
    }

    /** Sent with every request, so BigQuery's audit logs and the proxies on the way can tell this service. */
    public void setUserAgent(String userAgent) {
        this.userAgent = userAgent;
    }

    /** {@code HTTPS_PROXY}, {@code HTTP_PROXY}, {@code NO_PROXY}. */
    public void setProxies(HttpProxies proxies) {
        this.proxies = proxies;
    }

    /** Connect and read timeout of one request. */
    public void setTimeoutSeconds(int timeoutSeconds) {
        this.timeoutSeconds = timeoutSeconds;
    }

    /** {@code BIGQUERY_MAX_REQUESTS_PER_SECOND}: the pace every request waits for, just before it is sent. */
    public void setMaxRequestsPerSecond(int requestsPerSecond) {
        this.requestRate = new RequestRate(requestsPerSecond);
    }

    public RequestRate requestRate() {
        return requestRate;
    }

    /** OpenTelemetry's no-op tracer unless traces are exported. */
    private volatile io.opentelemetry.api.trace.Tracer tracer = io.opentelemetry.api.OpenTelemetry.noop().getTracer("noop");

    /** Where each attempt's wall-clock deadline waits: a thread of Camel's, stopped with the context. */
    public void setDeadlineTimer(ScheduledExecutorService deadlineTimer) {
        this.deadlineTimer = deadlineTimer;
    }

    /**
     * The tracer of each HTTP call's span ({@link PacedRequestExecutor}), under whatever span is
     * current (the table's). The client's own OpenTelemetry spans stay off: it ends none on an
     * error answer, so a 404 or a 403 would show no HTTP call at all.
     */
    public void setTracer(io.opentelemetry.api.trace.Tracer tracer) {
        this.tracer = tracer;
    }

    /** Pooled HTTP connections: at least one per concurrent lookup, so a run reuses its connections. */
    public void setMaxConnections(int maxConnections) {
        this.maxConnections = maxConnections;
    }

    /**
     * Builds the client now, reading the credentials but sending nothing: at start, so a
     * service without usable credentials says so at once (one WARN naming the cause and what
     * to set) rather than with every table's no_data, and the first run finds the client ready.
     */
    public void prepare() {
        String problem = credentialsProblem();
        if (problem != null) {
            LOG.warn("BigQuery credentials are missing or unusable ({}): every table ends no_data until they are."
                    + " Set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file (role BigQuery Metadata Viewer),"
                    + " or run where application default credentials exist (gcloud auth application-default login,"
                    + " or a Google Cloud runtime)", problem);
        }
    }

    /**
     * Fails every BigQuery request still on the wire, so that a stopping service's run ends (its
     * tables recorded as interrupted) and answers its caller before the stop runs out of time.
     */
    public void abortRequestsInFlight() {
        AnswerGuard g = guard;
        if (g != null) {
            g.abortAll();
        }
    }

    /** Null while the client can be built, else why not (a failed attempt is remembered for a minute). */
    public String credentialsProblem() {
        try {
            getDefaultClient();
            return null;
        } catch (BigQueryNotConfiguredException e) {
            return e.getMessage();
        }
    }

    @Override
    public BigQuery getDefaultClient() throws BigQueryNotConfiguredException {
        BigQuery c = client;
        if (c == null) {
            synchronized (this) {
                c = client;
                if (c == null) {
                    if (lastFailure != null && System.nanoTime() - lastFailureAt < FAILURE_MEMORY_NANOS) {
                        throw lastFailure;
                    }
                    try {
                        c = build();
                    } catch (BigQueryNotConfiguredException e) {
                        lastFailure = e;
                        lastFailureAt = System.nanoTime();
                        throw e;
                    }
                    client = c;
                }
            }
        }
        return c;
    }

    private BigQuery build() throws BigQueryNotConfiguredException {
        if (deadlineTimer == null) {
            throw new IllegalStateException("the BigQuery client needs a deadline timer (setDeadlineTimer)");
        }
        AnswerGuard guard = new AnswerGuard(timeoutSeconds * 1000L, deadlineTimer);
        this.guard = guard;
        return build(credentials(), getServiceURL(), requestRate, guard, proxies);
    }

    private BigQuery build(Credentials credentials, String host, RequestRate rate, AnswerGuard guard,
                           HttpProxies proxies) {
        int timeoutMs = timeoutSeconds * 1000;
        // Apache HttpClient with its automatic retries off: the JDK's HttpURLConnection silently
        // resends a GET after a connection reset, which would break "one request per attempt".
        HttpTransport transport = new ApacheHttpTransport(ApacheHttpTransport.newDefaultHttpClientBuilder()
                // tables.get never redirects; what BigQuery's answer may be is AnswerGuard's
                .disableRedirectHandling()
                .setRequestExecutor(new PacedRequestExecutor(rate, guard, tracer))
                .addInterceptorLast((org.apache.http.HttpRequestInterceptor) guard)
                .addInterceptorLast((org.apache.http.HttpResponseInterceptor) guard)
                .setMaxConnPerRoute(maxConnections)
                .setMaxConnTotal(maxConnections)
                .setRoutePlanner(proxies.routePlanner())
                .setDefaultCredentialsProvider(proxies.credentials())
                .build());
        BigQueryOptions.Builder builder = BigQueryOptions.newBuilder()
                .setCredentials(credentials)
                // only tables.get with an explicit project is ever sent; a fixed default keeps the
                // client from probing the environment (or a metadata server) for one
                .setProjectId(projectId != null ? projectId : PLACEHOLDER_PROJECT)
                .setTransportOptions(HttpTransportOptions.newBuilder()
                        .setHttpTransportFactory(() -> transport)
                        .setConnectTimeout(timeoutMs)
                        .setReadTimeout(timeoutMs)
                        .build())
                .setHeaderProvider(FixedHeaderProvider.create("user-agent", userAgent))
                .setRetrySettings(RetrySettings.newBuilder().setMaxAttempts(1).build());
        if (quotaProjectId != null) {
            builder.setQuotaProjectId(quotaProjectId);
        }
        if (host != null) {
            builder.setHost(stripTrailingSlash(host));
        }
        return builder.build().getService();
    }

    private Credentials credentials() throws BigQueryNotConfiguredException {
        if (getServiceAccountKeyFile() != null) {
            try (InputStream in = Files.newInputStream(Path.of(getServiceAccountKeyFile()))) {
                return scoped(GoogleCredentials.fromStream(in));
            } catch (IOException | RuntimeException e) {
                throw new BigQueryNotConfiguredException(
                        "cannot read GOOGLE_APPLICATION_CREDENTIALS file " + getServiceAccountKeyFile() + ": "
                                + e.getMessage(), e);
            }
        }
        if (getServiceURL() != null) {
            // a local stand-in or emulator: send no credentials at all
            return NoCredentials.getInstance();
        }
        try {
            return scoped(GoogleCredentials.getApplicationDefault());
        } catch (IOException | RuntimeException e) {
            throw new BigQueryNotConfiguredException("no Google credentials found: " + e.getMessage(), e);
        }
    }

    private static GoogleCredentials scoped(GoogleCredentials credentials) {
        return credentials.createScopedRequired() ? credentials.createScoped(List.of(BIGQUERY_SCOPE)) : credentials;
    }

    private static String stripTrailingSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
