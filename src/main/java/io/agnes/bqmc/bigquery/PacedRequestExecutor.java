package io.agnes.bqmc.bigquery;

import java.io.IOException;

import org.apache.http.HttpClientConnection;
import org.apache.http.HttpException;
import org.apache.http.HttpRequest;
import org.apache.http.HttpResponse;
import org.apache.http.protocol.HttpContext;
import org.apache.http.protocol.HttpRequestExecutor;

/**
 * Keeps the {@link RequestRate} at the last moment there is: on an open connection, right
 * before the request is written. Taken any earlier (before the pool hands out a connection,
 * which may first have to be opened), the first requests of a run went out late and together:
 * eight inside 30 ms, one second holding 63 at a pace of 60.
 */
final class PacedRequestExecutor extends HttpRequestExecutor {

    private final RequestRate rate;

    PacedRequestExecutor(RequestRate rate) {
        this.rate = rate;
    }

    @Override
    public HttpResponse execute(HttpRequest request, HttpClientConnection conn, HttpContext context)
            throws IOException, HttpException {
        rate.acquire();
        return super.execute(request, conn, context);
    }
}
