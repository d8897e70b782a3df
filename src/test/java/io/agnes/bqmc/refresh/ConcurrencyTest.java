package io.agnes.bqmc.refresh;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bound of AGNES_BQ_METADATA_REFRESH_CONCURRENCY, measured where it matters: at BigQuery. */
class ConcurrencyTest {

    static final int TABLES = 12;
    static final int DELAY_MS = 250;

    @TempDir
    Path dir;

    WireMockServer bigQuery;

    @BeforeEach
    void slowBigQuery() {
        bigQuery = WireMocks.startBigQuery();
        WireMocks.serveAnyTable(bigQuery, 1, 1, DELAY_MS);
    }

    @AfterEach
    void stop() {
        bigQuery.stop();
    }

    int maxInFlightWith(int concurrency) throws Exception {
        Map<String, String> env = TestService.environment(dir.resolve("c" + concurrency), bigQuery.baseUrl());
        env.put("AGNES_BQ_METADATA_REFRESH_CONCURRENCY", Integer.toString(concurrency));
        try (TestService service = TestService.start(env)) {
            for (int i = 0; i < TABLES; i++) {
                service.registerRemote("t" + i, "ds", "t" + i);
            }
            RunRecord summary = service.runAll();
            assertThat(summary.succeeded()).isEqualTo(TABLES);
            // ideal: TABLES / concurrency rounds of DELAY_MS each
            assertThat(summary.durationMs()).isGreaterThanOrEqualTo((long) TABLES / concurrency * DELAY_MS);
        }
        assertThat(bigQuery.getAllServeEvents()).hasSize(TABLES);
        return WireMocks.maxInFlight(bigQuery.getAllServeEvents());
    }

    @Test
    void neverMoreLookupsInFlightThanConfigured() throws Exception {
        assertThat(maxInFlightWith(3)).isEqualTo(3);
    }

    @Test
    void concurrencyOneIsSequential() throws Exception {
        assertThat(maxInFlightWith(1)).isEqualTo(1);
    }
}
