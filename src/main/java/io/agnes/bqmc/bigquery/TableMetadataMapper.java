package io.agnes.bqmc.bigquery;

import java.math.BigInteger;
import java.util.List;

import com.google.cloud.bigquery.Clustering;
import com.google.cloud.bigquery.Field;
import com.google.cloud.bigquery.MaterializedViewDefinition;
import com.google.cloud.bigquery.RangePartitioning;
import com.google.cloud.bigquery.Schema;
import com.google.cloud.bigquery.SnapshotTableDefinition;
import com.google.cloud.bigquery.StandardTableDefinition;
import com.google.cloud.bigquery.TableDefinition;
import com.google.cloud.bigquery.TableInfo;
import com.google.cloud.bigquery.TimePartitioning;

/**
 * Maps a BigQuery Table resource, as the official client models it, to the cache's vocabulary
 * (contract section 5). The client keeps partitioning and clustering for tables and
 * materialized views; for snapshots it drops them, so a snapshot's partition_by stays NULL.
 */
public final class TableMetadataMapper {

    /** Ingestion-time partitioning has no column: BigQuery exposes it as this pseudo column. */
    static final String INGESTION_TIME_PSEUDO_COLUMN = "_PARTITIONTIME";

    private TableMetadataMapper() {
    }

    public static TableMetadata map(TableInfo table) {
        TableDefinition definition = table.getDefinition();
        TableDefinition.Type type = definition.getType();
        String entityType = entityType(type, table.getCloneDefinition() != null);
        boolean isView = TableDefinition.Type.VIEW.equals(type) || TableDefinition.Type.MATERIALIZED_VIEW.equals(type);
        Long rows = isView ? null : exact(table.getNumRows());
        Long sizeBytes = isView ? null : table.getNumBytes();
        return new TableMetadata(entityType, rows, sizeBytes, partitionBy(definition), clusteredBy(definition),
                columns(definition.getSchema()));
    }

    static String entityType(TableDefinition.Type type, boolean hasCloneDefinition) {
        if (TableDefinition.Type.TABLE.equals(type)) {
            return hasCloneDefinition ? "CLONE" : "BASE TABLE";
        }
        if (TableDefinition.Type.VIEW.equals(type)) {
            return "VIEW";
        }
        if (TableDefinition.Type.MATERIALIZED_VIEW.equals(type)) {
            return "MATERIALIZED VIEW";
        }
        if (TableDefinition.Type.EXTERNAL.equals(type)) {
            return "EXTERNAL";
        }
        if (TableDefinition.Type.SNAPSHOT.equals(type)) {
            return "SNAPSHOT";
        }
        // a type BigQuery adds later is passed through rather than guessed at
        return type == null ? null : type.name();
    }

    private static String partitionBy(TableDefinition definition) {
        TimePartitioning time = null;
        RangePartitioning range = null;
        if (definition instanceof StandardTableDefinition d) {
            time = d.getTimePartitioning();
            range = d.getRangePartitioning();
        } else if (definition instanceof MaterializedViewDefinition d) {
            time = d.getTimePartitioning();
            range = d.getRangePartitioning();
        } else if (definition instanceof SnapshotTableDefinition d) {
            time = d.getTimePartitioning();
            range = d.getRangePartitioning();
        }
        if (time != null && time.getField() != null) {
            return time.getField();
        }
        if (range != null && range.getField() != null) {
            return range.getField();
        }
        return time != null ? INGESTION_TIME_PSEUDO_COLUMN : null;
    }

    private static List<String> clusteredBy(TableDefinition definition) {
        Clustering clustering = null;
        if (definition instanceof StandardTableDefinition d) {
            clustering = d.getClustering();
        } else if (definition instanceof MaterializedViewDefinition d) {
            clustering = d.getClustering();
        } else if (definition instanceof SnapshotTableDefinition d) {
            clustering = d.getClustering();
        }
        if (clustering == null || clustering.getFields() == null) {
            return List.of();
        }
        return List.copyOf(clustering.getFields());
    }

    private static List<String> columns(Schema schema) {
        if (schema == null || schema.getFields() == null) {
            return List.of();
        }
        return schema.getFields().stream().map(Field::getName).toList();
    }

    /** numRows is a uint64 in the REST API: keep it exact, refuse what a BIGINT cannot hold. */
    private static Long exact(BigInteger value) {
        return value == null ? null : value.longValueExact();
    }
}
