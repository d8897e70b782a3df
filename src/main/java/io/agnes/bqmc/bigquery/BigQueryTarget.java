package io.agnes.bqmc.bigquery;

import java.util.regex.Pattern;

/**
 * A BigQuery table address that passed BigQuery's naming rules over the whole string
 * (contract section 4): the only thing {@link TableLookup} sends, so nothing unchecked ever
 * reaches BigQuery. Build it with {@link #of}, which says why not when a part is invalid.
 */
public record BigQueryTarget(String project, String dataset, String table) {

    /** GCP project ids: 6-30 chars, lowercase letter first, no trailing hyphen. */
    private static final Pattern PROJECT_ID = Pattern.compile("[a-z][a-z0-9-]{4,28}[a-z0-9]");

    /** Dataset and table names; {@link java.util.regex.Matcher#matches()} anchors both ends, so "t\n" fails. */
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9_][a-zA-Z0-9_.\\-]{0,127}");

    public BigQueryTarget {
        if (!isProjectId(project) || !isName(dataset) || !isName(table)) {
            throw new IllegalArgumentException("not a valid BigQuery table address");
        }
    }

    public static boolean isProjectId(String s) {
        return s != null && PROJECT_ID.matcher(s).matches();
    }

    /** A dataset or table name. */
    public static boolean isName(String s) {
        return s != null && NAME.matcher(s).matches();
    }

    @Override
    public String toString() {
        return project + "." + dataset + "." + table;
    }
}
