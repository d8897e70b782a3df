package io.agnes.bqmc.reliability;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.auth.Role;
import io.agnes.bqmc.auth.TokenIssuer;
import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.BigQueryJson;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API-side findings of the third hardening pass (issue 23), each with inputs of its kind
 * rather than only the one reproduced: credentials under Unicode-folded parameter names, request
 * bodies that never arrive, lists another tool wrote into the jsonb columns, ids holding commas,
 * and a 200 that is an HTML page. One service; the tests that show no lookup was made come first.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ThirdHardeningTest {

    static final String RUN = "/api/admin/run-bq-metadata-refresh";
    static final String STATUS = "/api/v2/metadata-cache/status";

    @TempDir
    static Path dir;

    WireMockServer bigQuery;
    TestService service;
    ApiClient api;
    int port;
    String admin;

    @BeforeAll
    void start() throws Exception {
        bigQuery = WireMocks.startBigQuery();
        WireMocks.serveAnyTable(bigQuery, 3, 30, 0);
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        admin = TokenIssuer.issue(dir.resolve("tokens"), "ops@example.com", Role.ADMIN, null);
        service = TestService.start(env);
        port = Integer.parseInt(env.get("PORT"));
        api = new ApiClient(port);
    }

    @AfterAll
    void stop() throws Exception {
        service.close();
        bigQuery.stop();
    }

    /** Finding 4: `?authorızation=` (U+0131) had authenticated and started a run with an admin token. */
    @Test
    @Order(1)
    void credentialsInTheQueryNeverAuthenticateWhateverTheNamesCase() {
        String bearer = URLEncoder.encode("Bearer " + admin, StandardCharsets.UTF_8);
        for (String name : List.of("authorızation", "AUTHORİZATION", "Authorization", "aUtHoRiZaTiOn", "authorization ",
                "authorization%00")) {
            ApiClient.Answer a = api.post(RUN + "?" + URLEncoder.encode(name, StandardCharsets.UTF_8) + "=" + bearer, null);
            assertThat(a.status()).as(name).isEqualTo(401);
        }
        assertThat(bigQuery.getAllServeEvents()).as("no run started").isEmpty();
    }

    /** Finding 3: headers, then one byte of a 60 KB body, held a connection for over a minute. */
    @Test
    @Order(2)
    void aBodyIsRefusedUnreadWithoutCredentialsAndCutOffWhenItDoesNotCome() throws Exception {
        for (String authorization : List.of("", "Authorization: Bearer bqmc_not_a_token\r\n")) {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                socket.setSoTimeout(5_000);
                OutputStream out = socket.getOutputStream();
                out.write(("POST " + RUN + " HTTP/1.1\r\nHost: x\r\n" + authorization
                        + "Content-Type: application/json\r\nContent-Length: 60000\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String answer = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
                assertThat(answer).as("answered before the body, %s", authorization).isEqualTo("HTTP/1.1 401");
            }
        }
        // an admin's request whose body stops coming: the connection is closed after the deadline
        long started = System.nanoTime();
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(("POST " + RUN + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + admin
                    + "\r\nContent-Length: 60000\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            while (in.read() != -1) {
                // whatever comes, until the server closes
            }
        }
        long seconds = (System.nanoTime() - started) / 1_000_000_000L;
        assertThat(seconds).isBetween(5L, 20L);
        assertThat(bigQuery.getAllServeEvents()).as("no run started").isEmpty();
    }

    /** Finding 10: [1, 2] or [["x"], null] written by another tool went out as they were. */
    @Test
    @Order(3)
    void listsAnotherToolWroteAreAlwaysArraysOfStrings() throws Exception {
        service.registerRemote("odd", "ds", "odd");
        service.update("INSERT INTO bq_metadata_cache (table_id, clustered_by, known_columns)"
                + " VALUES ('odd', '[1, 2]', '[[\"x\"], null, \"y\", true, {\"a\": 1}]')");
        JsonNode table = api.get(STATUS, admin).json().get("tables").get(0);
        assertThat(table.get("clustered_by").toString()).isEqualTo("[\"1\",\"2\"]");
        assertThat(table.get("known_columns").toString()).isEqualTo("[\"y\",\"true\"]");
    }

    /** Finding 12: an id with a comma or spaces around it could not be asked for. */
    @Test
    @Order(4)
    void anIdHoldingACommaOrSpacesIsAskedForPercentEncoded() throws Exception {
        for (String id : List.of("a,b", " padded ", "plain")) {
            service.register(id, "bigquery", "remote", "ds", "t", null);
        }
        ApiClient.Answer a = api.get(STATUS + "?table=a%2Cb&table=%20padded%20,plain", admin);
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        a.json().get("tables").forEach(t -> ids.add(t.get("table_id").asText()));
        assertThat(ids).containsExactly(" padded ", "a,b", "plain");
        // a literal comma still separates: neither "a" nor "b" exists
        assertThat(api.get(STATUS + "?table=a,b", admin).status()).isEqualTo(400);
    }

    /** Finding 11: a 200 with an HTML body was stored as a Gson message with a URL on a second line. */
    @Test
    @Order(5)
    void aTwoHundredThatIsAnHtmlPageIsStoredAsWhatBigQueryDid() throws Exception {
        bigQuery.stubFor(get(urlPathEqualTo(BigQueryJson.tablePath("test-project", "ds", "portal")))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "text/html; charset=UTF-8")
                        .withBody("<html><body>Sign in to continue</body></html>")));
        service.registerRemote("portal", "ds", "portal");
        service.refreshOne("portal");
        String error = (String) service.cacheRow("portal").get("error_msg");
        assertThat(error).isEqualTo("BigQueryException: BigQuery answered 200 with a text/html body, not a Table resource")
                .doesNotContain("\n");
    }
}
