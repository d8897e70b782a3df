package io.agnes.bqmc.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;

/**
 * The status page on the API port ({@code /}): four files from the jar, read once, served with
 * a strict Content-Security-Policy (scripts and styles from this origin only, no inline code,
 * requests only back to the API). The page holds no data and needs no token; everything it shows
 * it asks the API for, with the token the user types.
 */
public final class StatusPage implements Handler<RoutingContext> {

    public static final String PAGE = "/";
    public static final String SCRIPT = "/ui/app.js";
    public static final String STYLE = "/ui/app.css";
    public static final String ICON = "/ui/icon.svg";

    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
            + " img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private record File(Buffer body, String type) {
    }

    private final Map<String, File> files = Map.of(
            PAGE, new File(read("web/index.html"), "text/html; charset=utf-8"),
            SCRIPT, new File(read("web/app.js"), "text/javascript; charset=utf-8"),
            STYLE, new File(read("web/app.css"), "text/css; charset=utf-8"),
            ICON, new File(read("web/icon.svg"), "image/svg+xml"));

    @Override
    public void handle(RoutingContext ctx) {
        File file = files.get(ctx.request().path());
        if (file == null) {
            ctx.next();
            return;
        }
        ctx.response().putHeader("Content-Type", file.type())
                .putHeader("Content-Security-Policy", CSP)
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("Referrer-Policy", "no-referrer")
                // a new jar is a new page: never an old script with a new API
                .putHeader("Cache-Control", "no-cache")
                .end(file.body());
    }

    private static Buffer read(String resource) {
        try (InputStream in = StatusPage.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is missing from the jar");
            }
            return Buffer.buffer(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
