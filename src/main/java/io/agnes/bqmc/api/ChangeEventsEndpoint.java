package io.agnes.bqmc.api;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Semaphore;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agnes.bqmc.events.ChangeIntake;
import io.agnes.bqmc.events.ChangeMetrics;
import io.agnes.bqmc.events.PushTokens;
import io.agnes.bqmc.events.SigningKeys;
import io.agnes.bqmc.observe.DatabaseOutage;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/v2/metadata-cache/events}: where a Pub/Sub push subscription delivers
 * BigQuery's audit entries. On the API's router rather than a REST route: it is authenticated by
 * Google's OIDC token, not a platform token, before its body is read; its bodies (a table's whole
 * schema inside a {@code tableCreation}) outgrow the 64 KB the REST routes take; and at hundreds
 * of pushes a second each should cost a worker thread only while it waits on the database.
 * <p>
 * Answers as Pub/Sub reads them: 2xx acknowledges (queued, ignored, unregistered), 400 sends a
 * malformed message towards the subscription's dead-letter topic, 401 a token that is not the
 * subscription's, 429 when {@link #MAX_IN_FLIGHT} pushes are already being taken and 503 when the
 * database or Google's keys cannot be had: Pub/Sub backs off and delivers again.
 */
public final class ChangeEventsEndpoint {

    private static final Logger LOG = LoggerFactory.getLogger(ChangeEventsEndpoint.class);

    public static final String PATH = "/api/v2/metadata-cache/events";

    /** Pub/Sub's own limit on a message is 10 MB; its push envelope adds a third for base64. */
    static final long MAX_BODY_BYTES = 14L * 1024 * 1024;

    /** Pushes taken at once; more are answered 429 before their body is read. */
    static final int MAX_IN_FLIGHT = 64;

    static final String MESSAGE_ID_HEADER = "x-goog-pubsub-message-id";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final PushTokens tokens;
    private final ChangeIntake intake;
    private final ChangeMetrics metrics;
    private final ApiHttpServer api;
    private final DatabaseOutage outage;
    private final Vertx vertx;
    private final Clock clock;
    private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);

    public ChangeEventsEndpoint(ApiHttpServer api, PushTokens tokens, ChangeIntake intake, ChangeMetrics metrics,
                                DatabaseOutage outage, Clock clock) {
        this.api = api;
        this.tokens = tokens;
        this.intake = intake;
        this.metrics = metrics;
        this.outage = outage;
        this.vertx = api.vertx();
        this.clock = clock;
    }

    /** What {@link ApiHttpServer#post} serves {@link #PATH} with: the token, the body, the push. */
    public List<Handler<RoutingContext>> handlers() {
        return List.of(this::authenticate, BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES), this::receive);
    }

    /** The token first, on a worker (Google's keys may need fetching); the body stays unread until it passes. */
    private void authenticate(RoutingContext ctx) {
        if (!inFlight.tryAcquire()) {
            metrics.push("busy");
            ctx.response().putHeader("Retry-After", "1").putHeader("Connection", "close");
            RouterErrors.write(ctx.response(), 429, "Too many pushes at once: try again shortly");
            return;
        }
        ctx.addEndHandler(done -> inFlight.release());
        // held back while the token is checked on a worker; the body handler resumes it
        ctx.request().pause();
        List<String> authorization = ctx.request().headers().getAll("Authorization");
        vertx.executeBlocking(() -> {
            tokens.check(authorization);
            return null;
        }, false).onComplete(checked -> {
            if (checked.succeeded()) {
                ctx.next();
            } else if (checked.cause() instanceof PushTokens.RefusedException refused) {
                metrics.push("refused");
                // the body stays unread: the connection cannot serve another request
                api.unauthorized(ctx, PATH, refused.refusal().reason, refused.refusal().detail, true);
            } else if (checked.cause() instanceof SigningKeys.Unavailable unavailable) {
                LOG.warn("push not taken: {}", unavailable.getMessage());
                ctx.response().putHeader("Retry-After", "10").putHeader("Connection", "close");
                RouterErrors.write(ctx.response(), 503, "The push token cannot be checked now: try again shortly");
            } else {
                LOG.error("push token check failed", checked.cause());
                ctx.response().putHeader("Connection", "close");
                RouterErrors.write(ctx.response(), 500, "Internal server error");
            }
        });
    }

    private void receive(RoutingContext ctx) {
        byte[] body = ctx.body().buffer() == null ? new byte[0] : ctx.body().buffer().getBytes();
        String messageId = ctx.request().getHeader(MESSAGE_ID_HEADER);
        Instant receivedAt = clock.instant();
        vertx.executeBlocking(() -> intake.take(body, messageId, receivedAt), false).onComplete(taken -> {
            if (taken.succeeded()) {
                answer(ctx, taken.result());
            } else if (DatabaseOutage.isUnreachable(taken.cause()) || taken.cause() instanceof SQLException) {
                // not acknowledged: Pub/Sub delivers it again
                if (DatabaseOutage.isUnreachable(taken.cause())) {
                    outage.unreachable(taken.cause().getMessage());
                } else {
                    LOG.warn("push not taken: the change cannot be queued: {}", taken.cause().toString());
                }
                ctx.response().putHeader("Retry-After", Integer.toString(ApiRoutes.DATABASE_RETRY_AFTER_SECONDS));
                RouterErrors.write(ctx.response(), 503, "The change cannot be queued now: try again shortly");
            } else {
                LOG.error("push failed", taken.cause());
                RouterErrors.write(ctx.response(), 500, "Internal server error");
            }
        });
    }

    private static void answer(RoutingContext ctx, ChangeIntake.Answer answer) {
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(answer.body());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        ctx.response().setStatusCode(answer.status()).putHeader("Content-Type", "application/json").end(Buffer.buffer(json));
    }
}
