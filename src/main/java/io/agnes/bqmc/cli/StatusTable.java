package io.agnes.bqmc.cli;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

import io.agnes.bqmc.cache.Freshness;

/**
 * The status as a table for a person: problems first, every line within the terminal's width.
 * When the error column would be too narrow to read, errors go on a line of their own under
 * their table.
 */
final class StatusTable {

    /** Narrower than this, an error column is noise: errors move to their own lines. */
    private static final int MIN_ERROR_COLUMN = 30;
    private static final int MIN_TABLE_COLUMN = 12;
    private static final String GAP = "  ";
    private static final String[] HEADER = {"TABLE", "FRESHNESS", "ROWS", "SIZE", "AGE"};

    private StatusTable() {
    }

    /** @param width the terminal's columns; 0 for no limit (output to a file or a pipe) */
    static String render(StatusView status, String server, int width) {
        OffsetDateTime now = status.serverTime() == null ? OffsetDateTime.now() : status.serverTime();
        StringBuilder s = new StringBuilder();
        line(s, "bq-metadata-cache at " + server + ": refresh every " + duration(status.intervalSeconds())
                + ", fresh for " + duration(status.freshSeconds()), width);
        StatusView.LastRun run = status.lastRun();
        if (run == null) {
            line(s, "no run yet", width);
        } else {
            line(s, "last run " + orDash(run.runId()) + " (" + orDash(run.trigger()) + ", " + age(run.finishedAt(), now)
                    + "): " + (run.total() == null ? "? tables" : tables(run.total())) + ", " + count(run.succeeded()) + " ok, " + count(run.noData())
                    + " no data, " + count(run.failed()) + " failed in " + seconds(run.durationMs()), width);
        }
        s.append('\n');

        List<StatusView.Table> tables = new ArrayList<>(status.tables());
        tables.sort(Comparator.comparingInt((StatusView.Table t) -> rank(t.freshness()))
                .thenComparing(t -> t.tableId() == null ? "" : t.tableId()));
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        for (StatusView.Table t : tables) {
            rows.add(new String[] {orDash(t.tableId()), orDash(t.freshnessText()),
                t.rows() == null ? "-" : String.format(Locale.ROOT, "%,d", t.rows()),
                t.sizeBytes() == null ? "-" : size(t.sizeBytes()),
                t.refreshedAt() == null ? "never" : age(t.refreshedAt(), now)});
        }
        int[] w = new int[HEADER.length];
        for (String[] r : rows) {
            for (int i = 0; i < w.length; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        int others = w[1] + w[2] + w[3] + w[4] + GAP.length() * 4;
        int natural = w[0];
        if (width > 0) {
            // a long table id gives way first: the verdict and the numbers are what a reader came for
            w[0] = Math.min(natural, Math.max(MIN_TABLE_COLUMN, width - others - GAP.length() - MIN_ERROR_COLUMN));
        }
        int errorColumn = width > 0 ? width - w[0] - others - GAP.length() : Integer.MAX_VALUE;
        // an error cut short says nothing: when one would not fit, every error gets a line of its own
        boolean inline = errorColumn >= MIN_ERROR_COLUMN && tables.stream()
                .allMatch(t -> oneLine(t.error()).length() <= errorColumn);
        if (!inline) {
            w[0] = Math.min(natural, Math.max(MIN_TABLE_COLUMN, width - others));
        }
        for (int i = 0; i < rows.size(); i++) {
            String[] r = rows.get(i);
            String error = i == 0 ? (inline ? "ERROR" : "") : oneLine(tables.get(i - 1).error());
            String row = String.format(Locale.ROOT, "%-" + w[0] + "s" + GAP + "%-" + w[1] + "s" + GAP + "%" + w[2] + "s"
                    + GAP + "%" + w[3] + "s" + GAP + "%-" + w[4] + "s", cut(r[0], w[0]), r[1], r[2], r[3], r[4]);
            if (inline) {
                line(s, (row + GAP + cut(error, errorColumn)).stripTrailing(), width);
            } else {
                line(s, row.stripTrailing(), width);
                if (!error.isEmpty()) {
                    line(s, "  error: " + error, width);
                }
            }
        }
        s.append('\n');
        line(s, tables(tables.size()) + ": " + count(tables, Freshness.FRESH) + " fresh, " + count(tables, Freshness.STALE)
                + " stale, " + count(tables, Freshness.ERROR) + " error, " + count(tables, Freshness.NEVER_FETCHED)
                + " never fetched" + unknown(tables), width);
        return s.toString();
    }

    /** Problems first: what needs a look comes before what is fine; a verdict we cannot read first of all. */
    private static int rank(Freshness freshness) {
        if (freshness == null) {
            return -1;
        }
        return switch (freshness) {
            case ERROR -> 0;
            case STALE -> 1;
            case NEVER_FETCHED -> 2;
            case FRESH -> 3;
        };
    }

    private static void line(StringBuilder s, String text, int width) {
        s.append(cut(text, width)).append('\n');
    }

    /** "1 table", "7 tables". */
    static String tables(long n) {
        return n + (n == 1 ? " table" : " tables");
    }

    static String cut(String text, int width) {
        return width > 0 && text.length() > width ? text.substring(0, width - 1) + "…" : text;
    }

    private static String unknown(List<StatusView.Table> tables) {
        long n = tables.stream().filter(t -> t.freshness() == null).count();
        return n == 0 ? "" : ", " + n + " unknown";
    }

    static long count(List<StatusView.Table> tables, Freshness freshness) {
        return tables.stream().filter(t -> t.freshness() == freshness).count();
    }

    private static String count(Long n) {
        return n == null ? "?" : n.toString();
    }

    private static String orDash(String text) {
        return text == null || text.isEmpty() ? "-" : text;
    }

    private static String oneLine(String text) {
        return text == null ? "" : text.replaceAll("\\s+", " ").strip();
    }

    private static String seconds(Long ms) {
        return ms == null ? "?" : String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }

    /** Binary units, one decimal: 936.8 MiB. */
    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** "45s ago", "12m ago", "3h ago", "2d ago"; "just now" for clock skew into the future. */
    static String age(OffsetDateTime then, OffsetDateTime now) {
        if (then == null) {
            return "?";
        }
        long seconds = Duration.between(then, now).toSeconds();
        return seconds < 0 ? "just now" : duration(seconds) + " ago";
    }

    static String duration(Long seconds) {
        if (seconds == null) {
            return "?";
        }
        if (seconds < 60) {
            return seconds + "s";
        }
        if (seconds < 3600) {
            return seconds / 60 + "m";
        }
        if (seconds < 86400) {
            return seconds / 3600 + "h";
        }
        return seconds / 86400 + "d";
    }
}
