package io.agnes.bqmc.api;

import java.net.BindException;
import java.util.concurrent.ExecutionException;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.agnes.bqmc.auth.AuthenticationFailedException;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API's HTTP server, owned by the service rather than by camel-platform-http-main (which is
 * off: {@code camel.server.enabled = false}). Camel gets it through public API: a Vert.x router
 * handed to Camel as the {@link VertxPlatformHttpRouter} of the API port, the way Camel's own
 * server binds it, so the REST DSL's platform-http consumers put their routes on it; what a
 * connection may do is {@link ConnectionGuard}'s, on Vert.x's public handlers.
 * <p>
 * Owning it gives the service the three moments Camel's server hides:
 * <ul>
 * <li><b>starting</b>: the port listens before the routes are in; until the service is ready
 * (routes started, the registry file's first import done) every request gets a JSON 503 with
 * {@code Retry-After}, never a 404 from a router that has no routes yet;</li>
 * <li><b>draining</b> ({@code SHUTDOWN_DRAIN_SECONDS} after SIGTERM): readiness is DOWN so the load
 * balancer stops sending, but requests are still served;</li>
 * <li><b>stopping</b>: new requests get a JSON 503 and {@code Connection: close} while a run in
 * flight finishes; the listener closes last.</li>
 * </ul>
 */
public final class ApiHttpServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ApiHttpServer.class);

    /** Room for long ids and tokens; beyond these the request is refused with a JSON 414/431. */
    static final int MAX_INITIAL_LINE = 16 * 1024;
    static final int MAX_HEADER_SIZE = 64 * 1024;

    /** The API takes no request bodies: anything larger than this is refused with 413. */
    static final long MAX_BODY_BYTES = 65_536;

    /** Seconds a client is asked to wait before it tries again, while starting or stopping. */
    static final int RETRY_AFTER_SECONDS = 2;

    public enum State { STARTING, SERVING, DRAINING, STOPPING }

    private final int port;
    private final Vertx vertx;
    private final Router router;
    private final ConnectionGuard guard;
    private HttpServer server;
    private volatile State state = State.STARTING;
    /** The detail of a 401 for an {@code Authorization} header value, or null when it authenticates. */
    private volatile java.util.function.Function<HttpServerRequest, String> credentials =
            request -> AuthenticationFailedException.MISSING;

    private volatile Refusals refusals;

    /** The paths whose handlers check credentials of their own kind ({@link #post}). */
    private final java.util.Set<String> ownCredentials = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** A request body must have arrived whole this long after its headers. */
    static final int BODY_SECONDS = 10;

    /** @param headerSeconds how long a connection may take to send a request's headers (API_HEADER_TIMEOUT_SECONDS) */
    public ApiHttpServer(int port, int headerSeconds) {
        this.port = port;
        // two event loops: the API answers from the database and never computes much on them
        this.vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
        this.guard = new ConnectionGuard(vertx, headerSeconds * 1000L);
        this.router = Router.router(vertx);
        router.route().order(Integer.MIN_VALUE + 1).handler(this::gate);
        RouterErrors.ROUTER_FAILURES.forEach((status, detail) ->
                router.errorHandler(status, RouterErrors.routerFailure(status, detail)));
    }

    /**
     * Binds the router for platform-http and starts listening (answering 503 until {@link #serve()}).
     *
     * @throws IllegalStateException naming the port when it cannot be bound
     */
    public void start(CamelContext context) {
        String name = VertxPlatformHttpRouter.getRouterNameFromPort(port);
        context.getRegistry().bind(name, new VertxPlatformHttpRouter(null, vertx, router, name) {
            @Override
            public Handler<RoutingContext> bodyHandler() {
                // no file uploads (BodyHandler.create() would make a file-uploads directory), bounded bodies
                return BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES);
            }
        });
        HttpServerOptions options = new HttpServerOptions()
                .setMaxInitialLineLength(MAX_INITIAL_LINE)
                .setMaxHeaderSize(MAX_HEADER_SIZE)
                // the API speaks HTTP/1.1; with h2c on, Vert.x sets a connection up only once bytes
                // have come, and the guard would not see a silent one
                .setHttp2ClearTextEnabled(false);
        server = guard.guard(vertx.createHttpServer(options), router)
                .invalidRequestHandler(RouterErrors::invalidRequest);
        try {
            listen();
        } catch (Exception e) {
            close();
            throw new IllegalStateException("PORT " + port + " cannot be listened on: " + e.getMessage(), e);
        }
    }

    /** A port released a moment ago (a restart) may still be in TIME_WAIT's hands: retry briefly. */
    private void listen() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            try {
                server.listen(port).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof BindException) || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(20);
            }
        }
    }

    public State state() {
        return state;
    }

    /**
     * How a request that comes with a body is judged before a byte of it is read: an
     * unauthenticated one is refused at once (520 sockets that sent headers and one byte of a
     * 60 KB body had held every connection for over a minute).
     */
    public void checkCredentialsWith(java.util.function.Function<HttpServerRequest, String> check) {
        this.credentials = check;
    }

    /** Routes in, first registry import done: requests reach the routes. */
    public void serve() {
        if (state == State.STARTING) {
            state = State.SERVING;
            LOG.info("API serving on port {}", port);
        }
    }

    /** SIGTERM: readiness goes DOWN; requests are still served. */
    public void drain() {
        state = State.DRAINING;
    }

    /** The service is stopping: new requests are turned away; those in flight finish. */
    public void stopping() {
        state = State.STOPPING;
    }

    /**
     * A GET endpoint served on the router itself, after the gate (503 while starting or stopping,
     * the request id) and before Camel's routes: streams that stay open for hours, and the page's files.
     */
    public void get(String path, Handler<RoutingContext> handler) {
        router.get(path).order(Integer.MIN_VALUE + 2).handler(handler);
    }

    /**
     * A POST endpoint served on the router itself, that authenticates its callers its own way
     * (its first handler must, before the body is read): the gate does not judge its credentials.
     */
    public void post(String path, List<Handler<RoutingContext>> handlers) {
        ownCredentials.add(path);
        // a route per handler: Vert.x takes a body handler only before any other on one route,
        // and the credentials are to be checked before the body is read
        for (Handler<RoutingContext> handler : handlers) {
            router.post(path).order(Integer.MIN_VALUE + 2).handler(handler);
        }
    }

    /** The Vert.x instance the API runs on, for handlers of its own ({@link #get}). */
    public Vertx vertx() {
        return vertx;
    }

    /** Counts and tells the callers refused before their request reaches the routes; set once serving. */
    public void countRefusalsWith(Refusals refusals) {
        this.refusals = refusals;
    }

    private void gate(RoutingContext ctx) {
        // every answer carries the request's id; the routes read the sane one from the request
        String id = RequestIds.of(ctx.request().getHeader(RequestIds.HEADER));
        ctx.request().headers().set(RequestIds.HEADER, id);
        ctx.response().putHeader(RequestIds.HEADER, id);
        State now = state;
        if (now == State.SERVING || now == State.DRAINING) {
            if (hasBody(ctx.request()) && !bodyAllowed(ctx)) {
                return;
            }
            ctx.next();
            return;
        }
        if (now == State.STOPPING) {
            ctx.response().putHeader("Connection", "close");
        }
        ctx.response().putHeader("Retry-After", Integer.toString(RETRY_AFTER_SECONDS));
        RouterErrors.write(ctx.response(), 503, now == State.STARTING
                ? "Service starting: try again in a moment" : "Service stopping: try another replica");
    }

    /**
     * Whether the request's credentials authenticate, for what the server answers itself; if not,
     * it answers 401, counted and told like the routes' refusals.
     */
    boolean authenticated(RoutingContext ctx, boolean closeConnection) {
        String refused = credentials.apply(ctx.request());
        if (refused == null) {
            return true;
        }
        unauthorized(ctx, ApiRoutes.ALLOWED_METHOD.containsKey(ctx.request().path()) ? ctx.request().path() : "other",
                Refusals.Reason.of(refused).label(), refused, closeConnection);
        return false;
    }

    /**
     * A 401 the server answers itself (the body check's, the progress stream's, the events
     * endpoint's), counted and told like the routes' refusals.
     *
     * @param endpoint the API path refused, as the refusal counter names it
     * @param reason   the counter's reason label
     */
    void unauthorized(RoutingContext ctx, String endpoint, String reason, String detail, boolean closeConnection) {
        Refusals counted = refusals;
        if (counted != null) {
            var peer = ctx.request().remoteAddress();
            counted.refused(endpoint, 401, reason, peer == null ? null : peer.hostAddress(),
                    ctx.request().getHeader(RequestIds.HEADER), null);
        }
        ctx.response().putHeader("WWW-Authenticate", "Bearer");
        if (closeConnection) {
            ctx.response().putHeader("Connection", "close");
        }
        RouterErrors.write(ctx.response(), 401, detail);
    }

    private static boolean hasBody(HttpServerRequest request) {
        String length = request.getHeader("Content-Length");
        return request.getHeader("Transfer-Encoding") != null || length != null && !length.strip().equals("0");
    }

    /** Refuses an unauthenticated body before it is read; gives an authenticated one {@link #BODY_SECONDS} to arrive. */
    private boolean bodyAllowed(RoutingContext ctx) {
        // the body stays unread: the connection cannot serve another request after the answer
        if (!ownCredentials.contains(ctx.request().path()) && !authenticated(ctx, true)) {
            return false;
        }
        var connection = ctx.request().connection();
        vertx.setTimer(BODY_SECONDS * 1000L, id -> {
            if (!ctx.request().isEnded()) {
                connection.close();
            }
        });
        return true;
    }

    @Override
    public void close() {
        try {
            if (server != null) {
                server.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            LOG.warn("API server did not close cleanly: {}", e.toString());
        } finally {
            vertx.close();
        }
    }
}
