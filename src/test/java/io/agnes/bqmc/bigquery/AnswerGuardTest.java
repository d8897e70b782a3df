package io.agnes.bqmc.bigquery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.apache.http.HttpVersion;
import org.apache.http.client.methods.HttpGet;
import org.apache.http.entity.ContentType;
import org.apache.http.entity.StringEntity;
import org.apache.http.message.BasicHttpResponse;
import org.apache.http.protocol.BasicHttpContext;
import org.apache.http.protocol.HttpContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An attempt's deadline lives exactly as long as the attempt: once BigQuery has answered, nothing
 * of the request is kept until the deadline would have come due (at 1,400 attempts a second and a
 * 30 s timeout that was 41,000 requests held at once).
 */
class AnswerGuardTest {

    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);

    AnswerGuardTest() {
        // as Camel's scheduled pools are made (DefaultThreadPoolFactory)
        timer.setRemoveOnCancelPolicy(true);
    }

    @AfterEach
    void stopTimer() {
        timer.shutdownNow();
    }

    @Test
    void anAttemptPastItsDeadlineIsAborted() {
        AnswerGuard guard = new AnswerGuard(50, timer);
        HttpContext context = new BasicHttpContext();
        HttpGet get = new HttpGet("http://127.0.0.1:9/bigquery/v2/projects/p/datasets/ds/tables/orders");

        guard.process(get, context);
        guard.startAttempt(context);

        await().atMost(Duration.ofSeconds(5)).until(get::isAborted);
        assertThat(AnswerGuard.deadlinePending(context)).isFalse();
    }

    @Test
    void anAnsweredAttemptLeavesNoDeadlineBehind() throws Exception {
        AnswerGuard guard = new AnswerGuard(TimeUnit.MINUTES.toMillis(5), timer);
        HttpContext context = new BasicHttpContext();
        HttpGet get = new HttpGet("http://127.0.0.1:9/bigquery/v2/projects/p/datasets/ds/tables/orders");

        guard.process(get, context);
        assertThat(AnswerGuard.deadlinePending(context)).as("not while it waits for its turn").isFalse();
        guard.startAttempt(context);
        assertThat(AnswerGuard.deadlinePending(context)).as("while the attempt is on the wire").isTrue();

        BasicHttpResponse answer = new BasicHttpResponse(HttpVersion.HTTP_1_1, 200, "OK");
        answer.setEntity(new StringEntity("{\"kind\":\"bigquery#table\"}", ContentType.APPLICATION_JSON));
        guard.process(answer, context);
        assertThat(AnswerGuard.deadlinePending(context)).as("once it is answered").isFalse();
        assertThat(get.isAborted()).as("an answered attempt is not aborted").isFalse();
        assertThat(timer.getQueue()).as("nothing of the request kept until the deadline").isEmpty();
    }
}
