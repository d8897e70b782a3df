package io.agnes.bqmc.cache;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agnes.bqmc.bigquery.TableMetadata;
import io.agnes.bqmc.refresh.TableRefresh;
import io.agnes.bqmc.refresh.TableStatus;
import org.apache.camel.support.service.ServiceSupport;

/**
 * Writes refresh outcomes to {@code bq_metadata_cache} in batches, on a writer thread of its
 * own: a lookup thread hands its row over and goes on to the next lookup, and the row's
 * exchange completes once the row is committed. Whatever queued up while one transaction ran
 * goes into the next, as one multi-row statement per outcome. A commit per row, on the lookup
 * threads, made DuckDB's commit the bottleneck of a run (docs/BENCHMARKS.md); this way the
 * lookups never wait for the database and batches grow by themselves when the writes fall
 * behind. A failed batch is retried row by row, so one bad row fails only itself.
 */
public class CacheWriter extends ServiceSupport {

    /** Rows per transaction at most: bounds the time the lock is held. */
    static final int MAX_BATCH = 500;

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final Pending STOP = new Pending(null);

    private final DataSource dataSource;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private Thread writer;

    public CacheWriter(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    private static final class Pending {
        final TableRefresh refresh;
        final String now = CacheWrites.nowUtc();
        final CompletableFuture<Void> committed = new CompletableFuture<>();

        Pending(TableRefresh refresh) {
            this.refresh = refresh;
        }
    }

    /** Queues this table's outcome; the future completes once it is committed, or with why not. */
    public CompletableFuture<Void> submit(TableRefresh refresh) {
        Pending p = new Pending(refresh);
        if (!isRunAllowed()) {
            p.committed.completeExceptionally(new SQLException("the cache writer is stopped"));
            return p.committed;
        }
        queue.add(p);
        return p.committed;
    }

    @Override
    protected void doStart() {
        writer = new Thread(this::writeLoop, "bqmc-cache-writer");
        writer.setDaemon(true);
        writer.start();
    }

    /** Writes what is queued, then ends: called after the routes stopped, before the database closes. */
    @Override
    protected void doStop() throws InterruptedException {
        queue.add(STOP);
        writer.join(TimeUnit.SECONDS.toMillis(30));
    }

    private void writeLoop() {
        List<Pending> batch = new ArrayList<>();
        while (true) {
            Pending first;
            try {
                first = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            boolean stop = first == STOP;
            if (!stop) {
                batch.add(first);
            }
            Pending p;
            while (batch.size() < MAX_BATCH && (p = queue.poll()) != null) {
                if (p == STOP) {
                    stop = true;
                } else {
                    batch.add(p);
                }
            }
            if (!batch.isEmpty()) {
                try {
                    writeBatch(batch);
                } catch (Throwable unexpected) {
                    // never leave a run waiting on rows this thread can no longer write
                    batch.forEach(b -> b.committed.completeExceptionally(unexpected));
                    if (unexpected instanceof VirtualMachineError error) {
                        throw error;
                    }
                }
                batch.clear();
            }
            if (stop && queue.isEmpty()) {
                return;
            }
        }
    }

    private void writeBatch(List<Pending> batch) {
        try {
            commit(batch);
            batch.forEach(b -> b.committed.complete(null));
        } catch (SQLException | RuntimeException batchFailed) {
            // isolate the row (or the conflict) that failed the batch: each row alone
            for (Pending one : batch) {
                try {
                    commit(List.of(one));
                    one.committed.complete(null);
                } catch (SQLException | RuntimeException e) {
                    one.committed.completeExceptionally(e);
                }
            }
        }
    }

    private void commit(List<Pending> batch) throws SQLException {
        // one row per table: a run and a single refresh may both have queued the same table,
        // and one statement cannot upsert a row twice; the later outcome wins
        Map<String, Pending> latest = new LinkedHashMap<>();
        batch.forEach(p -> latest.put(p.refresh.tableId(), p));
        List<Pending> successes = new ArrayList<>();
        List<Pending> failures = new ArrayList<>();
        for (Pending p : latest.values()) {
            (p.refresh.status() == TableStatus.OK ? successes : failures).add(p);
        }
        try (Connection c = dataSource.getConnection()) {
            Transaction.run(c, tx -> {
                if (!successes.isEmpty()) {
                    try (PreparedStatement ps = tx.prepareStatement(CacheWrites.success(successes.size()))) {
                        int i = 0;
                        for (Pending p : successes) {
                            i = bindSuccess(ps, i, p.refresh.tableId(), p.refresh.metadata(), p.now);
                        }
                        ps.executeUpdate();
                    }
                }
                if (!failures.isEmpty()) {
                    try (PreparedStatement ps = tx.prepareStatement(CacheWrites.failure(failures.size()))) {
                        int i = 0;
                        for (Pending p : failures) {
                            i = CacheWrites.bindFailure(ps, i, p.refresh.tableId(), p.now, p.refresh.error());
                        }
                        ps.executeUpdate();
                    }
                }
                return null;
            });
        }
    }

    /** Binds one row's eight parameters after position {@code i}; returns the last position used. */
    private static int bindSuccess(PreparedStatement ps, int i, String tableId, TableMetadata m, String now)
            throws SQLException {
        ps.setString(++i, tableId);
        ps.setObject(++i, m.rows());
        ps.setObject(++i, m.sizeBytes());
        ps.setString(++i, m.partitionBy());
        ps.setString(++i, json(m.clusteredBy()));
        ps.setString(++i, m.entityType());
        ps.setString(++i, json(m.knownColumns()));
        ps.setString(++i, now);
        return i;
    }

    private static String json(List<String> values) {
        try {
            return values == null ? null : JSON.writeValueAsString(values);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a list of strings always serializes", e);
        }
    }
}
