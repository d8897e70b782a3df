package io.agnes.bqmc.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.support.Engine;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Contract section 3, on both engines: what a success and a failure write, and what they leave
 * alone. One service per engine; each test registers tables of its own, in order, so that every
 * run's counts are known.
 */
@ParameterizedClass
@EnumSource(Engine.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CacheWriteSemanticsTest {

    @Parameter
    Engine engine;


    static final String P = "test-project";

    @TempDir
    static Path root;

    WireMockServer bigQuery;
    TestService service;

    @BeforeParameterizedClassInvocation
    void start() throws Exception {
        bigQuery = WireMocks.startBigQuery();
        Path dir = java.nio.file.Files.createDirectories(root.resolve(engine.name()));
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl(), engine);
        env.put("BIGQUERY_MAX_ATTEMPTS", "1");
        service = TestService.start(env);
    }

    @AfterParameterizedClassInvocation
    void stop() throws Exception {
        service.close();
        bigQuery.stop();
    }

    @Test
    @Order(1)
    void failureKeepsLastGoodNumbersAndSuccessClearsTheError() throws Exception {
        service.registerRemote("sales", "ds", "sales");
        WireMocks.serveTable(bigQuery, P, "ds", "sales", 10, 1000);
        assertThat(service.runAll().succeeded()).isEqualTo(1);
        Map<String, Object> good = service.cacheRow("sales");

        WireMocks.serveError(bigQuery, P, "ds", "sales", 500, "backendError", "Backend error");
        RunRecord failed = service.runAll();
        assertThat(failed.failed()).isEqualTo(1);
        Map<String, Object> afterFailure = service.cacheRow("sales");
        assertThat(afterFailure)
                .containsEntry("rows", 10L)
                .containsEntry("size_bytes", 1000L)
                .containsEntry("entity_type", "BASE TABLE")
                .containsEntry("known_columns", "[\"a\",\"b\"]")
                .containsEntry("clustered_by", "[]")
                .containsEntry("refreshed_at", good.get("refreshed_at"));
        assertThat(afterFailure.get("error_at")).isNotNull();
        assertThat((String) afterFailure.get("error_msg")).startsWith("BigQueryException: ").contains("Backend error");

        WireMocks.serveTable(bigQuery, P, "ds", "sales", 11, 1100);
        assertThat(service.runAll().succeeded()).isEqualTo(1);
        Map<String, Object> recovered = service.cacheRow("sales");
        assertThat(recovered).containsEntry("rows", 11L).containsEntry("size_bytes", 1100L)
                .containsEntry("error_at", null).containsEntry("error_msg", null);
        assertThat((Instant) recovered.get("refreshed_at")).isAfter((Instant) good.get("refreshed_at"));
    }

    @Test
    @Order(2)
    void firstFailureInsertsARowOfNullsWithTheError() throws Exception {
        service.registerRemote("gone", "ds", "gone");
        WireMocks.serveError(bigQuery, P, "ds", "gone", 404, "notFound", "Not found: Table test-project:ds.gone");
        RunRecord summary = service.runAll();
        assertThat(summary.noData()).isEqualTo(1);
        Map<String, Object> row = service.cacheRow("gone");
        assertThat(row)
                .containsEntry("rows", null).containsEntry("size_bytes", null).containsEntry("partition_by", null)
                .containsEntry("clustered_by", null).containsEntry("known_columns", null)
                .containsEntry("entity_type", null).containsEntry("refreshed_at", null)
                .containsEntry("error_msg", "provider returned no data: table test-project.ds.gone not found (404)");
        assertThat(row.get("error_at")).isNotNull();
    }

    @Test
    @Order(3)
    void errorMessagesAreCutTo512Characters() throws Exception {
        service.registerRemote("chatty", "ds", "chatty");
        WireMocks.serveError(bigQuery, P, "ds", "chatty", 400, "invalid", "x".repeat(2000));
        service.runAll();
        String message = (String) service.cacheRow("chatty").get("error_msg");
        assertThat(message).hasSize(512).startsWith("BigQueryException: xxx");
    }

    @Test
    void cutNeverSplitsASurrogatePair() {
        String text = "e".repeat(511) + "\uD83D\uDE00" + "tail";
        assertThat(CacheUpserts.cut(text)).hasSize(511).isEqualTo("e".repeat(511));
        assertThat(CacheUpserts.cut("short")).isEqualTo("short");
        assertThat(CacheUpserts.cut(null)).isNull();
    }
}
