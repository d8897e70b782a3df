package io.agnes.bqmc.support;

import org.slf4j.MDC;

/**
 * The request, run and table a log line is about, as the JSON lines' {@code request_id},
 * {@code run_id} and {@code table_id} fields (and the text lines' {@code request_id=}): set
 * around the line, and what the thread had before put back after, on whatever thread writes it.
 */
public final class LogContext implements AutoCloseable {

    /** The MDC key of an API request's id. */
    public static final String REQUEST_ID = "request_id";

    private static final String[] KEYS = {REQUEST_ID, "run_id", "table_id"};

    private final String[] before = new String[KEYS.length];

    private LogContext(String requestId, String runId, String tableId) {
        String[] values = {requestId, runId, tableId == null ? null : LogText.safe(tableId)};
        for (int i = 0; i < KEYS.length; i++) {
            before[i] = MDC.get(KEYS[i]);
            if (values[i] != null) {
                MDC.put(KEYS[i], values[i]);
            }
        }
    }

    /** The lines of an API request written off its own thread (the HTTP server's event loop). */
    public static LogContext request(String requestId) {
        return new LogContext(requestId, null, null);
    }

    /** @param requestId the API request that started the run, or null */
    public static LogContext run(String runId, String requestId) {
        return new LogContext(requestId, runId, null);
    }

    /** @param requestId the API request that started the run or refresh, or null */
    public static LogContext table(String runId, String requestId, String tableId) {
        return new LogContext(requestId, runId, tableId);
    }

    @Override
    public void close() {
        for (int i = 0; i < KEYS.length; i++) {
            if (before[i] == null) {
                MDC.remove(KEYS[i]);
            } else {
                MDC.put(KEYS[i], before[i]);
            }
        }
    }
}
