package io.agnes.bqmc.bigquery;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;

import com.google.cloud.bigquery.BigQueryError;
import com.google.cloud.bigquery.BigQueryException;
import org.apache.http.NoHttpResponseException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Contract section 5: which BigQuery failures are retried, and the error text each one stores. */
class FailureClassifierTest {

    static BigQueryException http(int code, String reason) {
        return new BigQueryException(code, "message of " + code, new BigQueryError(reason, "global", "message of " + code));
    }

    @ParameterizedTest(name = "{0} {1} -> retried: {2}")
    @CsvSource({
        "429, rateLimitExceeded, true",
        "500, internalError, true",
        "502, badGateway, true",
        "503, backendError, true",
        "504, backendError, true",
        "403, rateLimitExceeded, true",
        "403, backendError, true",
        "400, invalid, false",
        "401, authError, false",
        "403, accessDenied, false",
        "403, quotaExceeded, false",
        "404, notFound, false"})
    void httpAnswers(int code, String reason, boolean retried) {
        assertThat(FailureClassifier.isRetryable(http(code, reason))).isEqualTo(retried);
    }

    @Test
    void connectionFailuresAndTimeoutsAreRetriedWhereverTheyAreInTheChain() {
        assertThat(FailureClassifier.isRetryable(new BigQueryException(new SocketTimeoutException("Read timed out"))))
                .isTrue();
        assertThat(FailureClassifier.isRetryable(new BigQueryException(new ConnectException("Connection refused"))))
                .isTrue();
        assertThat(FailureClassifier.isRetryable(new BigQueryException(new SocketException("Connection reset")))).isTrue();
        assertThat(FailureClassifier.isRetryable(new BigQueryException(new UnknownHostException("bigquery.example"))))
                .isTrue();
        assertThat(FailureClassifier.isRetryable(new BigQueryException(new NoHttpResponseException("no answer"))))
                .isTrue();
        // the client reports a read timeout as an interrupt, wrapped
        assertThat(FailureClassifier.isRetryable(new BigQueryException(0, "x", new InterruptedException()))).isTrue();
        assertThat(FailureClassifier.isRetryable(new BigQueryException(0, "x", new RuntimeException(
                new SocketTimeoutException()))))
                .isTrue();
    }

    @Test
    void anUnreadableAnswerIsNotRetried() {
        assertThat(FailureClassifier.isRetryable(new BigQueryException(0, "x", new IllegalArgumentException("no JSON"))))
                .isFalse();
    }

    @Test
    void theStoredTextIsAlwaysTheExceptionsNameAndAReasonOnOneLine() {
        assertThat(FailureClassifier.describe(http(403, "accessDenied"))).isEqualTo("BigQueryException: message of 403");
        String ours = "BigQuery's answer could not be read";
        assertThat(FailureClassifier.describe(new NullPointerException("Cannot invoke \"String.length()\"")))
                .isEqualTo("NullPointerException: " + ours + " (NullPointerException: Cannot invoke \"String.length()\")");
        assertThat(FailureClassifier.describe(new BigQueryException(0, "Cannot invoke \"x()\" because \"y\" is null",
                new IllegalArgumentException("Format t-type is not supported\nsecond line"))))
                .isEqualTo("BigQueryException: " + ours + " (IllegalArgumentException: Format t-type is not supported)");
        assertThat(FailureClassifier.describe(new BigQueryException(0, FailureClassifier.ATTEMPT_TIMED_OUT,
                new java.net.SocketException("Socket closed")))).isEqualTo("BigQueryException: "
                + "no complete answer from BigQuery within BIGQUERY_TIMEOUT_SECONDS (the attempt was cut off)");
        assertThat(FailureClassifier.describe(new BigQueryException(0, "java.lang.InterruptedException",
                new InterruptedException())))
                .isEqualTo("BigQueryException: no answer from BigQuery within BIGQUERY_TIMEOUT_SECONDS (read timed out)");
    }
}
