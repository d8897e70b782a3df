package io.agnes.bqmc.bigquery;

import com.google.cloud.bigquery.BigQuery;
import com.google.cloud.bigquery.BigQueryException;
import com.google.cloud.bigquery.Table;
import com.google.cloud.bigquery.TableId;
import org.apache.camel.component.google.bigquery.GoogleBigQueryConnectionFactory;

/**
 * One {@code tables.get} per call, through the official client: the route around it decides
 * whether to call again. A retryable failure is thrown as {@link RetryableBigQueryException}
 * for Camel redelivery; every other answer comes back as a {@link LookupResult}.
 */
public class TableLookup {

    private final GoogleBigQueryConnectionFactory connectionFactory;

    public TableLookup(GoogleBigQueryConnectionFactory connectionFactory) {
        this.connectionFactory = connectionFactory;
    }

    public LookupResult lookup(BigQueryTarget target) {
        BigQuery client;
        try {
            client = connectionFactory.getDefaultClient();
        } catch (BigQueryNotConfiguredException e) {
            return new LookupResult.NotConfigured(e.getMessage());
        } catch (Exception e) {
            return new LookupResult.NotConfigured(FailureClassifier.describe(e));
        }
        try {
            Table table = client.getTable(TableId.of(target.project(), target.dataset(), target.table()));
            // the client answers a 404 with null rather than an exception
            return table == null
                    ? new LookupResult.NotFound("table " + target + " not found (404)")
                    : new LookupResult.Found(TableMetadataMapper.map(table));
        } catch (BigQueryException e) {
            if (FailureClassifier.isRetryable(e)) {
                throw new RetryableBigQueryException(e);
            }
            return new LookupResult.Failed(FailureClassifier.describe(e), FailureClassifier.kind(e));
        }
    }
}
