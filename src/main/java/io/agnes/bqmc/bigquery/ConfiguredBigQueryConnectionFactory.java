package io.agnes.bqmc.bigquery;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.List;

import com.google.api.client.http.HttpTransport;
import com.google.api.client.http.apache.v2.ApacheHttpTransport;
import com.google.api.gax.retrying.RetrySettings;
import com.google.auth.Credentials;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.cloud.NoCredentials;
import com.google.cloud.http.HttpTransportOptions;
import com.google.cloud.bigquery.BigQuery;
import com.google.cloud.bigquery.BigQueryOptions;
import io.agnes.bqmc.config.Settings;
import org.apache.camel.component.google.bigquery.GoogleBigQueryConnectionFactory;

/**
 * camel-google-bigquery's connection factory, built from our configuration: API URL override,
 * credentials (file, application default, or none against a local stand-in), timeouts, and the
 * client's own retries switched off because Camel redelivery owns retrying.
 * The client is built on first use, so a service without credentials still starts and
 * reports {@code no_data} per table instead of failing.
 */
public class ConfiguredBigQueryConnectionFactory extends GoogleBigQueryConnectionFactory {

    static final String BIGQUERY_SCOPE = "https://www.googleapis.com/auth/bigquery";

    /** A failed credential lookup is remembered this long, so a run does not repeat it per table. */
    static final long FAILURE_MEMORY_NANOS = 60_000_000_000L;

    private final Settings settings;
    private volatile BigQuery client;
    private BigQueryNotConfiguredException lastFailure;
    private long lastFailureAt;

    public ConfiguredBigQueryConnectionFactory(Settings settings) {
        this.settings = settings;
        if (settings.bigQueryApiUrl() != null) {
            setServiceURL(settings.bigQueryApiUrl().toString());
        }
        if (settings.credentialsFile() != null) {
            setServiceAccountKeyFile(settings.credentialsFile().toString());
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
        int timeoutMs = settings.bigQueryTimeoutSeconds() * 1000;
        // Apache HttpClient with its automatic retries off: the JDK's HttpURLConnection silently
        // resends a GET after a connection reset, which would break "one request per attempt".
        // One pooled connection per concurrent lookup, so a run reuses its connections.
        int connections = Math.max(20, settings.refreshConcurrency() + 4);
        HttpTransport transport = new ApacheHttpTransport(ApacheHttpTransport.newDefaultHttpClientBuilder()
                .setMaxConnPerRoute(connections)
                .setMaxConnTotal(connections)
                .build());
        BigQueryOptions.Builder builder = BigQueryOptions.newBuilder()
                .setCredentials(credentials())
                // only tables.get with an explicit project is ever sent; a fixed default keeps the
                // client from probing the environment (or a metadata server) for one
                .setProjectId(settings.bigQueryProject() != null ? settings.bigQueryProject() : "bq-metadata-cache")
                .setTransportOptions(HttpTransportOptions.newBuilder()
                        .setHttpTransportFactory(() -> transport)
                        .setConnectTimeout(timeoutMs)
                        .setReadTimeout(timeoutMs)
                        .build())
                .setRetrySettings(RetrySettings.newBuilder().setMaxAttempts(1).build());
        if (getServiceURL() != null) {
            builder.setHost(stripTrailingSlash(getServiceURL()));
        }
        return builder.build().getService();
    }

    private Credentials credentials() throws BigQueryNotConfiguredException {
        if (settings.credentialsFile() != null) {
            try (InputStream in = Files.newInputStream(settings.credentialsFile())) {
                return scoped(GoogleCredentials.fromStream(in));
            } catch (IOException | RuntimeException e) {
                throw new BigQueryNotConfiguredException(
                        "cannot read GOOGLE_APPLICATION_CREDENTIALS file " + settings.credentialsFile() + ": "
                                + e.getMessage(), e);
            }
        }
        if (settings.bigQueryApiUrl() != null) {
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
