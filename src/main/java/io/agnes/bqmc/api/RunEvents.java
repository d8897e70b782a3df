package io.agnes.bqmc.api;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agnes.bqmc.cache.CachedTables;
import io.agnes.bqmc.history.RunHistory;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.refresh.RunProgress;
import io.agnes.bqmc.refresh.TableStatus;
import io.agnes.bqmc.support.Times;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /api/v2/metadata-cache/runs/current/events}: the run in flight as Server-Sent Events,
 * for any valid token. {@code start}, a {@code row} per table, a {@code snapshot} every second
 * (done, total, per outcome, rate, ETA) and {@code complete}; a client joining mid-run gets a
 * {@code snapshot} first; with no run in flight, the newest run's {@code complete}, and the stream
 * stays open for the next one (a comment every 15 s keeps proxies from closing it). A replica
 * that is not running the run (PostgreSQL) streams snapshots read from the shared database.
 * <p>
 * Served on the API's Vert.x router itself, not through a Camel route: a stream is open for
 * hours, and a Camel exchange would hold a worker thread for each. Bounded: at most
 * {@value #MAX_LISTENERS} streams; each holds at most {@value #QUEUE} events not yet written. A
 * client that does not keep up loses the {@code row} events it could not take (never
 * {@code start} or {@code complete}) and gets a {@code snapshot} once it has caught up; the run
 * itself only ever adds to the queues, it never waits for a client.
 */
public final class RunEvents implements Handler<RoutingContext>, RunProgress.Listener {

    private static final Logger LOG = LoggerFactory.getLogger(RunEvents.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    public static final String PATH = "/api/v2/metadata-cache/runs/current/events";
    static final int MAX_LISTENERS = 256;
    static final int QUEUE = 1000;
    static final long SNAPSHOT_MS = 1000;
    static final long HEARTBEAT_MS = 15_000;

    private final ApiHttpServer server;
    private final Vertx vertx;
    private final RunProgress progress;
    private final RunHistory history;
    private final CachedTables cachedTables;
    private final Set<Client> clients = ConcurrentHashMap.newKeySet();
    /** The most events any stream has had waiting at once: bounded by {@link #QUEUE}, plus start and complete. */
    private final AtomicInteger maxQueued = new AtomicInteger();
    /** The run another replica is running, as the database showed it last, shared by every stream. */
    private volatile Remote remote = new Remote(null, Instant.EPOCH);
    private final AtomicBoolean readingRemote = new AtomicBoolean();

    private record Remote(String snapshotEvent, Instant readAt) {
    }

    /** @param server the API's server, whose router serves the stream and which judges its callers */
    public RunEvents(ApiHttpServer server, RunProgress progress, RunHistory history, CachedTables cachedTables) {
        this.server = server;
        this.vertx = server.vertx();
        this.progress = progress;
        this.history = history;
        this.cachedTables = cachedTables;
        progress.listen(this);
    }

    int listeners() {
        return clients.size();
    }

    int maxQueued() {
        return maxQueued.get();
    }

    @Override
    public void handle(RoutingContext ctx) {
        if (!server.authenticated(ctx, false)) {
            return;
        }
        if (clients.size() >= MAX_LISTENERS) {
            ctx.response().putHeader("Retry-After", "5");
            RouterErrors.write(ctx.response(), 503, "Too many progress streams open: try again shortly");
            return;
        }
        HttpServerResponse response = ctx.response().setChunked(true)
                .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                .putHeader("Cache-Control", "no-cache")
                // nginx and its kin would hold the events back to fill a buffer
                .putHeader("X-Accel-Buffering", "no");
        Client stream = new Client(vertx.getOrCreateContext(), response);
        clients.add(stream);
        response.closeHandler(v -> stream.close());
        response.exceptionHandler(e -> stream.close());
        stream.timer = vertx.setPeriodic(SNAPSHOT_MS, id -> stream.tick());
        response.write(": bq-metadata-cache run events\n\n");
        first(stream);
    }

    /** A joining client's first event: where the run in flight stands, or how the newest run ended. */
    private void first(Client stream) {
        RunProgress.Snapshot local = progress.current();
        if (local != null) {
            stream.offer(snapshotEvent(local), false);
            return;
        }
        vertx.executeBlocking(() -> {
            Optional<RunHistory.InFlight> elsewhere = history.inFlight();
            if (elsewhere.isPresent()) {
                return remoteSnapshot(elsewhere.get());
            }
            List<RunRecord> newest = history.newest(1);
            return newest.isEmpty() ? null : completeEvent(newest.get(0));
        }, false).onComplete(done -> {
            if (done.succeeded() && done.result() != null) {
                stream.offer(done.result(), false);
            }
        });
    }

    // the run's events, on the run's threads: formatted once, handed to every stream

    @Override
    public void started(RunProgress.Snapshot run) {
        ObjectNode data = JSON.createObjectNode().put("run_id", run.runId()).put("started_at", Times.iso(run.startedAt()))
                .put("total", run.total()).put("replica", run.replica()).put("trigger", run.trigger());
        broadcast(event("start", data), false);
    }

    @Override
    public void row(String runId, String tableId, TableStatus status, Long fetchMs) {
        if (clients.isEmpty()) {
            return;
        }
        ObjectNode data = JSON.createObjectNode().put("run_id", runId).put("table_id", tableId)
                .put("status", status.wire());
        if (fetchMs == null) {
            data.putNull("fetch_ms");
        } else {
            data.put("fetch_ms", fetchMs);
        }
        broadcast(event("row", data), true);
    }

    @Override
    public void completed(RunRecord record) {
        broadcast(completeEvent(record), false);
    }

    @Override
    public void failed(RunProgress.Snapshot run, String reason) {
        broadcast(event("complete", counters(run.runId(), run.startedAt(), run.done(), run.ok(), run.noData(),
                run.error(), Duration.between(run.startedAt(), Instant.now()).toMillis()).put("error", reason)), false);
    }

    private void broadcast(String event, boolean droppable) {
        for (Client c : clients) {
            c.offer(event, droppable);
        }
    }

    /** A run's record as a {@code complete} event. */
    static String completeEvent(RunRecord record) {
        return event("complete", counters(record.runId(), record.startedAt(), record.total(), record.succeeded(),
                record.noData(), record.failed(), record.durationMs()).put("status", record.status()));
    }

    /** The counters a {@code complete} event carries, whether the run ended with its record or not. */
    private static ObjectNode counters(String runId, Instant startedAt, long total, long succeeded, long noData,
                                       long failed, long durationMs) {
        return JSON.createObjectNode().put("run_id", runId).put("started_at", Times.iso(startedAt)).put("total", total)
                .put("succeeded", succeeded).put("no_data", noData).put("failed", failed).put("duration_ms", durationMs);
    }

    static String snapshotEvent(RunProgress.Snapshot run) {
        Instant now = Instant.now();
        ObjectNode data = JSON.createObjectNode().put("run_id", run.runId()).put("started_at", Times.iso(run.startedAt()))
                .put("done", run.done()).put("total", run.total()).put("ok", run.ok()).put("no_data", run.noData())
                .put("error", run.error()).put("rate", Math.round(run.rate(now) * 10) / 10.0);
        Long eta = run.etaSeconds(now);
        if (eta == null) {
            data.putNull("eta_seconds");
        } else {
            data.put("eta_seconds", eta);
        }
        data.put("replica", run.replica());
        return event("snapshot", data);
    }

    /** Another replica's run, from the shared cache: what it has written since it started. */
    private String remoteSnapshot(RunHistory.InFlight run) throws java.sql.SQLException {
        CachedTables.Progress p = cachedTables.progressSince(run.startedAt());
        return snapshotEvent(new RunProgress.Snapshot(run.runId(), run.startedAt(), p.total(), p.ok(), p.noData(),
                p.error(), null, null));
    }

    private static String event(String name, ObjectNode data) {
        return "event: " + name + "\ndata: " + data + "\n\n";
    }

    /** The run in flight elsewhere, read at most once a second whatever the number of streams. */
    private void refreshRemote() {
        if (Duration.between(remote.readAt(), Instant.now()).toMillis() < SNAPSHOT_MS || !readingRemote.compareAndSet(false, true)) {
            return;
        }
        vertx.executeBlocking(() -> {
            Optional<RunHistory.InFlight> elsewhere = history.inFlight();
            return new Remote(elsewhere.isPresent() ? remoteSnapshot(elsewhere.get()) : null, Instant.now());
        }, false).onComplete(done -> {
            readingRemote.set(false);
            if (done.succeeded()) {
                remote = done.result();
            } else {
                remote = new Remote(null, Instant.now());
                LOG.debug("progress of a run elsewhere could not be read: {}", done.cause().toString());
            }
        });
    }

    /** One open stream, written only on its connection's event loop. */
    private final class Client {
        private final Context context;
        private final HttpServerResponse response;
        private final Queue<String> queue = new ConcurrentLinkedQueue<>();
        private final AtomicInteger queued = new AtomicInteger();
        private final AtomicBoolean flushing = new AtomicBoolean();
        private volatile boolean lagging;
        private volatile boolean closed;
        private long timer;
        private long lastWrite = System.nanoTime();

        Client(Context context, HttpServerResponse response) {
            this.context = context;
            this.response = response;
        }

        /** From any thread; never waits. */
        void offer(String event, boolean droppable) {
            if (closed) {
                return;
            }
            if (droppable && queued.get() >= QUEUE) {
                lagging = true;
                return;
            }
            queue.add(event);
            maxQueued.accumulateAndGet(queued.incrementAndGet(), Math::max);
            if (flushing.compareAndSet(false, true)) {
                context.runOnContext(v -> flush());
            }
        }

        /** On the event loop: as much as the connection takes now; the rest when it drains. */
        private void flush() {
            flushing.set(false);
            if (closed) {
                return;
            }
            String event;
            while (!response.writeQueueFull() && (event = queue.poll()) != null) {
                queued.decrementAndGet();
                write(event);
            }
            if (response.writeQueueFull()) {
                response.drainHandler(v -> flush());
            } else if (lagging && queue.isEmpty()) {
                // caught up after dropping rows: where the run stands now
                lagging = false;
                RunProgress.Snapshot run = progress.current();
                if (run != null) {
                    write(snapshotEvent(run));
                }
            }
        }

        private void write(String text) {
            response.write(text);
            lastWrite = System.nanoTime();
        }

        /** Every second, on the event loop: a snapshot of the run in flight, here or elsewhere, or a heartbeat. */
        void tick() {
            if (closed || response.writeQueueFull()) {
                return;
            }
            RunProgress.Snapshot local = progress.current();
            if (local != null) {
                offer(snapshotEvent(local), true);
                return;
            }
            refreshRemote();
            String elsewhere = remote.snapshotEvent();
            if (elsewhere != null) {
                offer(elsewhere, true);
            } else if (System.nanoTime() - lastWrite >= HEARTBEAT_MS * 1_000_000) {
                write(": keep-alive\n\n");
            }
        }

        void close() {
            if (!closed) {
                closed = true;
                clients.remove(this);
                vertx.cancelTimer(timer);
                queue.clear();
            }
        }
    }
}
