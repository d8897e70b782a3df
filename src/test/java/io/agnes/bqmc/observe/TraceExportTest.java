package io.agnes.bqmc.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.auth.Role;
import io.agnes.bqmc.auth.TokenIssuer;
import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.OtlpReceiver;
import io.agnes.bqmc.support.OtlpReceiver.ReceivedSpan;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Traces as the platform's services export them, decoded by a receiver on loopback: a run over
 * the API of 5 tables is one run span under the API request's span, with 5 lookup spans, each
 * with its table, its outcome and the BigQuery HTTP call inside it; the resource names the
 * service and its environment, and the export carries OTEL_EXPORTER_OTLP_HEADERS.
 */
class TraceExportTest {

    @TempDir
    Path dir;

    @Test
    void aRunOverTheApiIsOneRunSpanWithALookupSpanPerTableUnderTheRequestsSpan() throws Exception {
        WireMockServer bigQuery = WireMocks.startBigQuery();
        for (int i = 0; i < 3; i++) {
            WireMocks.serveTable(bigQuery, "test-project", "ds", "t" + i, 10 + i, 100);
        }
        WireMocks.serveError(bigQuery, "test-project", "ds", "t3", 404, "notFound", "Not found: Table");
        WireMocks.serveError(bigQuery, "test-project", "ds", "t4", 403, "accessDenied", "Access Denied: Table");
        String admin = TokenIssuer.issue(dir.resolve("tokens"), "ana@example.com", Role.ADMIN, null);
        String runId;
        try (OtlpReceiver receiver = OtlpReceiver.start()) {
            Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
            env.put("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint());
            env.put("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=k%20one,x-tenant=agnes");
            env.put("AGNES_DEPLOYMENT_ENV", "staging");
            try (TestService service = TestService.start(env)) {
                for (int i = 0; i < 5; i++) {
                    service.registerRemote("t" + i, "ds", "t" + i);
                }
                ApiClient api = new ApiClient(Integer.parseInt(env.get("PORT")));
                ApiClient.Answer ran = api.send(api.requestBuilder("/api/admin/run-bq-metadata-refresh", admin)
                        .header("X-Request-Id", "trace-run-1").POST(java.net.http.HttpRequest.BodyPublishers.noBody())
                        .build());
                assertThat(ran.status()).isEqualTo(200);
                runId = ran.json().get("run_id").asText();
                await().atMost(Duration.ofSeconds(20)).until(() -> receiver.spans().stream()
                        .anyMatch(s -> s.name().equals("bq metadata refresh run")));
            }
            List<ReceivedSpan> spans = receiver.spans();
            Map<String, ReceivedSpan> byId = spans.stream().collect(Collectors.toMap(ReceivedSpan::spanId,
                    Function.identity(), (a, b) -> a));

            ReceivedSpan run = spans.stream().filter(s -> s.name().equals("bq metadata refresh run")).collect(
                    Collectors.collectingAndThen(Collectors.toList(), l -> {
                        assertThat(l).hasSize(1);
                        return l.get(0);
                    }));
            assertThat(run.attributes()).containsEntry("bqmc.run_id", runId).containsEntry("bqmc.triggered_by", "api")
                    .containsEntry("bqmc.total", 5L).containsEntry("bqmc.succeeded", 3L);
            assertThat(run.resource()).containsEntry("service.name", "bq-metadata-cache")
                    .containsEntry("deployment.environment", "staging");

            // the API request's span (Camel's, the root of the trace) is an ancestor of the run's
            Optional<ReceivedSpan> request = ancestors(run, byId).stream()
                    .filter(s -> "POST".equals(s.attributes().get("http.method"))).findFirst();
            assertThat(request).as("the request's span above the run span in " + spans).isPresent();
            assertThat(request.get().parentSpanId()).isNull();
            assertThat(request.get().attributes()).containsEntry("http.status_code", "200")
                    .containsEntry("bqmc.request_id", "trace-run-1");
            assertThat((String) request.get().attributes().get("http.url")).endsWith("/api/admin/run-bq-metadata-refresh");
            assertThat(run.attributes()).containsEntry("bqmc.request_id", "trace-run-1");

            List<ReceivedSpan> tables = spans.stream().filter(s -> s.name().equals("bq metadata refresh table")).toList();
            assertThat(tables).hasSize(5).allSatisfy(t -> {
                assertThat(t.parentSpanId()).isEqualTo(run.spanId());
                assertThat(t.traceId()).isEqualTo(run.traceId());
            });
            Map<Object, Object> outcomes = tables.stream().collect(Collectors.toMap(t -> t.attributes().get("bqmc.table_id"),
                    t -> t.attributes().get("bqmc.outcome")));
            assertThat(outcomes).containsExactlyInAnyOrderEntriesOf(Map.of("t0", "ok", "t1", "ok", "t2", "ok",
                    "t3", "no_data", "t4", "error"));
            assertThat(tables).filteredOn(t -> "t4".equals(t.attributes().get("bqmc.table_id"))).singleElement()
                    .satisfies(t -> assertThat(t.statusCode()).as("STATUS_CODE_ERROR").isEqualTo(2));

            // the BigQuery HTTP call, inside each table's span, with BigQuery's status
            Map<String, Long> statuses = Map.of("t0", 200L, "t1", 200L, "t2", 200L, "t3", 404L, "t4", 403L);
            for (ReceivedSpan table : tables) {
                Object id = table.attributes().get("bqmc.table_id");
                assertThat(spans).as("the HTTP call under " + id).filteredOn(s -> s.parentSpanId() != null
                        && s.parentSpanId().equals(table.spanId())).singleElement().satisfies(call -> {
                            assertThat(call.name()).isEqualTo("GET tables.get");
                            assertThat(call.kind()).as("SPAN_KIND_CLIENT").isEqualTo(3);
                            assertThat(call.attributes()).containsEntry("http.response.status_code", statuses.get(id));
                            assertThat((String) call.attributes().get("url.path")).contains("/datasets/ds/tables/" + id);
                        });
            }
            assertThat(receiver.requestHeaders()).isNotEmpty().allSatisfy(h -> {
                assertThat(h.get("X-api-key")).containsExactly("k one");
                assertThat(h.get("X-tenant")).containsExactly("agnes");
                assertThat(h.get("Content-type")).containsExactly("application/x-protobuf");
            });
        } finally {
            bigQuery.stop();
        }
    }

    private static List<ReceivedSpan> ancestors(ReceivedSpan span, Map<String, ReceivedSpan> byId) {
        List<ReceivedSpan> out = new java.util.ArrayList<>();
        for (ReceivedSpan s = byId.get(span.parentSpanId()); s != null && out.size() < 50; s = byId.get(s.parentSpanId())) {
            out.add(s);
        }
        return out;
    }
}
