package io.agnes.bqmc.support;

import org.slf4j.MDC;

/**
 * The run and table a log line is about, as the JSON lines' {@code run_id} and {@code table_id}
 * fields: set around the line, removed after, on whatever thread writes it.
 */
public final class LogContext implements AutoCloseable {

    private final boolean table;

    private LogContext(String runId, String tableId) {
        MDC.put("run_id", runId);
        table = tableId != null;
        if (table) {
            MDC.put("table_id", LogText.safe(tableId));
        }
    }

    public static LogContext run(String runId) {
        return new LogContext(runId, null);
    }

    public static LogContext table(String runId, String tableId) {
        return new LogContext(runId, tableId);
    }

    @Override
    public void close() {
        MDC.remove("run_id");
        if (table) {
            MDC.remove("table_id");
        }
    }
}
