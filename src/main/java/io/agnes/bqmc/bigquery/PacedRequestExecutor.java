package io.agnes.bqmc.bigquery;

import java.io.IOException;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import org.apache.http.HttpClientConnection;
import org.apache.http.HttpException;
import org.apache.http.HttpRequest;
import org.apache.http.HttpResponse;
import org.apache.http.protocol.HttpContext;
import org.apache.http.protocol.HttpRequestExecutor;

/**
 * Keeps the {@link RequestRate} at the last moment there is, and starts the attempt's deadline
 * after it: on an open connection, right
 * before the request is written. Taken any earlier (before the pool hands out a connection,
 * which may first have to be opened), the first requests of a run went out late and together,
 * past the pace (docs/BENCHMARKS.md, B8). Each request on the wire is a client span (under the
 * table's span when traces are exported), from its first byte out to the answer's head.
 */
final class PacedRequestExecutor extends HttpRequestExecutor {

    private final RequestRate rate;
    private final AnswerGuard guard;
    private final Tracer tracer;

    PacedRequestExecutor(RequestRate rate, AnswerGuard guard, Tracer tracer) {
        this.rate = rate;
        this.guard = guard;
        this.tracer = tracer;
    }

    @Override
    public HttpResponse execute(HttpRequest request, HttpClientConnection conn, HttpContext context)
            throws IOException, HttpException {
        rate.acquire();
        // the attempt's deadline counts from here: the wait for the pace is not the attempt's
        guard.startAttempt(context);
        String method = request.getRequestLine().getMethod();
        String uri = request.getRequestLine().getUri();
        int query = uri.indexOf('?');
        Span span = tracer.spanBuilder(method + " tables.get").setSpanKind(SpanKind.CLIENT)
                .setAttribute("http.request.method", method)
                .setAttribute("url.path", query < 0 ? uri : uri.substring(0, query)).startSpan();
        try (Scope scope = span.makeCurrent()) {
            HttpResponse response = super.execute(request, conn, context);
            int status = response.getStatusLine().getStatusCode();
            span.setAttribute("http.response.status_code", status);
            if (status >= 400) {
                span.setStatus(StatusCode.ERROR);
            }
            return response;
        } catch (IOException | HttpException | RuntimeException e) {
            span.setStatus(StatusCode.ERROR, e.getClass().getSimpleName());
            throw e;
        } finally {
            span.end();
        }
    }
}
