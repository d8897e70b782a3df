package io.agnes.bqmc.registry;

import io.agnes.bqmc.bigquery.BigQueryTarget;

/**
 * Turns a registry row into the BigQuery table it names (contract section 4), validating every
 * part over the whole string before anything reaches BigQuery.
 */
public final class TargetResolver {

    public static final String INVALID_IDENTIFIER = "invalid bucket/source_table identifier";

    private final String defaultProject;

    /** @param defaultProject {@code BIGQUERY_PROJECT}, or null when unset */
    public TargetResolver(String defaultProject) {
        this.defaultProject = defaultProject;
    }

    /** What resolving a row gave: a target, or why there is none. */
    public sealed interface Resolution permits Resolved, Invalid, NotConfigured {
    }

    public record Resolved(BigQueryTarget target) implements Resolution {
    }

    /** The row names no valid table: recorded as an error, BigQuery is not called. */
    public record Invalid(String reason) implements Resolution {
    }

    /** The row is valid but BigQuery has no project to look in: recorded as no data. */
    public record NotConfigured(String reason) implements Resolution {
    }

    public Resolution resolve(RegistryRow row) {
        String fqn = row.bqFqn();
        if (fqn != null && !fqn.isEmpty()) {
            String[] parts = fqn.split("\\.", -1);
            if (parts.length != 3 || !BigQueryTarget.isProjectId(parts[0])
                    || !BigQueryTarget.isName(parts[1]) || !BigQueryTarget.isName(parts[2])) {
                return new Invalid(INVALID_IDENTIFIER);
            }
            return new Resolved(new BigQueryTarget(parts[0], parts[1], parts[2]));
        }
        String dataset = row.bucket() == null ? "" : row.bucket();
        String table = row.sourceTable() != null && !row.sourceTable().isEmpty() ? row.sourceTable() : row.id();
        if (!BigQueryTarget.isName(dataset) || !BigQueryTarget.isName(table)) {
            return new Invalid(INVALID_IDENTIFIER);
        }
        if (defaultProject == null) {
            return new NotConfigured("BIGQUERY_PROJECT is not set and the row has no bq_fqn");
        }
        return new Resolved(new BigQueryTarget(defaultProject, dataset, table));
    }
}
