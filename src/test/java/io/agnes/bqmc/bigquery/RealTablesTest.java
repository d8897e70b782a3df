package io.agnes.bqmc.bigquery;

import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.support.BigQueryJson;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The corpus of real {@code tables.get} answers in {@code ../shared/realtables/} (answers BigQuery
 * gave, Google's own client fixtures, and real answers with one block grafted on), each served as
 * its manifest says and refreshed through the real client into a real DuckDB file.
 * <ul>
 * <li>{@code real_answer} and {@code derived_graft}: stored exactly as {@code expected_per_contract};</li>
 * <li>{@code google_fixture}: stored as expected, or refused with an error that names the key
 * outside BigQuery's wire format;</li>
 * <li>where the manifest says the contract is silent about a type (one the client does not know,
 * or none at all), the numbers are stored and the type is written as INFORMATION_SCHEMA writes
 * types: upper case, underscores as spaces; no type is NULL. Where the manifest's expectation and
 * the contract disagreed, the contract would win here; for this corpus they agree.</li>
 * </ul>
 */
class RealTablesTest {

    static final Path CORPUS = Path.of("..", "shared", "realtables");
    static final String PROJECT = "rt-corpus-proj";
    static final String DATASET = "realtables";
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;

    static WireMockServer bigQuery;
    static TestService service;
    static JsonNode resources;

    @BeforeAll
    static void refreshTheCorpus() throws Exception {
        resources = JSON.readTree(CORPUS.resolve("manifest.json").toFile()).get("resources");
        bigQuery = WireMocks.startBigQuery();
        service = TestService.start(TestService.environment(dir, bigQuery.baseUrl()));
        for (Map.Entry<String, JsonNode> entry : resources.properties()) {
            String name = entry.getKey();
            ObjectNode answer = (ObjectNode) JSON.readTree(CORPUS.resolve(entry.getValue().get("file").asText()).toFile());
            // served as the manifest says: the table's reference and id rewritten to the table asked for
            ObjectNode reference = answer.putObject("tableReference");
            reference.put("projectId", PROJECT).put("datasetId", DATASET).put("tableId", name);
            answer.put("id", PROJECT + ":" + DATASET + "." + name);
            bigQuery.stubFor(get(urlPathEqualTo(BigQueryJson.tablePath(PROJECT, DATASET, name)))
                    .willReturn(WireMocks.json(200, JSON.writeValueAsString(answer))));
            service.register(name, "bigquery", "remote", null, null, PROJECT + "." + DATASET + "." + name);
        }
        service.runAll();
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
        bigQuery.stop();
    }

    @Test
    void theCorpusIsThere() {
        assertThat(Files.isRegularFile(CORPUS.resolve("manifest.json"))).as("../shared/realtables beside the checkout")
                .isTrue();
        assertThat(resources.size()).isGreaterThanOrEqualTo(30);
    }

    @Test
    void everyRealAnswerAndGraftIsStoredAsTheContractSays() throws Exception {
        List<String> checked = new ArrayList<>();
        for (Map.Entry<String, JsonNode> entry : resources.properties()) {
            String cls = entry.getValue().get("class").asText();
            if (cls.equals("real_answer") || cls.equals("derived_graft")) {
                assertStoredAsExpected(entry.getKey(), entry.getValue().get("expected_per_contract"));
                checked.add(entry.getKey());
            }
        }
        assertThat(checked).contains("docs_snapshot", "derived_snapshot_partitioned_clustered", "derived_unknown_type");
    }

    @Test
    void aGoogleFixtureIsStoredAsExpectedOrRefusedNamingTheBadKey() throws Exception {
        int stored = 0;
        for (Map.Entry<String, JsonNode> entry : resources.properties()) {
            if (!entry.getValue().get("class").asText().equals("google_fixture")) {
                continue;
            }
            Map<String, Object> row = service.cacheRow(entry.getKey());
            assertThat(row).as(entry.getKey()).isNotNull();
            if (row.get("refreshed_at") != null) {
                assertStoredAsExpected(entry.getKey(), entry.getValue().get("expected_per_contract"));
                stored++;
            } else {
                assertThat((String) row.get("error_msg")).as(entry.getKey())
                        .matches("[A-Za-z]+Exception: .*\\b(numRows|numBytes|type|schema\\.fields|clustering\\.fields"
                                + "|timePartitioning\\.field|rangePartitioning\\.field)\\b.*");
            }
        }
        // the client refused five of them for a number or a float timestamp; read from the answer, they store
        assertThat(stored).isGreaterThanOrEqualTo(5);
    }

    @Test
    void aTypeTheClientDoesNotKnowKeepsItsNumbersAndBigQuerysName() throws Exception {
        Map<String, Object> row = service.cacheRow("derived_unknown_type");
        assertThat(row.get("entity_type")).isEqualTo("T-TYPE");
        assertThat(row.get("rows")).isEqualTo(36645L);
        assertThat(row.get("error_msg")).isNull();
    }

    private static void assertStoredAsExpected(String name, JsonNode expected) throws Exception {
        Map<String, Object> row = service.cacheRow(name);
        assertThat(row).as(name).isNotNull();
        assertThat(row.get("error_msg")).as(name + " error_msg").isNull();
        assertThat(row.get("refreshed_at")).as(name + " refreshed_at").isNotNull();
        assertThat(row.get("rows")).as(name + " rows").isEqualTo(longOrNull(expected.get("rows")));
        assertThat(row.get("size_bytes")).as(name + " size_bytes").isEqualTo(longOrNull(expected.get("size_bytes")));
        assertThat(row.get("partition_by")).as(name + " partition_by").isEqualTo(textOrNull(expected.get("partition_by")));
        assertThat(row.get("entity_type")).as(name + " entity_type").isEqualTo(entityType(expected.get("entity_type")));
        assertThat(JSON.readTree((String) row.get("clustered_by"))).as(name + " clustered_by")
                .isEqualTo(expected.get("clustered_by"));
        assertThat(JSON.readTree((String) row.get("known_columns"))).as(name + " known_columns")
                .isEqualTo(expected.get("known_columns"));
    }

    /** "(contract silent: type='t-type')" is ours to decide: INFORMATION_SCHEMA's way; type=None is NULL. */
    private static String entityType(JsonNode expected) {
        String text = textOrNull(expected);
        if (text != null && text.startsWith("(contract silent: type=")) {
            String type = text.substring("(contract silent: type=".length(), text.length() - 1);
            return type.equals("None") ? null
                    : type.replace("'", "").toUpperCase(java.util.Locale.ROOT).replace('_', ' ');
        }
        return text;
    }

    private static Long longOrNull(JsonNode n) {
        return n == null || n.isNull() ? null : n.asLong();
    }

    private static String textOrNull(JsonNode n) {
        return n == null || n.isNull() ? null : n.asText();
    }
}
