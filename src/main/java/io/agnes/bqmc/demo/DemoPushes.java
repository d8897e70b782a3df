package io.agnes.bqmc.demo;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Plays Pub/Sub for the demo: a push subscription's signing key (published by the stand-in as
 * Google publishes its keys) and pushes of a BigQuery {@code tableDataChange} audit entry, signed
 * for the demo's own events endpoint. The same path a real push takes; only the key is local.
 */
public final class DemoPushes {

    public static final String ACCOUNT = "demo-push@agnes-demo.iam.gserviceaccount.com";
    public static final String CERTS_PATH = "/oauth2/v3/certs";
    static final String KEY_ID = "demo-push-key";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final PushKey key = new PushKey(KEY_ID);
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private volatile URI endpoint;

    /** Where the pushes go: the events endpoint, whose URL is also the tokens' audience. */
    public void pushTo(URI endpoint) {
        this.endpoint = endpoint;
    }

    /** The key set, in the JWKS format of Google's {@code oauth2/v3/certs}. */
    public String jwks() {
        return key.jwks();
    }

    /** Pushes a {@code tableDataChange} of {@code project.dataset.table}, as now; the endpoint's answer. */
    public java.util.concurrent.CompletableFuture<HttpResponse<String>> pushDataChange(String project, String dataset,
                                                                                       String table) throws Exception {
        Instant now = Instant.now();
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("@type", "type.googleapis.com/google.cloud.audit.BigQueryAuditMetadata");
        metadata.put("tableDataChange", Map.of("reason", "JOB", "insertedRowsCount", "100"));
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("@type", "type.googleapis.com/google.cloud.audit.AuditLog");
        payload.put("status", Map.of());
        payload.put("serviceName", "bigquery.googleapis.com");
        payload.put("methodName", "google.cloud.bigquery.v2.JobService.InsertJob");
        payload.put("resourceName", "projects/" + project + "/datasets/" + dataset + "/tables/" + table);
        payload.put("metadata", metadata);
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("protoPayload", payload);
        entry.put("timestamp", now.toString());
        entry.put("logName", "projects/" + project + "/logs/cloudaudit.googleapis.com%2Fdata_access");
        String id = Long.toString(now.toEpochMilli());
        Map<String, Object> message = Map.of("data", Base64.getEncoder().encodeToString(JSON.writeValueAsBytes(entry)),
                "messageId", id, "publishTime", now.toString(), "attributes", Map.of());
        byte[] body = JSON.writeValueAsBytes(Map.of("message", message,
                "subscription", "projects/" + project + "/subscriptions/bq-metadata-cache-demo"));
        return http.sendAsync(HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json").header("Authorization", "Bearer " + token(now))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private String token(Instant now) {
        return key.token(PushKey.claims(endpoint.toString(), ACCOUNT, now));
    }
}
