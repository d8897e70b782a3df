package io.agnes.bqmc.api;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.traffic.GlobalTrafficShapingHandler;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.impl.HttpServerImpl;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.impl.VertxInternal;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.net.impl.SslChannelProvider;

/**
 * What the API's HTTP server lets a connection do. Idle and slow connections had never been
 * closed: 1,100 of them under {@code ulimit -n 1024} made every endpoint, health included, time
 * out. Now:
 * <ul>
 * <li>at most {@value #MAX_CONNECTIONS} connections are open at once; one more is closed as it
 * is accepted, so descriptors stay for the management port, the database and BigQuery;</li>
 * <li>a request's headers must be complete within {@value #HEADER_SECONDS} s of the connection
 * opening or of the previous answer: a silent connection, an idle kept-alive one, and a
 * slowloris client that sends a byte at a time are closed then (a request being answered is
 * never cut, however long a run takes);</li>
 * <li>a request line of any HTTP version but 1.0 and 1.1 gets a JSON 505 (Vert.x answered it
 * 501 with an empty body, before any route of ours).</li>
 * </ul>
 * Vert.x offers no hook where a connection is accepted (its connection handler runs only once a
 * request has arrived), so the server is Vert.x's own with a handler put first on each new
 * channel. If a Vert.x upgrade changes that class, {@link JsonHttpErrors} keeps the plain server
 * and logs a WARN.
 */
final class ConnectionGuard {

    static final int MAX_CONNECTIONS = 512;
    static final int HEADER_SECONDS = 10;

    private static final String NAME = "bqmc-connection-guard";

    private final AtomicInteger open = new AtomicInteger();

    /**
     * Vert.x's HTTP server, with {@link Watch} first on every channel it accepts. The options
     * turn off cleartext HTTP/2 (h2c): the API speaks HTTP/1.1, and with h2c on, Vert.x sets up
     * a channel only once its first bytes have come.
     */
    HttpServer server(Vertx vertx, HttpServerOptions options) {
        return new HttpServerImpl((VertxInternal) vertx, options.setHttp2ClearTextEnabled(false)) {
            @Override
            protected BiConsumer<Channel, SslChannelProvider> childHandler(ContextInternal context, SocketAddress address,
                                                                           GlobalTrafficShapingHandler shaping) {
                BiConsumer<Channel, SslChannelProvider> vertxSetup = super.childHandler(context, address, shaping);
                return (channel, ssl) -> {
                    vertxSetup.accept(channel, ssl);
                    channel.pipeline().addFirst(NAME, new Watch());
                    for (var entry : channel.pipeline()) {
                        if (entry.getValue() instanceof HttpRequestDecoder || entry.getValue() instanceof HttpServerCodec) {
                            channel.pipeline().addAfter(entry.getKey(), "bqmc-http-version", new VersionGuard());
                            break;
                        }
                    }
                };
            }
        };
    }

    /** Wraps the router: a request in progress is never cut; its answer starts the clock for the next. */
    Handler<HttpServerRequest> requests(Handler<HttpServerRequest> router) {
        return request -> {
            Watch watch = watch(request);
            if (watch != null) {
                watch.started();
                request.response().endHandler(v -> watch.answered());
                request.response().closeHandler(v -> watch.answered());
            }
            router.handle(request);
        };
    }

    int open() {
        return open.get();
    }

    private static Watch watch(HttpServerRequest request) {
        if (request.connection() instanceof ConnectionBase base) {
            ChannelHandler handler = base.channel().pipeline().get(NAME);
            return handler instanceof Watch watch ? watch : null;
        }
        return null;
    }

    /** One channel's clock, counted among the open ones; runs on the channel's event loop, or says so. */
    private final class Watch extends ChannelInboundHandlerAdapter {

        private ChannelHandlerContext ctx;
        private ScheduledFuture<?> deadline;
        private boolean awaitingHeaders = true;
        private int inFlight;
        /** How much of "\r\n\r\n", the end of a request's headers, the bytes so far end with. */
        private int matched;
        private boolean counted;

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            this.ctx = ctx;
            counted = true;
            if (open.incrementAndGet() > MAX_CONNECTIONS) {
                ctx.close();
                return;
            }
            arm();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            release();
            super.channelInactive(ctx);
        }

        @Override
        public void handlerRemoved(ChannelHandlerContext ctx) {
            release();
        }

        private void release() {
            if (counted) {
                counted = false;
                open.decrementAndGet();
            }
            if (deadline != null) {
                deadline.cancel(false);
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            if (awaitingHeaders && msg instanceof ByteBuf bytes) {
                for (int i = bytes.readerIndex(); i < bytes.writerIndex() && awaitingHeaders; i++) {
                    byte b = bytes.getByte(i);
                    matched = b == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : (b == '\r' ? 1 : 0);
                    if (matched == 4) {
                        awaitingHeaders = false;
                        matched = 0;
                        if (deadline != null) {
                            deadline.cancel(false);
                        }
                    }
                }
            }
            super.channelRead(ctx, msg);
        }

        void started() {
            ctx.executor().execute(() -> inFlight++);
        }

        void answered() {
            ctx.executor().execute(() -> {
                if (inFlight > 0 && --inFlight == 0) {
                    awaitingHeaders = true;
                    arm();
                }
            });
        }

        private void arm() {
            if (deadline != null) {
                deadline.cancel(false);
            }
            deadline = ctx.executor().schedule(() -> {
                if (awaitingHeaders && inFlight == 0) {
                    ctx.channel().close();
                }
            }, HEADER_SECONDS, TimeUnit.SECONDS);
        }
    }

    /** Answers a request line of an HTTP version Vert.x does not serve, in JSON, and closes. */
    private static final class VersionGuard extends ChannelInboundHandlerAdapter {

        /** Once answered, whatever else the client sends on the connection is dropped with it. */
        private boolean answered;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            if (answered) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (msg instanceof HttpRequest request && !request.decoderResult().isFailure()
                    && !HttpVersion.HTTP_1_1.equals(request.protocolVersion())
                    && !HttpVersion.HTTP_1_0.equals(request.protocolVersion())) {
                answered = true;
                ReferenceCountUtil.release(msg);
                byte[] body = "{\"detail\":\"HTTP Version Not Supported: use HTTP/1.1\"}".getBytes(StandardCharsets.UTF_8);
                FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                        HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, Unpooled.wrappedBuffer(body));
                response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json")
                        .set(HttpHeaderNames.CONTENT_LENGTH, body.length)
                        .set(HttpHeaderNames.CONNECTION, "close");
                // from the tail: through the encoder, wherever it stands
                ctx.channel().writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            super.channelRead(ctx, msg);
        }
    }
}
