package io.agnes.bqmc.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.agnes.bqmc.support.LogCapture;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** A flood of refused callers is counted in full and logged in part: the first lines of each minute, then a tally. */
class RefusalsTest {

    static java.util.List<String> withId(LogCapture log, String requestId) {
        return log.events().stream().filter(l -> requestId.equals(l.context().get("request_id")))
                .map(LogCapture.Line::message).toList();
    }

    @Test
    void eachMinuteLogsItsFirstRefusalsAndTheNextLineSaysHowManyWereOnlyCounted() {
        AtomicLong nanos = new AtomicLong(1_000);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        Refusals refusals = new Refusals(meters, nanos::get);
        try (LogCapture log = LogCapture.open()) {
            for (int i = 0; i < 100; i++) {
                refusals.refused("/api/v2/metadata-cache/status", 401, Refusals.Reason.UNKNOWN_TOKEN, "10.0.0.7",
                        "req-" + i, null);
            }
            assertThat(log.linesContaining("request refused:")).hasSize(Refusals.LINES_PER_MINUTE)
                    .allMatch(l -> l.startsWith("INFO"));
            assertThat(log.events().stream().filter(l -> l.message().startsWith("request refused:")).findFirst()
                    .orElseThrow()).isEqualTo(new LogCapture.Line("INFO", Refusals.class.getName(), "request refused:"
                    + " status=401 reason=unknown_token endpoint=/api/v2/metadata-cache/status client=10.0.0.7",
                    java.util.Map.of("request_id", "req-0")));

            nanos.addAndGet(TimeUnit.SECONDS.toNanos(59));
            refusals.refused("/api/admin/run-bq-metadata-refresh", 403, Refusals.Reason.NOT_ADMIN, "10.0.0.8", "late",
                    "bob@example.com");
            assertThat(withId(log, "late")).as("still the same minute").isEmpty();

            nanos.addAndGet(TimeUnit.SECONDS.toNanos(1));
            refusals.refused("/api/admin/run-bq-metadata-refresh", 403, Refusals.Reason.NOT_ADMIN, "10.0.0.8", "next",
                    "bob@example.com");
            assertThat(withId(log, "next")).containsExactly("request refused: status=403 reason=not_admin"
                    + " endpoint=/api/admin/run-bq-metadata-refresh client=10.0.0.8 user=bob@example.com (81 refusals"
                    + " since the previous such line were only counted)");
        }
        assertThat(meters.find("bqmc.http.refused").tag("status", "401").tag("reason", "unknown_token").counter().count())
                .isEqualTo(100);
        assertThat(meters.find("bqmc.http.refused").tag("status", "403").tag("reason", "not_admin")
                .tag("endpoint", "/api/admin/run-bq-metadata-refresh").counter().count()).isEqualTo(2);
    }
}
