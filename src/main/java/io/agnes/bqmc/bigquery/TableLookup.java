package io.agnes.bqmc.bigquery;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

import com.google.api.client.http.HttpResponseException;
import com.google.cloud.bigquery.BigQuery;
import com.google.cloud.bigquery.BigQueryException;
import com.google.cloud.bigquery.Table;
import com.google.cloud.bigquery.TableId;
import org.apache.camel.component.google.bigquery.GoogleBigQueryConnectionFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code tables.get} per call, through the official client: the route around it decides
 * whether to call again. A retryable failure is thrown as {@link RetryableBigQueryException}
 * for Camel redelivery; every other answer comes back as a {@link LookupResult}. The client
 * judges the status; the Table resource is read from BigQuery's own bytes ({@link TableResource}),
 * believed only when it is about the table asked for and its counts are possible.
 */
public class TableLookup {

    private static final Logger LOG = LoggerFactory.getLogger(TableLookup.class);

    /** A failure this close to the deadline is the deadline's doing. */
    private static final long DEADLINE_SLACK_NANOS = 50_000_000L;

    private final GoogleBigQueryConnectionFactory connectionFactory;
    private final RequestRate rate;
    private final long attemptNanos;

    /** @param attempt the wall-clock bound of one attempt (BIGQUERY_TIMEOUT_SECONDS), which AnswerGuard enforces */
    public TableLookup(GoogleBigQueryConnectionFactory connectionFactory, RequestRate rate, Duration attempt) {
        this.connectionFactory = connectionFactory;
        this.rate = rate;
        this.attemptNanos = attempt.toNanos();
    }

    public LookupResult lookup(BigQueryTarget target) {
        BigQuery client;
        try {
            client = connectionFactory.getDefaultClient();
        } catch (BigQueryNotConfiguredException e) {
            return new LookupResult.NotConfigured(e.getMessage());
        } catch (Exception e) {
            LOG.warn("cannot build the BigQuery client", e);
            return new LookupResult.NotConfigured("cannot build the BigQuery client (the service log has the details)");
        }
        Table table;
        long started = System.nanoTime();
        AnswerGuard.forgetAnswer();
        try {
            table = client.getTable(TableId.of(target.project(), target.dataset(), target.table()));
        } catch (BigQueryException e) {
            AnswerGuard.Answer answer = AnswerGuard.takeAnswer();
            // a 200 the client's model could not take (a table type it does not know yet, an HTML page):
            // BigQuery's own bytes say what it is
            if (answer != null && answer.status() == 200 && !FailureClassifier.isConnectionFailure(e)) {
                return fromAnswer(answer, target);
            }
            // whatever the aborted connection threw: the attempt ran out of time
            if (e.getCode() <= 0 && System.nanoTime() - started >= attemptNanos - DEADLINE_SLACK_NANOS) {
                e = new BigQueryException(0, FailureClassifier.ATTEMPT_TIMED_OUT, e);
            }
            Duration retryAfter = retryAfter(e);
            if (FailureClassifier.isRateLimited(e)) {
                rate.throttled(retryAfter);
            } else {
                rate.pause(retryAfter);
            }
            if (FailureClassifier.isRetryable(e)) {
                throw new RetryableBigQueryException(e, retryAfter);
            }
            if (FailureClassifier.isUnexpected(e)) {
                LOG.warn("BigQuery's answer for {} could not be read", target, e);
            }
            return new LookupResult.Failed(FailureClassifier.describe(e), FailureClassifier.kind(e));
        } catch (RuntimeException e) {
            // the client's model refused a 200 outright ("Format t-type is not supported"): read BigQuery's bytes
            AnswerGuard.Answer answer = AnswerGuard.takeAnswer();
            if (answer != null && answer.status() == 200) {
                return fromAnswer(answer, target);
            }
            throw e;
        }
        AnswerGuard.Answer answer = AnswerGuard.takeAnswer();
        // the client answers a 404 with null rather than an exception
        if (table == null) {
            return new LookupResult.NotFound("table " + target + " not found (404)");
        }
        // every client is built with AnswerGuard, which keeps the bytes of each answer it lets through
        if (answer == null || answer.status() != 200) {
            return new LookupResult.Failed("BigQueryException: BigQuery's answer reached the client but not its reader"
                    + (answer == null ? "" : " (HTTP " + answer.status() + ")"), "unreadable_answer");
        }
        return fromAnswer(answer, target);
    }

    private static LookupResult fromAnswer(AnswerGuard.Answer answer, BigQueryTarget target) {
        try {
            return new LookupResult.Found(TableResource.map(answer.body(), answer.contentType(), target));
        } catch (TableResource.UnreadableAnswerException e) {
            return new LookupResult.Failed("BigQueryException: " + e.getMessage(), "unreadable_answer");
        }
    }

    /** {@code Retry-After} in seconds or as an HTTP date; null when absent or unreadable. */
    static Duration retryAfter(BigQueryException e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof HttpResponseException http) {
                Object value = http.getHeaders().get("retry-after");
                if (value instanceof java.util.List<?> list && !list.isEmpty()) {
                    value = list.get(0);
                }
                return value == null ? null : parseRetryAfter(value.toString().strip());
            }
        }
        return null;
    }

    static Duration parseRetryAfter(String value) {
        try {
            long seconds = Long.parseLong(value);
            return seconds < 0 ? null : Duration.ofSeconds(seconds);
        } catch (NumberFormatException notSeconds) {
            try {
                Duration d = Duration.between(java.time.Instant.now(),
                        ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
                return d.isNegative() ? Duration.ZERO : d;
            } catch (DateTimeParseException notADate) {
                return null;
            }
        }
    }
}
