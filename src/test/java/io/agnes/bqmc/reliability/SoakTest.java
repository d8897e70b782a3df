package io.agnes.bqmc.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Map;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.zaxxer.hikari.HikariDataSource;
import io.agnes.bqmc.db.Database;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** 200 runs in a row leak nothing: threads, pooled connections and open files stay flat. */
class SoakTest {

    static final int RUNS = 200;
    static final int TABLES = 10;

    @TempDir
    Path dir;

    record Resources(int threads, int connections, int openFiles) {
    }

    static Resources measure(HikariDataSource pool) {
        File[] fds = new File("/proc/self/fd").listFiles();
        return new Resources(ManagementFactory.getThreadMXBean().getThreadCount(),
                pool.getHikariPoolMXBean().getTotalConnections(), fds == null ? -1 : fds.length);
    }

    @Test
    void twoHundredRunsLeakNothing() throws Exception {
        WireMockServer bigQuery = WireMocks.startBigQuery();
        for (int i = 0; i < TABLES; i++) {
            WireMocks.serveTable(bigQuery, "test-project", "ds", "t" + i, i, i * 10L);
        }
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        try (TestService service = TestService.start(env)) {
            for (int i = 0; i < TABLES; i++) {
                service.registerRemote("t" + i, "ds", "t" + i);
            }
            HikariDataSource pool = service.context().getRegistry().lookupByNameAndType("dataSource", Database.class)
                    .pool();
            for (int i = 0; i < 20; i++) {
                service.runAll(); // warm up: pools and caches reach their working size
            }
            Resources start = measure(pool);
            long started = System.nanoTime();
            for (int i = 0; i < RUNS; i++) {
                RunRecord summary = service.runAll();
                assertThat(summary.succeeded()).isEqualTo(TABLES);
            }
            long ms = (System.nanoTime() - started) / 1_000_000;
            Resources end = measure(pool);
            System.out.printf("soak: %d runs x %d tables in %d ms; threads %d -> %d, pooled connections %d -> %d,"
                    + " open files %d -> %d%n", RUNS, TABLES, ms, start.threads(), end.threads(), start.connections(),
                    end.connections(), start.openFiles(), end.openFiles());
            assertThat(end.threads()).isLessThanOrEqualTo(start.threads() + 2);
            assertThat(end.connections()).isLessThanOrEqualTo(Math.max(start.connections(), 8));
            assertThat(end.openFiles()).isLessThanOrEqualTo(start.openFiles() + 10);
            assertThat(bigQuery.getAllServeEvents().size()).isEqualTo((RUNS + 20) * TABLES);
        } finally {
            bigQuery.stop();
        }
    }
}
