package io.agnes.bqmc.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.dialect.Dialects;
import io.agnes.bqmc.db.Database;
import io.agnes.bqmc.auth.Role;
import io.agnes.bqmc.auth.TokenIssuer;
import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.ApiClient.Answer;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenAPI document against the wire: every endpoint's live answer for every status code it
 * gives (200, 400, 401, 403, 404, 409, 500; 404 and 405 for what is not an endpoint) is validated
 * by a JSON Schema validator (OpenAPI 3.0 dialect, formats asserted) against the schema the
 * served document declares for exactly that operation and status.
 */
class OpenApiContractTest {

    static final String RUN = "/api/admin/run-bq-metadata-refresh";
    static final String REFRESH = "/api/v2/metadata-cache/refresh";
    static final String STATUS = "/api/v2/metadata-cache/status";

    @TempDir
    static Path dir;

    static WireMockServer bigQuery;
    static TestService service;
    static ApiClient api;
    static JsonNode document;
    static String admin;
    static String analyst;
    static final List<String> checked = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        bigQuery = WireMocks.startBigQuery();
        WireMocks.serveTable(bigQuery, "test-project", "ds", "orders", 9007199254740993L, 12);
        WireMocks.serveError(bigQuery, "test-project", "ds", "gone", 404, "notFound", "Not found: Table");
        admin = TokenIssuer.issue(dir.resolve("tokens"), "ana@example.com", Role.ADMIN, null);
        analyst = TokenIssuer.issue(dir.resolve("tokens"), "bo@example.com", Role.ANALYST, null);
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        service = TestService.start(env);
        service.registerRemote("orders", "ds", "orders");
        service.registerRemote("gone", "ds", "gone");
        service.registerRemote("never", "ds", "never");
        service.register("local_csv", "csv", "local", null, null, null);
        api = new ApiClient(Integer.parseInt(env.get("PORT")));
        Answer doc = api.get("/api/openapi.json", null);
        assertThat(doc.status()).isEqualTo(200);
        document = doc.json();
        service.refreshOne("orders");
        aStatus = (ObjectNode) api.get(STATUS, analyst).json();
    }

    @Test
    void everyRouteHasAnExplicitKebabCaseId() {
        // Camel names a route without an id route1, route2...: the REST DSL's document route among them
        assertThat(service.context().getRoutes()).extracting(org.apache.camel.Route::getRouteId)
                .isNotEmpty().allMatch(id -> id.matches("[a-z]+(-[a-z0-9]+)+"), "kebab-case");
    }

    /** A status answer with one fresh table, for the negative control. */
    static ObjectNode aStatus;

    @AfterAll
    static void stop() throws Exception {
        service.close();
        bigQuery.stop();
        System.out.println("openapi: validated " + checked);
    }

    static final SchemaRegistry SCHEMAS = SchemaRegistry.withDialect(Dialects.getOpenApi30(),
            builder -> builder.schemaRegistryConfig(SchemaRegistryConfig.builder().formatAssertionsEnabled(true).build()));

    /** The schema the document declares for an operation's answer with this status. */
    static JsonNode declared(String method, String path, int status) {
        JsonNode response = document.path("paths").path(path).path(method).path("responses").path(Integer.toString(status));
        assertThat(response.isMissingNode()).as("%s %s documents %d", method, path, status).isFalse();
        return response.path("content").path("application/json").path("schema");
    }

    /** Validates a body against a schema of the document: the document itself, rooted at that schema. */
    static void assertConforms(Answer answer, JsonNode schema, String what) {
        ObjectNode root = document.deepCopy();
        root.put("$ref", schema.path("$ref").asText());
        Schema validator = SCHEMAS.getSchema(root);
        List<Error> errors = validator.validate(answer.json());
        assertThat(errors).as("%s: %s", what, answer.body()).isEmpty();
        checked.add(what);
    }

    static void assertDocumented(String method, String path, Answer answer, int expected) {
        assertThat(answer.status()).as(answer.body()).isEqualTo(expected);
        assertThat(answer.header("Content-Type")).startsWith("application/json");
        assertConforms(answer, declared(method, path, expected), method + " " + path + " " + expected);
    }

    @Test
    void theDocumentIsOfThisVersionAndSaysWhatCanBeNullAndEveryHttpLevelError() {
        assertThat(document.at("/info/version").asText()).isEqualTo(io.agnes.bqmc.support.BuildInfo.version());
        // BigQuery's types grow: no enum that a newer type (or null) would break
        JsonNode entityType = document.at("/components/schemas/CachedTable/properties/entity_type");
        assertThat(entityType.path("nullable").asBoolean()).isTrue();
        if (entityType.has("enum")) {
            assertThat(entityType.get("enum").toString()).contains("null");
        }
        for (String status : List.of("405", "413", "414", "431")) {
            assertThat(document.at("/paths/~1api~1v2~1metadata-cache~1status/get/responses/" + status).isMissingNode())
                    .as("status %s documented", status).isFalse();
        }
    }

    @Test
    void theDocumentNamesAServerAClientCanCall() {
        assertThat(document.get("openapi").asText()).startsWith("3.0");
        assertThat(document.get("servers")).hasSize(1);
        assertThat(document.get("servers").get(0).get("url").asText()).isEqualTo("/");
    }

    @Test
    void theValidatorRejectsWhatTheDocumentForbids() throws Exception {
        ObjectNode body = aStatus.deepCopy();
        ObjectNode root = document.deepCopy();
        root.put("$ref", declared("get", STATUS, 200).path("$ref").asText());
        Schema schema = SCHEMAS.getSchema(root);
        assertThat(schema.validate(body)).isEmpty();

        ObjectNode table = (ObjectNode) body.get("tables").get(0);
        table.put("freshness", "unknown");
        table.remove("rows");
        table.putNull("table_id");
        body.put("server_time", "yesterday");
        assertThat(schema.validate(body)).extracting(e -> e.getInstanceLocation() + " " + e.getProperty() + ": " + e.getMessage())
                .hasSize(4)
                .anySatisfy(m -> assertThat(m).contains("freshness"))
                .anySatisfy(m -> assertThat(m).contains("rows"))
                .anySatisfy(m -> assertThat(m).contains("table_id"))
                .anySatisfy(m -> assertThat(m).contains("server_time"));
    }

    @Test
    void everyEndpointAndStatusCodeAnswersAsDocumented() throws Exception {
        assertDocumented("post", RUN, api.post(RUN, admin), 200);
        assertDocumented("post", RUN, api.post(RUN, null), 401);
        assertDocumented("post", RUN, api.post(RUN, analyst), 403);

        assertDocumented("post", REFRESH, api.post(REFRESH + "?table=orders", admin), 200);
        assertDocumented("post", REFRESH, api.post(REFRESH + "?table=gone", admin), 200);
        assertDocumented("post", REFRESH, api.post(REFRESH + "?table=never", admin), 200);
        assertDocumented("post", REFRESH, api.post(REFRESH, admin), 400);
        assertDocumented("post", REFRESH, api.post(REFRESH + "?table=local_csv", admin), 400);
        assertDocumented("post", REFRESH, api.post(REFRESH + "?table=orders", "not-a-token"), 401);
        assertDocumented("post", REFRESH, api.post(REFRESH + "?table=orders", analyst), 403);
        assertDocumented("post", REFRESH, api.post(REFRESH + "?table=nope", admin), 404);

        // fresh, error and never fetched rows: timestamps, nulls, lists; and the last runs
        service.update("INSERT INTO bq_metadata_cache (table_id, refreshed_at) VALUES ('stale_one', " + service.timestampParam()
                + ")", service.at(java.time.Instant.parse("2026-01-01T00:00:00Z")));
        service.registerRemote("stale_one", "ds", "stale_one");
        Answer status = api.get(STATUS, analyst);
        assertDocumented("get", STATUS, status, 200);
        List<String> verdicts = new ArrayList<>();
        status.json().get("tables").forEach(t -> verdicts.add(t.get("freshness").asText()));
        assertThat(verdicts).contains("fresh", "error", "stale");
        assertThat(status.json().get("last_runs")).isNotEmpty();
        assertDocumented("get", STATUS, api.get(STATUS, null), 401);
        assertDocumented("get", STATUS, api.get(STATUS + "?freshness=stale,error&table=stale_one", analyst), 200);
        assertDocumented("get", STATUS, api.get(STATUS + "?freshness=rotten", analyst), 400);

        // a run in flight: the 409 names it
        WireMocks.serveAnyTable(bigQuery, 1, 1, 1500);
        int before = bigQuery.getAllServeEvents().size();
        CompletableFuture<Answer> running = CompletableFuture.supplyAsync(() -> api.post(RUN, admin));
        await().atMost(Duration.ofSeconds(10)).until(() -> bigQuery.getAllServeEvents().size() > before);
        assertDocumented("post", RUN, api.post(RUN, admin), 409);
        assertThat(running.get().status()).isEqualTo(200);

        // what is not an endpoint: the document's error body
        JsonNode errorBody = document.path("components").path("schemas").path("ErrorBody");
        assertThat(errorBody.isMissingNode()).isFalse();
        ObjectNode errorRef = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
                .put("$ref", "#/components/schemas/ErrorBody");
        Answer notFound = api.get("/api/nope", admin);
        assertThat(notFound.status()).isEqualTo(404);
        assertConforms(notFound, errorRef, "GET /api/nope 404");
        Answer wrongMethod = api.send("DELETE", STATUS, "Bearer " + admin);
        assertThat(wrongMethod.status()).isEqualTo(405);
        assertThat(wrongMethod.header("Allow")).isEqualTo("GET");
        assertConforms(wrongMethod, errorRef, "DELETE " + STATUS + " 405");

        // the database gone: 500, as documented, and nothing of the internals
        service.context().getRegistry().lookupByNameAndType("dataSource", Database.class).close();
        Answer broken = api.get(STATUS, analyst);
        assertDocumented("get", STATUS, broken, 500);
        assertThat(broken.json().get("detail").asText()).isEqualTo("Internal server error");
    }
}
