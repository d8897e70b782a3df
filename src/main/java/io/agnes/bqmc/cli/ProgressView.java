package io.agnes.bqmc.cli;

import java.io.PrintWriter;

import com.fasterxml.jackson.databind.JsonNode;
import io.agnes.bqmc.support.LogText;

/**
 * A run's progress as {@code run --follow} shows it: on a terminal one line redrawn in place
 * (a bar, done/total, per outcome, rate, time left), elsewhere a plain line at the start, at most
 * one every {@value #PLAIN_EVERY_MS} ms while it runs, and the end.
 */
final class ProgressView {

    static final long PLAIN_EVERY_MS = 5000;

    private final PrintWriter out;
    private final boolean terminal;
    private final boolean shown;
    private final int width;
    private String runId;
    private long lastPlain;
    private boolean drawn;
    private boolean ended;

    /**
     * @param width the terminal's columns ({@link TerminalWidth#UNLIMITED}: not a terminal)
     * @param shown whether the progress is shown ({@code --follow}), or only the outcome
     */
    ProgressView(PrintWriter out, int width, boolean shown) {
        this.out = out;
        this.shown = shown;
        this.width = width;
        this.terminal = width != TerminalWidth.UNLIMITED;
    }

    /** Follows only this run; null: the first one that starts. */
    synchronized void follow(String runId) {
        this.runId = runId;
    }

    synchronized String following() {
        return runId;
    }

    synchronized void event(EventStream.Event event) {
        if (ended) {
            return; // a snapshot still on its way after the outcome
        }
        JsonNode d = event.data();
        String id = d.path("run_id").asText(null);
        switch (event.name()) {
            case "start" -> {
                if (runId == null) {
                    runId = id;
                }
                if (shown && id != null && id.equals(runId)) {
                    line("run " + safe(id) + " started: " + d.path("total").asLong() + " tables");
                }
            }
            case "snapshot" -> {
                if (runId == null && id != null) {
                    runId = id;
                }
                if (shown && id != null && id.equals(runId)) {
                    progress(d);
                }
            }
            default -> {
                // rows are counted in the snapshots; complete is the caller's to print
            }
        }
    }

    private void progress(JsonNode d) {
        long done = d.path("done").asLong();
        long total = d.path("total").asLong();
        String counts = done + "/" + total + " " + percent(done, total) + "  ok " + d.path("ok").asLong() + "  no_data "
                + d.path("no_data").asLong() + "  error " + d.path("error").asLong() + "  " + d.path("rate").asDouble()
                + "/s" + (d.path("eta_seconds").isNumber() ? "  ETA " + StatusTable.duration(d.get("eta_seconds").asLong())
                : "");
        if (terminal) {
            int barWidth = Math.max(10, Math.min(40, width - counts.length() - 4));
            int filled = total <= 0 ? 0 : (int) Math.min(barWidth, done * barWidth / total);
            String bar = "[" + "#".repeat(filled) + "-".repeat(barWidth - filled) + "] ";
            String text = bar + counts;
            out.print("\r" + (text.length() >= width ? text.substring(0, width - 1) : text) + "\u001b[K");
            out.flush();
            drawn = true;
        } else {
            long now = System.currentTimeMillis();
            if (now - lastPlain >= PLAIN_EVERY_MS) {
                lastPlain = now;
                line("run " + safe(runId) + ": " + counts);
            }
        }
    }

    /** The run's end: the bar at 100% ends its line, then the summary. */
    synchronized void finished(String summary) {
        ended = true;
        line(summary);
    }

    private void line(String text) {
        if (terminal && drawn) {
            out.print("\r\u001b[K");
            drawn = false;
        }
        out.println(text);
        out.flush();
    }

    private static String percent(long done, long total) {
        return total <= 0 ? "" : "(" + Math.min(100, done * 100 / total) + "%)";
    }

    private static String safe(String text) {
        return text == null ? "-" : LogText.printable(text);
    }
}
