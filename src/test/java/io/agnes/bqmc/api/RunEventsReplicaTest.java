package io.agnes.bqmc.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import io.agnes.bqmc.auth.Role;
import io.agnes.bqmc.auth.TokenIssuer;
import io.agnes.bqmc.support.Engine;
import io.agnes.bqmc.support.SseClient;
import io.agnes.bqmc.support.TestService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On the platform's PostgreSQL, a replica that is not running the run in flight still streams
 * its progress: snapshots read from the shared database (the run's {@code running} row, and the
 * cache rows written since it started), as another replica writes them.
 */
class RunEventsReplicaTest {

    @TempDir
    Path dir;

    @Test
    void aReplicaNotRunningTheRunStreamsItsSnapshotsFromTheDatabase() throws Exception {
        String analyst = TokenIssuer.issue(dir.resolve("tokens"), "bo@example.com", Role.ANALYST, null);
        Map<String, String> env = TestService.environment(dir, "http://127.0.0.1:9", Engine.POSTGRESQL);
        try (TestService service = TestService.start(env)) {
            for (int i = 0; i < 4; i++) {
                service.registerRemote("t" + i, "ds", "t" + i);
            }
            Instant started = Instant.now().minusSeconds(30);
            // what another replica's run has done so far: its running row, two tables ok, one no_data
            service.update("INSERT INTO bqmc_run_history (run_id, started_at, trigger, total, succeeded, no_data, failed,"
                    + " duration_ms, status, replica) VALUES ('e1sewher', " + service.timestampParam()
                    + ", 'timer', 0, 0, 0, 0, 0, 'running', 'replica-2')", service.at(started));
            String now = service.at(Instant.now());
            for (String t : new String[] {"t0", "t1"}) {
                service.update("INSERT INTO bq_metadata_cache (table_id, \"rows\", refreshed_at) VALUES (?, 1, "
                        + service.timestampParam() + ")", t, now);
            }
            service.update("INSERT INTO bq_metadata_cache (table_id, error_at, error_msg) VALUES ('t2', "
                    + service.timestampParam() + ", 'provider returned no data: table not found (404)')", now);

            try (SseClient watcher = SseClient.open(Integer.parseInt(env.get("PORT")), RunEvents.PATH, analyst)) {
                assertThat(watcher.status()).isEqualTo(200);
                SseClient.Event first = watcher.await(e -> true, Duration.ofSeconds(5));
                assertThat(first.name()).isEqualTo("snapshot");
                assertThat(first.data().get("run_id").asText()).isEqualTo("e1sewher");
                assertThat(first.data().get("total").asInt()).isEqualTo(4);
                assertThat(first.data().get("done").asInt()).isEqualTo(3);
                assertThat(first.data().get("ok").asInt()).isEqualTo(2);
                assertThat(first.data().get("no_data").asInt()).isEqualTo(1);
                assertThat(first.data().get("error").asInt()).isZero();

                // the other replica writes the last table: the next snapshots say so
                service.update("INSERT INTO bq_metadata_cache (table_id, error_at, error_msg) VALUES ('t3', "
                        + service.timestampParam() + ", 'BigQueryException: Access Denied')", service.at(Instant.now()));
                SseClient.Event later = watcher.await(e -> e.name().equals("snapshot") && e.data().get("done").asInt() == 4,
                        Duration.ofSeconds(10));
                assertThat(later.data().get("error").asInt()).isEqualTo(1);
            }
        }
    }
}
