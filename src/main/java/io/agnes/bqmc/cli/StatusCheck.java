package io.agnes.bqmc.cli;

import java.util.List;

import io.agnes.bqmc.cache.Freshness;

/**
 * {@code status --check} as a monitoring plugin: the Nagios plugin convention's exit codes and
 * its one status line with performance data, which Nagios, Icinga, Sensu and cron all read.
 */
enum StatusCheck {
    OK(0), WARNING(1), CRITICAL(2), UNKNOWN(3);

    private final int exitCode;

    StatusCheck(int exitCode) {
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }

    /** error is CRITICAL; stale or never fetched WARNING; a verdict the command cannot read UNKNOWN. */
    static StatusCheck of(List<StatusView.Table> tables) {
        if (StatusTable.count(tables, Freshness.ERROR) > 0) {
            return CRITICAL;
        }
        if (StatusTable.count(tables, null) > 0) {
            return UNKNOWN;
        }
        if (StatusTable.count(tables, Freshness.STALE) + StatusTable.count(tables, Freshness.NEVER_FETCHED) > 0) {
            return WARNING;
        }
        return OK;
    }

    /** "BQ METADATA CACHE WARNING - 1 stale of 7 tables | fresh=6;;;0 stale=1;;;0 ...". */
    String line(List<StatusView.Table> tables) {
        long fresh = StatusTable.count(tables, Freshness.FRESH);
        long stale = StatusTable.count(tables, Freshness.STALE);
        long error = StatusTable.count(tables, Freshness.ERROR);
        long never = StatusTable.count(tables, Freshness.NEVER_FETCHED);
        long unknown = StatusTable.count(tables, null);
        StringBuilder problems = new StringBuilder();
        append(problems, error, "error");
        append(problems, stale, "stale");
        append(problems, never, "never fetched");
        append(problems, unknown, "unknown");
        String summary = tables.isEmpty() ? "no tables"
                : problems.isEmpty() ? "all " + StatusTable.tables(tables.size()) + " fresh"
                : problems + " of " + StatusTable.tables(tables.size());
        return "BQ METADATA CACHE " + name() + " - " + summary + " | fresh=" + fresh + ";;;0 stale=" + stale
                + ";;;0 error=" + error + ";;;0 never_fetched=" + never + ";;;0";
    }

    private static void append(StringBuilder s, long n, String what) {
        if (n > 0) {
            s.append(s.isEmpty() ? "" : ", ").append(n).append(' ').append(what);
        }
    }
}
