package io.agnes.bqmc.bigquery;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.support.BigQueryJson;
import io.agnes.bqmc.support.TestService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Contract section 5, end to end: WireMock serves real Table resources, the real client
 * fetches them, and the DuckDB row shows the mapping of every entity type and partition kind.
 */
class TableMetadataMappingTest {

    static final String P = "test-project";

    @TempDir
    static Path dir;

    static WireMockServer bigQuery;
    static TestService service;
    static RunRecord summary;

    @BeforeAll
    static void runOnce() throws Exception {
        bigQuery = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        bigQuery.start();
        serve("day_partitioned", BigQueryJson.table(P, "ds", "day_partitioned", "TABLE", "1284731", "982340112",
                List.of("order_id", "order_date", "customer_id", "region"),
                "\"timePartitioning\":{\"type\":\"DAY\",\"field\":\"order_date\"},"
                        + "\"clustering\":{\"fields\":[\"region\",\"customer_id\"]}"));
        serve("ingestion_partitioned", BigQueryJson.table(P, "ds", "ingestion_partitioned", "TABLE", "10", "200",
                List.of("event"), "\"timePartitioning\":{\"type\":\"HOUR\"}"));
        serve("range_partitioned", BigQueryJson.table(P, "ds", "range_partitioned", "TABLE", "5", "50",
                List.of("bucket", "v"),
                "\"rangePartitioning\":{\"field\":\"bucket\",\"range\":{\"start\":\"0\",\"end\":\"100\",\"interval\":\"10\"}}"));
        serve("plain", BigQueryJson.table(P, "ds", "plain", "TABLE", "0", "0", List.of("a"), null));
        serve("huge", BigQueryJson.table(P, "ds", "huge", "TABLE", "9007199254740993", "9223372036854775807",
                List.of("a", "b"), null));
        serve("no_counts", BigQueryJson.table(P, "ds", "no_counts", "TABLE", null, null, List.of("a"), null));
        serve("a_view", BigQueryJson.table(P, "ds", "a_view", "VIEW", "0", "0", List.of("x", "y"),
                "\"view\":{\"query\":\"SELECT 1 AS x, 2 AS y\",\"useLegacySql\":false}"));
        serve("a_mview", BigQueryJson.table(P, "ds", "a_mview", "MATERIALIZED_VIEW", "42", "4096", List.of("k", "n"),
                "\"materializedView\":{\"query\":\"SELECT k, COUNT(*) n FROM t GROUP BY k\"},"
                        + "\"clustering\":{\"fields\":[\"k\"]}"));
        serve("an_external", BigQueryJson.table(P, "ds", "an_external", "EXTERNAL", "7", "70", List.of("line"),
                "\"externalDataConfiguration\":{\"sourceUris\":[\"gs://bucket/file.csv\"],\"sourceFormat\":\"CSV\"}"));
        serve("a_snapshot", BigQueryJson.table(P, "ds", "a_snapshot", "SNAPSHOT", "100", "1000", List.of("a"),
                "\"snapshotDefinition\":{\"baseTableReference\":{\"projectId\":\"" + P
                        + "\",\"datasetId\":\"ds\",\"tableId\":\"plain\"},\"snapshotTime\":\"2026-01-01T00:00:00Z\"},"
                        + "\"timePartitioning\":{\"type\":\"DAY\",\"field\":\"d\"}"));
        serve("a_clone", BigQueryJson.table(P, "ds", "a_clone", "TABLE", "3", "30", List.of("a"),
                "\"cloneDefinition\":{\"baseTableReference\":{\"projectId\":\"" + P
                        + "\",\"datasetId\":\"ds\",\"tableId\":\"plain\"},\"cloneTime\":\"2026-01-01T00:00:00Z\"}"));
        serve("nested", BigQueryJson.table(P, "ds", "nested", "TABLE", "1", "1", List.of(),
                null).replace("\"fields\":[]", "\"fields\":[{\"name\":\"id\",\"type\":\"STRING\"},"
                        + "{\"name\":\"rec\",\"type\":\"RECORD\",\"fields\":[{\"name\":\"inner\",\"type\":\"STRING\"}]},"
                        + "{\"name\":\"z\",\"type\":\"INT64\"}]"));

        service = TestService.start(TestService.environment(dir, bigQuery.baseUrl()));
        for (String table : List.of("day_partitioned", "ingestion_partitioned", "range_partitioned", "plain", "huge",
                "no_counts", "a_view", "a_mview", "an_external", "a_snapshot", "a_clone", "nested")) {
            service.registerRemote(table, "ds", table);
        }
        summary = service.runAll();
    }

    static void serve(String table, String json) {
        bigQuery.stubFor(get(urlPathEqualTo(BigQueryJson.tablePath(P, "ds", table)))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(json)));
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
        bigQuery.stop();
    }

    @Test
    void everyTableSucceededWithOneRequestEach() {
        assertThat(summary.total()).isEqualTo(12);
        assertThat(summary.succeeded()).isEqualTo(12);
        assertThat(summary.noData()).isZero();
        assertThat(summary.failed()).isZero();
        assertThat(summary.runId()).matches("[0-9a-f]{8}");
        assertThat(bigQuery.getAllServeEvents()).hasSize(12);
    }

    @Test
    void baseTablePartitionedByFieldAndClusteredInOrder() throws Exception {
        Map<String, Object> row = service.cacheRow("day_partitioned");
        assertThat(row).containsEntry("entity_type", "BASE TABLE")
                .containsEntry("rows", 1284731L)
                .containsEntry("size_bytes", 982340112L)
                .containsEntry("partition_by", "order_date")
                .containsEntry("clustered_by", "[\"region\",\"customer_id\"]")
                .containsEntry("known_columns", "[\"order_id\",\"order_date\",\"customer_id\",\"region\"]")
                .containsEntry("error_at", null)
                .containsEntry("error_msg", null);
        assertThat(row.get("refreshed_at")).isNotNull();
    }

    @Test
    void ingestionTimePartitioningIsThePseudoColumn() throws Exception {
        assertThat(service.cacheRow("ingestion_partitioned")).containsEntry("partition_by", "_PARTITIONTIME");
    }

    @Test
    void rangePartitioningField() throws Exception {
        assertThat(service.cacheRow("range_partitioned")).containsEntry("partition_by", "bucket");
    }

    @Test
    void unpartitionedAndUnclusteredGiveNullAndEmptyList() throws Exception {
        assertThat(service.cacheRow("plain"))
                .containsEntry("partition_by", null)
                .containsEntry("clustered_by", "[]")
                .containsEntry("rows", 0L)
                .containsEntry("size_bytes", 0L);
    }

    @Test
    void countsBeyondTwoToTheFiftyThreeStayExact() throws Exception {
        assertThat(service.cacheRow("huge"))
                .containsEntry("rows", 9007199254740993L)
                .containsEntry("size_bytes", Long.MAX_VALUE);
    }

    @Test
    void absentCountsAreNull() throws Exception {
        assertThat(service.cacheRow("no_counts")).containsEntry("rows", null).containsEntry("size_bytes", null)
                .containsEntry("entity_type", "BASE TABLE");
    }

    @Test
    void viewsHaveNoCountsEvenWhenBigQuerySaysZero() throws Exception {
        assertThat(service.cacheRow("a_view"))
                .containsEntry("entity_type", "VIEW")
                .containsEntry("rows", null)
                .containsEntry("size_bytes", null)
                .containsEntry("known_columns", "[\"x\",\"y\"]");
        assertThat(service.cacheRow("a_mview"))
                .containsEntry("entity_type", "MATERIALIZED VIEW")
                .containsEntry("rows", null)
                .containsEntry("size_bytes", null)
                .containsEntry("clustered_by", "[\"k\"]");
    }

    @Test
    void externalSnapshotAndClone() throws Exception {
        assertThat(service.cacheRow("an_external")).containsEntry("entity_type", "EXTERNAL")
                .containsEntry("rows", 7L).containsEntry("size_bytes", 70L);
        // the official client does not carry a snapshot's partitioning over (README, "Known limits")
        assertThat(service.cacheRow("a_snapshot")).containsEntry("entity_type", "SNAPSHOT")
                .containsEntry("rows", 100L).containsEntry("size_bytes", 1000L);
        assertThat(service.cacheRow("a_clone")).containsEntry("entity_type", "CLONE")
                .containsEntry("rows", 3L);
    }

    @Test
    void knownColumnsAreTopLevelOnlyInSchemaOrder() throws Exception {
        assertThat(service.cacheRow("nested")).containsEntry("known_columns", "[\"id\",\"rec\",\"z\"]");
    }
}
