package io.agnes.bqmc.api;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import io.netty.handler.codec.TooLongFrameException;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * Makes the answers that Vert.x gives before any route runs JSON like every other error:
 * requests its HTTP decoder rejects (URI or headers too long, a malformed request line) and
 * failures of the router itself (a body over the limit, a bad percent-encoding, a request no
 * route takes). {@link ApiHttpServer} installs them on the server and router it owns.
 */
final class RouterErrors {

    static final Map<Integer, String> ROUTER_FAILURES = Map.of(
            400, "Bad Request",
            // what no route takes: "OPTIONS *", a path that does not start with a slash
            404, "Not Found",
            405, "Method Not Allowed",
            413, "Request body too large",
            500, "Internal server error");

    private RouterErrors() {
    }

    static void invalidRequest(HttpServerRequest request) {
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
        // the decoder cannot go on after such a request: the connection closes after the answer;
        // its X-Request-Id (if it got so far) is not trusted: a control character lands here
        write(request.response().putHeader("Connection", "close").putHeader(RequestIds.HEADER, RequestIds.of(null)),
                status, detail);
    }

    static Handler<RoutingContext> routerFailure(int status, String detail) {
        return ctx -> {
            if (!ctx.response().ended()) {
                write(ctx.response(), status, detail);
            }
        };
    }

    static void write(HttpServerResponse response, int status, String detail) {
        byte[] body = ("{\"detail\":\"" + detail + "\"}").getBytes(StandardCharsets.UTF_8);
        response.setStatusCode(status).putHeader("Content-Type", "application/json").end(Buffer.buffer(body));
    }
}
