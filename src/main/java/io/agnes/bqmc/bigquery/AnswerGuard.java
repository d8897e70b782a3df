package io.agnes.bqmc.bigquery;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

import org.apache.http.Header;
import org.apache.http.HttpEntity;
import org.apache.http.HttpRequest;
import org.apache.http.HttpRequestInterceptor;
import org.apache.http.HttpResponse;
import org.apache.http.HttpResponseInterceptor;
import org.apache.http.client.methods.HttpRequestBase;
import org.apache.http.client.methods.HttpRequestWrapper;
import org.apache.http.entity.ByteArrayEntity;
import org.apache.http.entity.ContentType;
import org.apache.http.protocol.HttpContext;

/**
 * What BigQuery's answer may be, enforced on the HTTP client before the BigQuery client sees it:
 * <ul>
 * <li>a wall-clock bound on the whole attempt: the read timeout starts again with every byte, so
 * an answer trickled one byte at a time held a table for minutes; at the bound the request is
 * aborted;</li>
 * <li>a size cap ({@value #MAX_ANSWER_BYTES} bytes, after decompression): a Table resource of
 * 10,000 columns is far smaller, and a 20 MB answer exhausted the service's heap;</li>
 * <li>a nesting bound ({@value #MAX_NESTING} levels of JSON): a schema nests at most 15 records
 * (some 35 levels of JSON), and a deeper one pinned a core in the client's parser;</li>
 * <li>no redirects: {@code tables.get} never redirects, and a redirect to another table stored
 * that table's numbers. The answer stays a 3xx, which fails the attempt.</li>
 * </ul>
 */
final class AnswerGuard implements HttpRequestInterceptor, HttpResponseInterceptor {

    static final int MAX_ANSWER_BYTES = 4 * 1024 * 1024;
    static final int MAX_NESTING = 64;

    private static final String DEADLINE = "bqmc.attempt-deadline";
    private static final String REQUEST = "bqmc.attempt-request";

    /**
     * The answer the client read last on this thread: the client's call is synchronous, so the
     * lookup that made it reads BigQuery's own bytes after it (TableResource), not only the
     * client's model of them.
     */
    private static final ThreadLocal<Answer> LAST_ANSWER = new ThreadLocal<>();

    /** An answer as BigQuery sent it, decompressed. */
    record Answer(int status, String contentType, byte[] body) {
    }

    /** Forgets this thread's last answer: call before a request. */
    static void forgetAnswer() {
        LAST_ANSWER.remove();
    }

    /** This thread's answer since {@link #forgetAnswer()}, or null; forgotten once taken. */
    static Answer takeAnswer() {
        Answer answer = LAST_ANSWER.get();
        LAST_ANSWER.remove();
        return answer;
    }

    /**
     * Every attempt's deadline, on one thread of Camel's (it only ever aborts a request). Camel's
     * scheduled pools drop a cancelled task at once: an answered attempt's deadline left in the
     * queue until it came due kept its request reachable for the whole timeout.
     */
    private final ScheduledExecutorService timer;

    private final long attemptMillis;
    /** Requests on the wire now, for {@link #abortAll()} at a stop. */
    private final java.util.Set<HttpRequestBase> inFlight = java.util.concurrent.ConcurrentHashMap.newKeySet();

    AnswerGuard(long attemptMillis, ScheduledExecutorService timer) {
        this.attemptMillis = attemptMillis;
        this.timer = timer;
    }

    @Override
    public void process(HttpRequest request, HttpContext context) {
        HttpRequest original = request instanceof HttpRequestWrapper wrapper ? wrapper.getOriginal() : request;
        if (original instanceof HttpRequestBase abortable) {
            inFlight.add(abortable);
            context.setAttribute(REQUEST, abortable);
        }
    }

    /**
     * The attempt's clock starts when the request is about to be written: waiting for the pace
     * or for a Retry-After is not part of an attempt (healthy tables had timed out in that queue
     * without ever being requested). Called by {@link PacedRequestExecutor}.
     */
    void startAttempt(HttpContext context) {
        if (context.getAttribute(REQUEST) instanceof HttpRequestBase abortable) {
            context.setAttribute(DEADLINE, timer.schedule(() -> {
                inFlight.remove(abortable);
                abortable.abort();
            }, attemptMillis, TimeUnit.MILLISECONDS));
        }
    }

    @Override
    public void process(HttpResponse response, HttpContext context) throws IOException {
        try {
            int status = response.getStatusLine().getStatusCode();
            if (status >= 300 && status < 400) {
                // without a Location the BigQuery client does not follow it: the 3xx fails the attempt
                response.removeHeaders("Location");
            }
            HttpEntity entity = response.getEntity();
            if (entity != null) {
                byte[] body;
                try {
                    body = read(entity);
                    checkNesting(body);
                } catch (IOException e) {
                    // closing the stream would read the rest of a huge answer to reuse the connection: drop it
                    if (context.getAttribute(REQUEST) instanceof HttpRequestBase request) {
                        request.abort();
                    }
                    throw e;
                }
                response.removeHeaders("Content-Encoding");
                response.removeHeaders("Content-Length");
                Header type = entity.getContentType();
                LAST_ANSWER.set(new Answer(status, type == null ? null : type.getValue(), body));
                response.setEntity(new ByteArrayEntity(body, type == null ? null : ContentType.parse(type.getValue())));
            }
        } finally {
            if (context.getAttribute(DEADLINE) instanceof ScheduledFuture<?> deadline) {
                deadline.cancel(false);
            }
            if (context.getAttribute(REQUEST) instanceof HttpRequestBase request) {
                inFlight.remove(request);
            }
        }
    }

    /** Whether an attempt's deadline is still waiting to come due. */
    static boolean deadlinePending(HttpContext context) {
        return context.getAttribute(DEADLINE) instanceof ScheduledFuture<?> deadline && !deadline.isDone();
    }

    /** A stop that cannot wait any longer: every request still on the wire fails now. */
    void abortAll() {
        for (HttpRequestBase request : inFlight) {
            inFlight.remove(request);
            request.abort();
        }
    }

    /** The whole body, decompressed, or an IOException past the cap (the stream left open for the abort). */
    private static byte[] read(HttpEntity entity) throws IOException {
        Header encoding = entity.getContentEncoding();
        boolean gzip = encoding != null && encoding.getValue().toLowerCase(java.util.Locale.ROOT).contains("gzip");
        InputStream raw = entity.getContent();
        InputStream in = gzip ? new GZIPInputStream(raw) : raw;
        ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
        byte[] buffer = new byte[8192];
        for (int n; (n = in.read(buffer)) != -1; ) {
            out.write(buffer, 0, n);
            if (out.size() > MAX_ANSWER_BYTES) {
                throw new IOException("BigQuery's answer is larger than " + MAX_ANSWER_BYTES / (1024 * 1024)
                        + " MB, more than any table's metadata; not read further");
            }
        }
        // read to the end: closing hands the connection back to the pool
        in.close();
        return out.toByteArray();
    }

    /** Brackets outside strings, counted in one pass over the bytes. */
    static void checkNesting(byte[] json) throws IOException {
        int depth = 0;
        boolean inString = false;
        for (int i = 0; i < json.length; i++) {
            byte b = json[i];
            if (inString) {
                if (b == '\\') {
                    i++;
                } else if (b == '"') {
                    inString = false;
                }
            } else if (b == '"') {
                inString = true;
            } else if (b == '{' || b == '[') {
                if (++depth > MAX_NESTING) {
                    throw new IOException("BigQuery's answer is nested deeper than " + MAX_NESTING
                            + " levels, deeper than any table schema can be; not read");
                }
            } else if (b == '}' || b == ']') {
                depth--;
            }
        }
    }
}
