package io.agnes.bqmc.bigquery;

import java.io.IOException;

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
 * past the pace (docs/BENCHMARKS.md, B8).
 */
final class PacedRequestExecutor extends HttpRequestExecutor {

    private final RequestRate rate;
    private final AnswerGuard guard;

    PacedRequestExecutor(RequestRate rate, AnswerGuard guard) {
        this.rate = rate;
        this.guard = guard;
    }

    @Override
    public HttpResponse execute(HttpRequest request, HttpClientConnection conn, HttpContext context)
            throws IOException, HttpException {
        rate.acquire();
        // the attempt's deadline counts from here: the wait for the pace is not the attempt's
        guard.startAttempt(context);
        return super.execute(request, conn, context);
    }
}
