package io.agnes.bqmc.refresh;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run streams its registry: the tables it holds at any moment are a few pages' worth (the
 * lookup pool, its short queue, the writer's batch), not the whole estate it refreshes. (Before,
 * every row was read and pending at once.)
 */
class StreamingRunTest {

    @TempDir
    Path dir;

    @Test
    void aRunHoldsAFewTablesAtATimeWhateverTheEstate() throws Exception {
        WireMockServer bigQuery = WireMocks.startBigQuery();
        WireMocks.serveAnyTable(bigQuery, 3, 30, 2);
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        env.put("AGNES_BQ_METADATA_REFRESH_CONCURRENCY", "2");
        int tables = 3000;
        try (TestService service = TestService.start(env)) {
            service.update("INSERT INTO table_registry (id, name, source_type, bucket, source_table, query_mode)"
                    + " SELECT 't' || i, 't' || i, 'bigquery', 'ds', 't' || i, 'remote' FROM range(" + tables + ") r(i)");
            PendingTables pending = service.context().getRegistry().lookupByNameAndType("pendingTables", PendingTables.class);
            AtomicInteger most = new AtomicInteger();
            CompletableFuture<RunRecord> run = CompletableFuture.supplyAsync(service::runAll);
            while (!run.isDone()) {
                most.accumulateAndGet(pending.size(), Math::max);
                Thread.sleep(5);
            }
            assertThat(run.get().succeeded()).isEqualTo(tables);
            System.out.println("streaming run: at most " + most.get() + " of " + tables + " tables held at once");
            assertThat(most.get()).as("tables held at once").isPositive().isLessThan(600);
        } finally {
            bigQuery.stop();
        }
    }
}
