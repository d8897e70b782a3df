package io.agnes.bqmc.api;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;

/**
 * What the API's HTTP server lets a connection do, through Vert.x's public connection and
 * request handlers, so idle and slow connections cannot use up the process's descriptors
 * (docs/RELIABILITY.md, section 10):
 * <ul>
 * <li>at most {@value #MAX_CONNECTIONS} connections are open at once; one more is closed as it
 * is accepted, so descriptors stay for the management port, the database and BigQuery;</li>
 * <li>a request's headers must be complete within the header deadline (10 s) of the connection
 * opening or of the previous answer: a silent connection, an idle kept-alive one, and a
 * slowloris client that sends a byte at a time are closed then. A request being answered is
 * never cut, however long a run takes (which is why this is not Vert.x's idle timeout: a run's
 * answer is silent for minutes).</li>
 * </ul>
 * With cleartext HTTP/2 off, Vert.x calls the connection handler as a connection is accepted,
 * and the request handler once a request's headers are in: the two moments the guard needs.
 */
final class ConnectionGuard {

    static final int MAX_CONNECTIONS = 512;

    private final Vertx vertx;
    private final long headerMillis;
    private final AtomicInteger open = new AtomicInteger();
    private final Map<HttpConnection, Clock> clocks = new ConcurrentHashMap<>();

    /** @param headerMillis how long a connection may take to send a request's headers */
    ConnectionGuard(Vertx vertx, long headerMillis) {
        this.vertx = vertx;
        this.headerMillis = headerMillis;
    }

    /** Puts the guard on {@code server}, in front of {@code router}. */
    HttpServer guard(HttpServer server, Handler<HttpServerRequest> router) {
        return server.connectionHandler(this::accepted).requestHandler(request -> {
            Clock clock = clocks.get(request.connection());
            if (clock != null) {
                clock.started();
                request.response().endHandler(v -> clock.answered());
                request.response().closeHandler(v -> clock.answered());
            }
            router.handle(request);
        });
    }

    int open() {
        return open.get();
    }

    private void accepted(HttpConnection connection) {
        if (open.incrementAndGet() > MAX_CONNECTIONS) {
            open.decrementAndGet();
            connection.close();
            return;
        }
        Clock clock = new Clock(connection);
        clocks.put(connection, clock);
        connection.closeHandler(v -> {
            clocks.remove(connection);
            clock.cancel();
            open.decrementAndGet();
        });
        clock.arm();
    }

    /**
     * One connection's header deadline. Every call comes on the connection's own event loop
     * (Vert.x calls its handlers there), so the counters need no lock.
     */
    private final class Clock {

        private final HttpConnection connection;
        private long timer = -1;
        private int inFlight;

        Clock(HttpConnection connection) {
            this.connection = connection;
        }

        void started() {
            inFlight++;
            cancel();
        }

        void answered() {
            if (inFlight > 0 && --inFlight == 0) {
                arm();
            }
        }

        void arm() {
            cancel();
            timer = vertx.setTimer(headerMillis, id -> {
                if (inFlight == 0) {
                    connection.close();
                }
            });
        }

        void cancel() {
            if (timer >= 0) {
                vertx.cancelTimer(timer);
                timer = -1;
            }
        }
    }
}
