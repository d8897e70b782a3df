package io.agnes.bqmc.api;

import java.lang.reflect.Field;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import io.netty.handler.codec.TooLongFrameException;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the answers that Vert.x gives before any route runs JSON like every other error:
 * requests its HTTP decoder rejects (URI or headers too long, a malformed request line) and
 * failures of the router itself (a body over the limit, a bad percent-encoding, a request no
 * route takes); and puts the {@link ConnectionGuard} on the API's connections.
 * <p>
 * camel-platform-http-main offers no hook for the HTTP server's options, so once the server
 * is up this re-binds the same router on the same port with our options and an invalid-request
 * handler. It reaches two private fields of {@link VertxPlatformHttpServer} to do so; if a
 * Camel upgrade moves them, the service keeps Vert.x's plain-text answers and logs a WARN.
 */
public final class JsonHttpErrors {

    private static final Logger LOG = LoggerFactory.getLogger(JsonHttpErrors.class);

    /** Room for long ids and tokens; beyond these the request is refused with a JSON 414/431. */
    static final int MAX_INITIAL_LINE = 16 * 1024;
    static final int MAX_HEADER_SIZE = 64 * 1024;

    private static final Map<Integer, String> ROUTER_FAILURES = Map.of(
            400, "Bad Request",
            // what no route takes: "OPTIONS *", a path that does not start with a slash
            404, "Not Found",
            405, "Method Not Allowed",
            413, "Request body too large",
            500, "Internal server error");

    private JsonHttpErrors() {
    }

    /** Call once the API server is listening. */
    public static void install(CamelContext context, int port) {
        VertxPlatformHttpRouter platformRouter = VertxPlatformHttpRouter.lookup(context,
                VertxPlatformHttpRouter.getRouterNameFromPort(port));
        if (platformRouter == null) {
            LOG.warn("no platform-http router on port {}: HTTP-level errors stay plain text", port);
            return;
        }
        VertxPlatformHttpServer platform = platformRouter.getServer();
        try {
            Router router = (Router) field("router").get(platform);
            ROUTER_FAILURES.forEach((status, detail) -> router.errorHandler(status, routerFailure(status, detail)));
            ConnectionGuard guard = new ConnectionGuard();
            HttpServer replacement = guard.server(platform.getVertx(), new HttpServerOptions()
                            .setMaxInitialLineLength(MAX_INITIAL_LINE).setMaxHeaderSize(MAX_HEADER_SIZE))
                    .invalidRequestHandler(JsonHttpErrors::invalidRequest)
                    .requestHandler(guard.requests(router));
            HttpServer original = platform.getServer();
            original.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            listen(replacement, port, platform.getHost());
            field("server").set(platform, replacement);
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("cannot adjust the API server ({}): HTTP-level errors stay plain text", e.toString());
        } catch (Exception e) {
            throw new IllegalStateException("cannot re-bind the API server on port " + port + ": " + e.getMessage(), e);
        }
    }

    /** The closed socket is released asynchronously: retry the bind briefly. */
    private static void listen(HttpServer server, int port, String host) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            try {
                server.listen(port, host).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof BindException) || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(20);
            }
        }
    }

    private static Field field(String name) throws NoSuchFieldException {
        Field f = VertxPlatformHttpServer.class.getDeclaredField(name);
        f.setAccessible(true);
        return f;
    }

    private static void invalidRequest(HttpServerRequest request) {
        Throwable cause = request.decoderResult().cause();
        int status = 400;
        String detail = "Malformed HTTP request";
        if (cause instanceof TooLongFrameException) {
            if (String.valueOf(cause.getMessage()).contains("header")) {
                status = 431;
                detail = "Request headers too large";
            } else {
                status = 414;
                detail = "Request URI too long";
            }
        }
        // the decoder cannot go on after such a request: the connection closes after the answer
        write(request.response().putHeader("Connection", "close"), status, detail);
    }

    private static Handler<RoutingContext> routerFailure(int status, String detail) {
        return ctx -> {
            if (!ctx.response().ended()) {
                write(ctx.response(), status, detail);
            }
        };
    }

    private static void write(HttpServerResponse response, int status, String detail) {
        byte[] body = ("{\"detail\":\"" + detail + "\"}").getBytes(StandardCharsets.UTF_8);
        response.setStatusCode(status).putHeader("Content-Type", "application/json").end(Buffer.buffer(body));
    }
}
