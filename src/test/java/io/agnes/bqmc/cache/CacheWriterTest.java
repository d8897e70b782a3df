package io.agnes.bqmc.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import com.zaxxer.hikari.HikariDataSource;
import io.agnes.bqmc.bigquery.TableMetadata;
import io.agnes.bqmc.db.Database;
import io.agnes.bqmc.db.Dialect;
import io.agnes.bqmc.db.Fence;
import io.agnes.bqmc.support.TestService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The writer on its own, against a real DuckDB file: what queues up while a transaction runs
 * goes into the next one, entries that come close together share one, a run's entries wait for the
 * others on their way and its last for now does not, the later entry for a table wins, one bad entry
 * fails only itself, and a stop commits everything queued before it returns.
 */
class CacheWriterTest {

    @TempDir
    Path dir;

    /** A real pool whose connections a test can hold back, counting the transactions the writer opens. */
    static final class GatedDataSource extends HikariDataSource {
        final CountDownLatch open = new CountDownLatch(1);
        final CountDownLatch firstAsked = new CountDownLatch(1);
        final AtomicInteger connections = new AtomicInteger();

        @Override
        public Connection getConnection() throws SQLException {
            connections.incrementAndGet();
            firstAsked.countDown();
            try {
                open.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return super.getConnection();
        }
    }

    GatedDataSource dataSource;
    CacheWriter writer;

    @BeforeEach
    void start() throws Exception {
        dataSource = new GatedDataSource();
        dataSource.setJdbcUrl("jdbc:duckdb:" + dir.resolve("cache.duckdb"));
        try (Connection c = TestService.openDuckDb(dir.resolve("cache.duckdb")); Statement s = c.createStatement()) {
            s.execute(CacheSchema.CREATE);
        }
        writer = new CacheWriter(Database.using(dataSource), java.util.concurrent.Executors.newSingleThreadExecutor());
        writer.start();
    }

    @AfterEach
    void stop() {
        dataSource.open.countDown();
        writer.stop();
        dataSource.close();
    }

    static CacheEntry ok(String id, long rows) {
        return CacheEntry.success(id, new TableMetadata("BASE TABLE", rows, rows * 10, null, List.of(), List.of("a")));
    }

    /** Submits one entry and waits until the writer holds it in a transaction that cannot begin yet. */
    CompletableFuture<Void> holdTheWriter() throws InterruptedException {
        CompletableFuture<Void> first = writer.submit(ok("first", 1));
        assertThat(dataSource.firstAsked.await(10, TimeUnit.SECONDS)).isTrue();
        return first;
    }

    Map<String, Object> row(String id) throws SQLException {
        dataSource.open.countDown();
        List<Map<String, Object>> rows = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); var ps = c.prepareStatement(
                "SELECT \"rows\", error_msg FROM bq_metadata_cache WHERE table_id = ?")) {
            ps.setString(1, id);
            try (var rs = ps.executeQuery()) {
                while (rs.next()) {
                    Map<String, Object> r = new java.util.HashMap<>();
                    r.put("rows", rs.getObject(1));
                    r.put("error_msg", rs.getObject(2));
                    rows.add(r);
                }
            }
        }
        return rows.isEmpty() ? null : rows.get(0);
    }

    @Test
    void whatQueuesUpDuringATransactionGoesIntoTheNextInBatchesOfAtMost500() throws Exception {
        CompletableFuture<Void> first = holdTheWriter();
        List<CompletableFuture<Void>> queued = new ArrayList<>();
        for (int i = 0; i < 999; i++) {
            queued.add(writer.submit(ok("t" + i, i)));
        }
        dataSource.open.countDown();
        first.get(10, TimeUnit.SECONDS);
        CompletableFuture.allOf(queued.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

        // the held transaction, then 999 rows as 500 + 499
        assertThat(dataSource.connections.get()).isEqualTo(3);
        assertThat(row("t998")).containsEntry("rows", 998L);
        assertThat(row("first")).containsEntry("rows", 1L);
    }

    @Test
    void entriesArrivingCloseTogetherShareATransactionThoughTheWriterKeepsUp() throws Exception {
        dataSource.open.countDown();
        List<CompletableFuture<Void>> written = new ArrayList<>();
        // a run's pace: one table every two milliseconds, for about 400 ms
        for (int i = 0; i < 200; i++) {
            written.add(writer.submit(ok("r" + i, i)));
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
        CompletableFuture.allOf(written.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

        // a few transactions of up to 200 ms each (one per entry, or per few, without waiting for the next)
        assertThat(dataSource.connections.get()).isBetween(2, 12);
        assertThat(row("r199")).containsEntry("rows", 199L);
    }

    @Test
    void aRunsEntriesWaitForTheOthersOnTheirWayAndItsLastForNowIsWrittenAtOnce() throws Exception {
        dataSource.open.countDown();
        // a linger far longer than the test: whatever is written before it ends, the run's signal wrote
        CacheWriter patient = new CacheWriter(Database.using(dataSource),
                java.util.concurrent.Executors.newSingleThreadExecutor(), TimeUnit.SECONDS.toNanos(60));
        patient.start();
        try {
            java.util.concurrent.atomic.AtomicInteger onTheirWay = new java.util.concurrent.atomic.AtomicInteger(2);
            CompletableFuture<Void> first = patient.submit(ok("slow1", 1), Fence.NONE, () -> onTheirWay.get() > 0);
            // more of the run are on their way: no transaction yet, however long they take
            assertThat(dataSource.firstAsked.await(300, TimeUnit.MILLISECONDS)).isFalse();
            onTheirWay.decrementAndGet();
            CompletableFuture<Void> second = patient.submit(ok("slow2", 2), Fence.NONE, () -> onTheirWay.get() > 0);
            assertThat(dataSource.firstAsked.await(300, TimeUnit.MILLISECONDS)).isFalse();
            // the run's last: none on its way any more
            onTheirWay.decrementAndGet();
            CompletableFuture<Void> last = patient.submit(ok("slow3", 3), Fence.NONE, () -> onTheirWay.get() > 0);
            CompletableFuture.allOf(first, second, last).get(10, TimeUnit.SECONDS);
            assertThat(dataSource.connections.get()).isEqualTo(1);

            // an entry that says "more" after the last had gone (handed over together, arrived later)
            // is not left waiting: the writer asks when it takes it
            patient.submit(ok("late", 5), Fence.NONE, () -> onTheirWay.get() > 0).get(10, TimeUnit.SECONDS);
            assertThat(dataSource.connections.get()).isEqualTo(2);

            // a single table's entry (its caller waits for the commit) does not wait either
            patient.submit(ok("single", 4), Fence.NONE, CacheWriter.NOTHING_MORE).get(10, TimeUnit.SECONDS);
            assertThat(dataSource.connections.get()).isEqualTo(3);

            // more were on their way, then the run gave them up without a write (fenced off): no waiting for them
            onTheirWay.set(1);
            CountDownLatch asked = new CountDownLatch(1);
            CompletableFuture<Void> before = patient.submit(ok("before", 6), Fence.NONE, () -> {
                asked.countDown();
                return onTheirWay.get() > 0;
            });
            // the writer took it and, more being on their way then, waits
            assertThat(asked.await(10, TimeUnit.SECONDS)).isTrue();
            onTheirWay.decrementAndGet();
            // written long before the minute's linger ends, or this fails
            before.get(10, TimeUnit.SECONDS);
            assertThat(dataSource.connections.get()).isEqualTo(4);
            assertThat(row("slow3")).containsEntry("rows", 3L);
        } finally {
            patient.stop();
        }
    }

    @Test
    void theLaterEntryForATableWinsWithinABatch() throws Exception {
        CompletableFuture<Void> first = holdTheWriter();
        List<CompletableFuture<Void>> both = List.of(
                writer.submit(ok("same", 1)), writer.submit(CacheEntry.failure("same", "boom")),
                writer.submit(CacheEntry.failure("other", "boom")), writer.submit(ok("other", 2)));
        dataSource.open.countDown();
        first.get(10, TimeUnit.SECONDS);
        CompletableFuture.allOf(both.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);

        assertThat(row("same")).containsEntry("error_msg", "boom").containsEntry("rows", null);
        assertThat(row("other")).containsEntry("error_msg", null).containsEntry("rows", 2L);
    }

    @Test
    void oneBadEntryFailsOnlyItself() throws Exception {
        CompletableFuture<Void> first = holdTheWriter();
        CompletableFuture<Void> before = writer.submit(ok("before", 1));
        CompletableFuture<Void> bad = writer.submit(ok(null, 2)); // no key: the database refuses it
        CompletableFuture<Void> after = writer.submit(CacheEntry.failure("after", "boom"));
        dataSource.open.countDown();
        first.get(10, TimeUnit.SECONDS);

        before.get(10, TimeUnit.SECONDS);
        after.get(10, TimeUnit.SECONDS);
        assertThat(catchThrowable(() -> bad.get(10, TimeUnit.SECONDS))).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(SQLException.class);
        assertThat(row("before")).containsEntry("rows", 1L);
        assertThat(row("after")).containsEntry("error_msg", "boom");
    }

    @Test
    void aStopCommitsEverythingQueuedBeforeItReturnsAndRefusesWhatComesAfter() throws Exception {
        CompletableFuture<Void> first = holdTheWriter();
        List<CompletableFuture<Void>> queued = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            queued.add(writer.submit(ok("q" + i, i)));
        }
        CompletableFuture<Void> stopped = CompletableFuture.runAsync(writer::stop);
        dataSource.open.countDown();
        stopped.get(30, TimeUnit.SECONDS);

        assertThat(first).isCompleted();
        assertThat(queued).allSatisfy(f -> assertThat(f).isCompleted().isNotCompletedExceptionally());
        assertThat(row("q49")).containsEntry("rows", 49L);
        CompletableFuture<Void> late = writer.submit(ok("late", 1));
        assertThat(late).isCompletedExceptionally();
        assertThat(row("late")).isNull();
    }
}
