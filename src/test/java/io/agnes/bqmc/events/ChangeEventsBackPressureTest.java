package io.agnes.bqmc.events;

import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.api.ChangeEventsEndpoint;
import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.AuditEvents;
import io.agnes.bqmc.support.PushSigner;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * More pushes at once than the endpoint takes (64) are answered 429 with {@code Retry-After},
 * before their bodies are read, so Pub/Sub backs off; those taken are all queued. Held here by
 * Google's keys answering slowly: every push waits on that first fetch.
 */
class ChangeEventsBackPressureTest {

    @TempDir
    Path dir;

    @Test
    void pushesBeyondWhatIsInFlightAreToldToComeBack() throws Exception {
        WireMockServer google = WireMocks.startBigQuery();
        PushSigner signer = new PushSigner("slow-key");
        google.stubFor(get(urlPathEqualTo(PushSigner.CERTS_PATH)).willReturn(WireMocks.json(200, signer.jwks())
                .withFixedDelay(3000)));
        Map<String, String> env = TestService.environment(dir, google.baseUrl());
        env.putAll(signer.environment(google.baseUrl() + PushSigner.CERTS_PATH));
        ExecutorService senders = Executors.newFixedThreadPool(90);
        try (TestService service = TestService.start(env)) {
            service.registerRemote("busy", "ds", "busy");
            ApiClient api = new ApiClient(Integer.parseInt(env.get("PORT")));
            String body = AuditEvents.envelope(AuditEvents.dataChange("test-project", "ds", "busy", Instant.now()), "b");
            String token = signer.token();
            List<CompletableFuture<ApiClient.Answer>> pushes = new ArrayList<>();
            for (int i = 0; i < 90; i++) {
                pushes.add(CompletableFuture.supplyAsync(() -> api.send(api.requestBuilder(ChangeEventsEndpoint.PATH, token)
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build()), senders));
            }
            int taken = 0;
            int busy = 0;
            for (CompletableFuture<ApiClient.Answer> push : pushes) {
                ApiClient.Answer answer = push.get();
                if (answer.status() == 429) {
                    busy++;
                    assertThat(answer.header("Retry-After")).isEqualTo("1");
                } else {
                    assertThat(answer.status()).as(answer.body()).isEqualTo(200);
                    assertThat(answer.json().get("outcome").asText()).isEqualTo("queued");
                    taken++;
                }
            }
            assertThat(taken).isBetween(1, 64);
            assertThat(busy).isEqualTo(90 - taken).isPositive();
            assertThat(service.meters().find("bqmc.events").tag("outcome", "busy").counter().count()).isEqualTo(busy);
        } finally {
            senders.shutdownNow();
            google.stop();
        }
    }
}
