package io.agnes.bqmc.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One HTTP exchange of a command, over the JDK's {@link HttpURLConnection}: from a cold JVM it
 * answers in a tenth of a second where {@code java.net.http.HttpClient} takes half a second
 * (it loads some 1,400 classes for its first request). A deadline bounds the whole exchange, the
 * body's last byte included: at the deadline the connection is closed under the read (a server
 * that drips its answer would otherwise hold the command as long as it likes).
 */
final class HttpCall {

    /** An answer: its status and its body, at most the size asked for (plus one byte, to tell). */
    record Answer(int status, byte[] body) {
        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    static {
        // the JDK would otherwise keep a connection it was told to close, and drain a server still
        // sending (a drip, an answer past the cap) for reuse before it lets go: a command makes one
        // exchange per connection anyway
        System.setProperty("http.keepAlive", "false");
    }

    private HttpCall() {
    }

    /**
     * @param deadline {@link System#nanoTime()} by which the whole answer must be in; 0: none
     * @param maxBytes the most of the body read; one more byte read says it was larger
     * @throws TimeoutException when the deadline came first
     */
    static Answer exchange(String method, URI uri, String token, long deadline, int maxBytes)
            throws IOException, TimeoutException {
        HttpURLConnection c = open(method, uri, token, deadline, "application/json");
        AtomicBoolean timedOut = new AtomicBoolean();
        AtomicBoolean done = new AtomicBoolean();
        if (deadline != 0) {
            CompletableFuture.delayedExecutor(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS).execute(() -> {
                if (!done.get()) {
                    timedOut.set(true);
                    c.disconnect();
                }
            });
        }
        try {
            int status = c.getResponseCode();
            InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
            byte[] body = in == null ? new byte[0] : read(in, maxBytes + 1, deadline);
            if (timedOut.get()) {
                throw new TimeoutException();
            }
            return new Answer(status, body);
        } catch (IOException e) {
            if (timedOut.get()) {
                throw new TimeoutException();
            }
            throw e;
        } finally {
            done.set(true);
            // one exchange per connection: a server still sending (a drip, an answer past the cap) is let go
            c.disconnect();
        }
    }

    /**
     * At most {@code limit} bytes, read as they come; the deadline is checked after every read, so
     * a server that drips its answer a byte at a time (each read well within the read timeout)
     * is given up on at the deadline.
     */
    private static byte[] read(InputStream in, int limit, long deadline) throws IOException, TimeoutException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(8192);
        byte[] buffer = new byte[64 * 1024];
        try (in) {
            while (out.size() < limit) {
                int n = in.read(buffer, 0, Math.min(buffer.length, limit - out.size()));
                if (n < 0) {
                    break;
                }
                out.write(buffer, 0, n);
                if (deadline != 0 && System.nanoTime() > deadline) {
                    throw new TimeoutException();
                }
            }
        }
        return out.toByteArray();
    }

    /** A connection with its request sent (a POST has an empty body), for a caller that reads a stream. */
    static HttpURLConnection open(String method, URI uri, String token, long deadline, String accept) throws IOException {
        HttpURLConnection c;
        try {
            c = (HttpURLConnection) uri.toURL().openConnection();
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
        int timeoutMs = deadline == 0 ? 0 : (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
        c.setConnectTimeout(deadline == 0 ? 10_000 : timeoutMs);
        c.setReadTimeout(timeoutMs);
        c.setInstanceFollowRedirects(false);
        c.setRequestMethod(method);
        c.setRequestProperty("Authorization", "Bearer " + token);
        c.setRequestProperty("Accept", accept);
        // one exchange per connection: a stream being dropped is not read to its end for reuse
        c.setRequestProperty("Connection", "close");
        if (method.equals("POST")) {
            c.setDoOutput(true);
            c.setFixedLengthStreamingMode(0);
            c.getOutputStream().close();
        }
        return c;
    }
}
