package io.agnes.bqmc.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

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
 * An acknowledged push survives a stop: the service stops before the push's window ends, and the
 * table is looked up once it runs again, from what the queue kept in the database.
 */
class ChangeEventsRestartTest {

    @TempDir
    Path dir;

    @Test
    void aChangeAcknowledgedBeforeAStopIsLookedUpAfterIt() throws Exception {
        WireMockServer bigQuery = WireMocks.startBigQuery();
        PushSigner signer = new PushSigner("restart-key");
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        env.putAll(signer.environment(WireMocks.publishKeys(bigQuery, signer)));
        // a window the stop certainly falls in
        env.put("BQMC_EVENTS_DEBOUNCE_SECONDS", "8");
        WireMocks.serveTable(bigQuery, "test-project", "ds", "kept", 9, 90);
        try {
            try (TestService service = TestService.start(env)) {
                service.registerRemote("kept", "ds", "kept");
                String body = AuditEvents.envelope(AuditEvents.dataChange("test-project", "ds", "kept", Instant.now()), "k1");
                ApiClient api = new ApiClient(Integer.parseInt(env.get("PORT")));
                ApiClient.Answer acked = api.send(api.requestBuilder(ChangeEventsEndpoint.PATH, signer.token())
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build());
                assertThat(acked.status()).as(acked.body()).isEqualTo(200);
            }
            assertThat(WireMocks.requestsFor(bigQuery, "test-project", "ds", "kept")).isEmpty();

            // started again: the window it was in ends, and the lookup it promised is made
            try (TestService again = TestService.start(env)) {
                await().atMost(Duration.ofSeconds(40)).until(() -> again.cacheRow("kept") != null);
                assertThat(WireMocks.requestsFor(bigQuery, "test-project", "ds", "kept")).hasSize(1);
                assertThat(((Number) again.cacheRow("kept").get("rows")).longValue()).isEqualTo(9);
            }
        } finally {
            bigQuery.stop();
        }
    }
}
