package io.agnes.bqmc.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.api.ChangeEventsEndpoint;
import io.agnes.bqmc.auth.Role;
import io.agnes.bqmc.auth.TokenIssuer;
import io.agnes.bqmc.bigquery.BigQueryTarget;
import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.AuditEvents;
import io.agnes.bqmc.support.PushSigner;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The events endpoint of one running service (DuckDB, the real BigQuery client against a loopback
 * stand-in, push tokens signed by a test key that a loopback server publishes in Google's format):
 * the real audit entries of {@code ../shared/auditevents/} each cause what their manifest says;
 * tokens that are not the push subscription's are refused and refresh nothing; a replayed or
 * duplicated message makes no second lookup; a burst of 1,000 events for 10 tables makes 10.
 * Each test registers tables of its own dataset, so none sees another's lookups.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChangeEventsTest {

    @TempDir
    static Path dir;

    private WireMockServer bigQuery;
    private PushSigner signer;
    private TestService service;
    private ApiClient api;

    @BeforeAll
    void start() throws Exception {
        bigQuery = WireMocks.startBigQuery();
        signer = new PushSigner("push-key-1");
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        env.putAll(signer.environment(WireMocks.publishKeys(bigQuery, signer)));
        // the default window: the burst below must fit in one
        env.put("BQMC_EVENTS_DEBOUNCE_SECONDS", "5");
        service = TestService.start(env);
        api = new ApiClient(Integer.parseInt(env.get("PORT")));
    }

    @AfterAll
    void stop() throws Exception {
        service.close();
        bigQuery.stop();
    }

    private ApiClient.Answer push(String body, String token) {
        HttpRequest.Builder request = api.requestBuilder(ChangeEventsEndpoint.PATH, null)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return api.send(request.build());
    }

    private int lookups(String fqn) {
        String[] p = fqn.split("\\.");
        return WireMocks.requestsFor(bigQuery, p[0], p[1], p[2]).size();
    }

    private double counted(String meter, String outcome) {
        MeterRegistry meters = service.meters();
        var counter = meters.find(meter).tag("outcome", outcome).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    @Order(1)
    void everyRealEntryCausesWhatItsManifestSays() throws Exception {
        // every table the corpus names is registered (by bq_fqn) and served; deleted ones answer 404
        Map<String, String> expected = new LinkedHashMap<>(); // file -> table it should refresh, or "" to ignore
        Map<String, String> ids = new HashMap<>();
        for (Map.Entry<String, JsonNode> file : AuditEvents.files().entrySet()) {
            String name = file.getKey();
            if (name.startsWith("pubsub_") || name.startsWith("oidc_")) {
                continue;
            }
            String action = file.getValue().get("expected_action").asText();
            String table = file.getValue().path("table_named").asText("").replace("`", "");
            boolean acts = (action.startsWith("refresh") || action.startsWith("mark") || action.startsWith("if jobChange")
                    || action.startsWith("as bqam_jobchange")) && !name.equals("bqam_edited_inserttable_empty_metadata.json");
            expected.put(name, acts ? table : "");
            if (!table.isEmpty() && !ids.containsKey(table)) {
                String id = "corpus_" + ids.size();
                ids.put(table, id);
                service.register(id, "bigquery", "remote", null, null, table);
                String[] p = table.split("\\.", 3);
                if (action.startsWith("mark") || name.contains("drop_table")) {
                    WireMocks.serveError(bigQuery, p[0], p[1], p[2], 404, "notFound", "Not found: Table " + table);
                } else if (BigQueryTarget.isName(p[2])) {
                    WireMocks.serveTable(bigQuery, p[0], p[1], p[2], 42, 4200);
                }
            }
        }
        double queuedBefore = counted("bqmc.events", "queued");
        int queued = 0;
        for (Map.Entry<String, String> e : expected.entrySet()) {
            ApiClient.Answer answer = push(AuditEvents.envelope(AuditEvents.read(e.getKey()), "m-" + e.getKey()), signer.token());
            assertThat(answer.status()).as(e.getKey() + ": " + answer.body()).isEqualTo(200);
            String table = e.getValue();
            String outcome = answer.json().path("outcome").asText();
            if (table.isEmpty()) {
                assertThat(outcome).as(e.getKey()).isEqualTo("ignored");
            } else if (!BigQueryTarget.isName(table.split("\\.", 3)[2])) {
                // "table 01", "00_お客様": valid in BigQuery, but no registry row can name them (contract section 4)
                assertThat(outcome).as(e.getKey()).isEqualTo("unregistered");
            } else {
                assertThat(outcome).as(e.getKey()).isEqualTo("queued");
                assertThat(answer.json().get("table_ids").get(0).asText()).isEqualTo(ids.get(table));
                queued++;
            }
        }
        assertThat(counted("bqmc.events", "queued") - queuedBefore).isEqualTo(queued);

        // one lookup per table, however many of its entries came within the window
        List<String> refreshed = expected.values().stream().filter(t -> !t.isEmpty())
                .filter(t -> BigQueryTarget.isName(t.split("\\.", 3)[2])).distinct().toList();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            for (String table : refreshed) {
                assertThat(service.cacheRow(ids.get(table))).as(table).isNotNull();
            }
        });
        for (String table : refreshed) {
            assertThat(lookups(table)).as(table).isEqualTo(1);
        }
        for (Map.Entry<String, String> e : expected.entrySet()) {
            String named = AuditEvents.files().get(e.getKey()).path("table_named").asText("");
            if (e.getValue().isEmpty() && !named.isEmpty() && !refreshed.contains(named)) {
                assertThat(lookups(named)).as(e.getKey()).isZero();
            }
        }
        // a deleted table is recorded as gone; a created one has its numbers
        assertThat(service.cacheRow(ids.get("my-gcp-project.mydataset.myothertable")).get("error_msg")).isNotNull();
        assertThat(((Number) service.cacheRow(ids.get("my-gcp-project.babynames.person")).get("rows")).longValue())
                .isEqualTo(42);
        assertThat(service.meters().find("bqmc.event.to.fresh").timer().count()).isEqualTo(refreshed.size());

        // replayed an hour later (Pub/Sub delivers at least once): the lookups already made cover them
        double coveredBefore = counted("bqmc.event.lookups", "covered");
        for (String file : List.of("bqam_tablecreation_insert_table.json", "reconstructed_tabledatachange_load_job.json")) {
            assertThat(push(AuditEvents.envelope(AuditEvents.read(file), "m-" + file), signer.token()).status()).isEqualTo(200);
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> counted("bqmc.event.lookups", "covered") - coveredBefore >= 2);
        assertThat(lookups("my-gcp-project.babynames.person")).isEqualTo(1);
        assertThat(lookups("my-gcp-project.mydataset.oldtable")).isEqualTo(1);
    }

    @Test
    @Order(2)
    void theCorpusPushesAsPubSubSendsThem() throws Exception {
        for (String file : List.of("pubsub_push_wrapped_tablecreation.json", "pubsub_push_unwrapped_tablecreation.json")) {
            JsonNode push = AuditEvents.read(file);
            HttpRequest.Builder request = api.requestBuilder(ChangeEventsEndpoint.PATH, null)
                    .POST(HttpRequest.BodyPublishers.ofString(push.get("body").toString()))
                    .header("Authorization", "Bearer " + signer.token());
            push.get("headers").fields().forEachRemaining(h -> {
                if (h.getKey().startsWith("x-goog-") || h.getKey().equals("Content-Type")) {
                    request.header(h.getKey(), h.getValue().asText());
                }
            });
            ApiClient.Answer answer = api.send(request.build());
            assertThat(answer.status()).as(file + answer.body()).isEqualTo(200);
            assertThat(answer.json().get("outcome").asText()).as(file).isEqualTo("queued");
            assertThat(answer.json().get("table").asText()).as(file).isEqualTo("my-gcp-project.babynames.person");
        }
        // with the token Google signed for them (another audience, long expired): refused
        JsonNode wrapped = AuditEvents.read("pubsub_push_wrapped_tablecreation.json");
        ApiClient.Answer forged = api.send(api.requestBuilder(ChangeEventsEndpoint.PATH, null)
                .POST(HttpRequest.BodyPublishers.ofString(wrapped.get("body").toString()))
                .header("Authorization", wrapped.get("headers").get("Authorization").asText()).build());
        assertThat(forged.status()).isEqualTo(401);
    }

    @Test
    @Order(3)
    void tokensThatAreNotTheSubscriptionsAreRefusedAndRefreshNothing() throws Exception {
        service.register("sec_t", "bigquery", "remote", "sec", "t", null);
        WireMocks.serveTable(bigQuery, "test-project", "sec", "t", 1, 1);
        String body = AuditEvents.envelope(AuditEvents.dataChange("test-project", "sec", "t", Instant.now()), "sec-1");
        Instant now = Instant.now();
        Map<String, String> refused = new LinkedHashMap<>();
        refused.put("forged", new PushSigner("push-key-1").token());
        Map<String, Object> expired = PushSigner.claims(now.minusSeconds(7200));
        refused.put("expired", signer.token(expired));
        Map<String, Object> audience = PushSigner.claims(now);
        audience.put("aud", "https://elsewhere.example.com/push");
        refused.put("wrong audience", signer.token(audience));
        Map<String, Object> account = PushSigner.claims(now);
        account.put("email", "attacker@evil-project.iam.gserviceaccount.com");
        refused.put("wrong account", signer.token(account));
        refused.put("a platform admin token", TokenIssuer.issue(dir.resolve("tokens"), "ana@example.com", Role.ADMIN, null));
        double before = counted("bqmc.events", "refused");
        for (Map.Entry<String, String> token : refused.entrySet()) {
            ApiClient.Answer answer = push(body, token.getValue());
            assertThat(answer.status()).as(token.getKey()).isEqualTo(401);
            assertThat(answer.header("WWW-Authenticate")).isEqualTo("Bearer");
        }
        ApiClient.Answer none = push(body, null);
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.json().get("detail").asText()).isEqualTo("Missing bearer token");
        assertThat(counted("bqmc.events", "refused") - before).isEqualTo(refused.size() + 1);
        assertThat(service.meters().find("bqmc.http.refused").tag("endpoint", ChangeEventsEndpoint.PATH)
                .tag("reason", "wrong_audience").counter().count()).isEqualTo(1);
        // malformed: 400, for the subscription's dead-letter topic
        ApiClient.Answer malformed = push("{\"message\":{\"data\":\"%%%\"}}", signer.token());
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.json().get("detail").asText()).contains("data_not_base64");
        // only GETs and this POST: another method on the path is not an event
        assertThat(api.send("GET", ChangeEventsEndpoint.PATH, "Bearer " + signer.token()).status()).isIn(404, 405);

        // the one good push, to show the refused ones were the only thing that kept the table unlooked
        assertThat(push(body, signer.token()).status()).isEqualTo(200);
        // the row is written after BigQuery's answer: waited for, not assumed
        await().atMost(Duration.ofSeconds(20)).until(() -> service.cacheRow("sec_t") != null);
        assertThat(lookups("test-project.sec.t")).isEqualTo(1);
    }

    @Test
    @Order(4)
    void duplicatesAndABurstOfAThousandEventsForTenTablesMakeTenLookups() throws Exception {
        WireMocks.serveAnyTable(bigQuery, 7, 70, 20);
        for (int t = 0; t < 10; t++) {
            service.register("burst_" + t, "bigquery", "remote", "ds", "burst_" + t, null);
        }
        ExecutorService senders = Executors.newFixedThreadPool(8);
        try {
            List<CompletableFuture<Integer>> sent = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                int table = i % 10;
                // every tenth message twice: Pub/Sub delivers at least once
                String body = AuditEvents.envelope(AuditEvents.dataChange("test-project", "ds", "burst_" + table,
                        Instant.now()), "burst-" + (i - i % 20));
                sent.add(CompletableFuture.supplyAsync(() -> push(body, signer.token()).status(), senders));
            }
            for (CompletableFuture<Integer> status : sent) {
                assertThat(status.get()).isEqualTo(200);
            }
        } finally {
            senders.shutdown();
        }
        // settled: every table looked up, nothing left waiting
        await().atMost(Duration.ofSeconds(30)).until(() -> ((Number) service.query(
                "SELECT count(*) AS n FROM bqmc_table_changes WHERE table_id LIKE 'burst_%' AND due_at IS NOT NULL").get(0).get("n")).longValue() == 0);
        int total = 0;
        for (int t = 0; t < 10; t++) {
            assertThat(service.cacheRow("burst_" + t)).isNotNull();
            total += lookups("test-project.ds.burst_" + t);
        }
        assertThat(total).isEqualTo(10);
    }
    @Test
    @Order(5)
    void aRunInFlightAndEventsInterleaveAndTheRunsLookupServesBoth() throws Exception {
        WireMocks.serveTable(bigQuery, "test-project", "mix", "a", 3, 30);
        WireMocks.serveTable(bigQuery, "test-project", "mix", "b", 4, 40);
        service.registerRemote("mix_a", "mix", "a");
        service.registerRemote("mix_b", "mix", "b");
        String admin = TokenIssuer.issue(dir.resolve("tokens"), "ana@example.com", Role.ADMIN, null);
        // changes made a minute ago, announced now; a run starts at once
        double coveredBefore = counted("bqmc.event.lookups", "covered");
        for (String table : List.of("a", "b")) {
            ApiClient.Answer answer = push(AuditEvents.envelope(AuditEvents.dataChange("test-project", "mix", table,
                    Instant.now().minusSeconds(60)), "mix-" + table), signer.token());
            assertThat(answer.status()).isEqualTo(200);
        }
        CompletableFuture<ApiClient.Answer> run = CompletableFuture.supplyAsync(
                () -> api.post("/api/admin/run-bq-metadata-refresh", admin));
        // while it runs, events are still taken: never a 409
        ApiClient.Answer during = push(AuditEvents.envelope(AuditEvents.dataChange("test-project", "mix", "a",
                Instant.now().minusSeconds(60)), "mix-a2"), signer.token());
        assertThat(during.status()).isEqualTo(200);
        assertThat(run.get().status()).isEqualTo(200);
        // the run looked both tables up after the changes: their windows end with no lookup of their own
        await().atMost(Duration.ofSeconds(20)).until(() -> counted("bqmc.event.lookups", "covered") - coveredBefore >= 2);
        assertThat(lookups("test-project.mix.a")).isEqualTo(1);
        assertThat(lookups("test-project.mix.b")).isEqualTo(1);
    }
}
