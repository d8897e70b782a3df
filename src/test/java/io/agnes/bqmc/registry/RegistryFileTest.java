package io.agnes.bqmc.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.time.Duration;
import java.util.function.BooleanSupplier;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.support.LogCapture;
import io.agnes.bqmc.support.Engine;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.awaitility.Awaitility;
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
 * Contract section 4, on both engines: AGNES_REGISTRY_FILE imported at start and on every change.
 * One service per engine, and the tests in order: each the next version of the same file.
 */
@ParameterizedClass
@EnumSource(Engine.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RegistryFileTest {

    @Parameter
    Engine engine;


    @TempDir
    static Path root;

    /** This engine's files. */
    Path dir;

    Path file;
    WireMockServer bigQuery;
    TestService service;
    LogCapture logs;
    long version = 1;

    @BeforeParameterizedClassInvocation
    void start() throws Exception {
        dir = Files.createDirectories(root.resolve(engine.name()));
        bigQuery = WireMocks.startBigQuery();
        file = dir.resolve("registry.yaml");
        write("""
                - id: orders
                  name: Orders
                  source_type: bigquery
                  query_mode: remote
                  bucket: sales
                  source_table: orders
                - id: lookup
                  source_type: csv
                """);
        logs = LogCapture.open();
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl(), engine);
        env.put("AGNES_REGISTRY_FILE", file.toString());
        service = TestService.start(env);
        await(() -> registry().size() == 2);
    }

    @AfterParameterizedClassInvocation
    void stop() throws Exception {
        service.close();
        logs.close();
        bigQuery.stop();
    }

    /** Each write gets a distinct modification time, as an editor's save would. */
    void write(String yaml) throws Exception {
        Files.writeString(file, yaml);
        Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 1000 * version++));
    }

    List<Map<String, Object>> registry() {
        try {
            return service.query("SELECT id, name, source_type, query_mode, bucket, source_table, bq_fqn, registered_by"
                    + " FROM table_registry ORDER BY id");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Until the watcher picked the file up: fails after 15 s. */
    static void await(BooleanSupplier condition) {
        Awaitility.await().atMost(Duration.ofSeconds(15)).until(condition::getAsBoolean);
    }

    @Test
    @Order(1)
    void importsAtStartWithDefaults() {
        List<Map<String, Object>> rows = registry();
        assertThat(rows.get(0)).containsEntry("id", "lookup").containsEntry("name", "lookup")
                .containsEntry("query_mode", "local").containsEntry("registered_by", "registry-file");
        assertThat(rows.get(1)).containsEntry("id", "orders").containsEntry("name", "Orders")
                .containsEntry("source_type", "bigquery").containsEntry("query_mode", "remote")
                .containsEntry("bucket", "sales").containsEntry("source_table", "orders")
                .containsEntry("registered_by", "registry-file");
    }

    @Test
    @Order(3)
    void changesUpsertAndRemovalsDeleteWithTheirCacheRows() throws Exception {
        service.update("INSERT INTO bq_metadata_cache (table_id, \"rows\") VALUES ('lookup', 5)");
        service.register("alice_table", "bigquery", "remote", "ds", "t", null);
        write("""
                - id: orders
                  name: Orders v2
                  source_type: bigquery
                  query_mode: remote
                  bq_fqn: other-project.sales.orders
                - id: events
                  source_type: bigquery
                  query_mode: remote
                  bucket: web
                - id: alice_table
                  name: taken over?
                """);
        await(() -> registry().stream().anyMatch(r -> "events".equals(r.get("id"))));
        List<Map<String, Object>> rows = registry();
        assertThat(rows).extracting(r -> r.get("id")).containsExactly("alice_table", "events", "orders");
        assertThat(rows.get(0)).containsEntry("registered_by", "test").containsEntry("name", "alice_table");
        assertThat(rows.get(2)).containsEntry("name", "Orders v2").containsEntry("bq_fqn", "other-project.sales.orders")
                .containsEntry("bucket", null);
        assertThat(service.cacheRow("lookup")).isNull();
        assertThat(logs.linesContaining("is registered by someone else")).hasSize(1);
    }

    @Test
    @Order(2)
    void malformedFilesChangeNothingAndNameTheLine() throws Exception {
        List<Map<String, Object>> before = registry();
        assertThat(logs.linesContaining("rejected, nothing changed")).isEmpty();
        write("""
                - id: orders
                  source_type: bigquery
                - id: [broken
                """);
        await(() -> !logs.linesContaining("rejected, nothing changed").isEmpty());
        assertThat(logs.linesContaining("rejected, nothing changed").get(0)).startsWith("ERROR").contains("line 3");
        assertThat(registry()).isEqualTo(before);

        write("""
                - id: orders
                  source_type: bigquery
                  bukcet: typo
                """);
        await(() -> logs.linesContaining("rejected, nothing changed").size() == 2);
        assertThat(logs.linesContaining("rejected, nothing changed").get(1)).contains("line 3").contains("bukcet");
        assertThat(registry()).isEqualTo(before);

        write("");
        await(() -> logs.linesContaining("rejected, nothing changed").size() == 3);
        assertThat(logs.linesContaining("rejected, nothing changed").get(2)).contains("empty");
        assertThat(registry()).isEqualTo(before);
    }

    @Test
    @Order(4)
    void anEmptyListRemovesEveryRowTheFileCreated() throws Exception {
        service.register("bob_table", "bigquery", "remote", "ds", "t2", null);
        write("[]\n");
        // the file's rows (orders, events) gone; the rows others registered (alice's from before, bob's) kept
        await(() -> registry().size() == 2);
        assertThat(registry()).extracting(r -> r.get("id")).containsExactly("alice_table", "bob_table");
    }
}
