package io.agnes.bqmc.bigquery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;

import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.support.LatencyStandIn;
import io.agnes.bqmc.support.TestService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * BIGQUERY_MAX_REQUESTS_PER_SECOND, against a stand-in that records every request and can
 * enforce a quota as Google does: no one-second window sees more than the limit plus one, and
 * when BigQuery says too many the whole run slows down and every table still ends ok. (The pace's
 * arithmetic, its halving and its climb back are RequestRatePaceTest's, on a clock of its own.)
 */
class RequestRateTest {

    @TempDir
    Path dir;

    TestService start(LatencyStandIn standIn, int limit, int tables) throws Exception {
        Map<String, String> env = TestService.environment(dir, standIn.url());
        env.put("BIGQUERY_PROJECT", "bench-project");
        env.put("BIGQUERY_MAX_REQUESTS_PER_SECOND", Integer.toString(limit));
        env.put("AGNES_BQ_METADATA_REFRESH_CONCURRENCY", "8");
        env.put("BIGQUERY_MAX_ATTEMPTS", "10");
        TestService service = TestService.start(env);
        service.update("INSERT INTO table_registry (id, name, source_type, bucket, source_table, query_mode)"
                + " SELECT 't' || i, 't' || i, 'bigquery', 'ds', 't' || i, 'remote' FROM range(" + tables + ") r(i)");
        return service;
    }

    @Test
    void noSecondSeesMoreThanTheLimitAndTheRunTakesWhatThePaceNeeds() throws Exception {
        // a pace whose spacing (50 ms) is wider than this JVM's pauses: the stand-in shares the JVM and its GC,
        // and counts arrivals (bench/run B8 measures 180 per second with the service in a JVM of its own)
        int limit = 20;
        int tables = 80;
        try (LatencyStandIn standIn = new LatencyStandIn().warmedUp(); TestService service = start(standIn, limit, tables)) {
            RunRecord run = service.runAll();
            assertThat(run.succeeded()).isEqualTo(tables);
            assertThat(standIn.requests()).isEqualTo(tables);
            assertThat(standIn.busiestSecond()).isLessThanOrEqualTo(limit + 1);
            double needed = 1000.0 * tables / limit;
            assertThat(run.durationMs()).as("paced").isGreaterThanOrEqualTo((long) (needed * (tables - 1) / tables) - 50);
        }
    }

    @Test
    void whenBigQuerySaysTooManyTheRunSlowsDownAndEveryTableEndsOk() throws Exception {
        int limit = 60;
        int tables = 90;
        try (LatencyStandIn standIn = new LatencyStandIn().warmedUp(); TestService service = start(standIn, limit, tables)) {
            standIn.quota(30);
            RunRecord run = service.runAll();
            assertThat(run.succeeded()).isEqualTo(tables);
            assertThat(standIn.refused()).as("BigQuery said too many").isPositive();
            assertThat(standIn.busiestSecond()).isLessThanOrEqualTo(limit + 1);
            RequestRate rate = service.context().getRegistry().lookupByNameAndType("bigQueryRequestRate", RequestRate.class);
            assertThat(rate.current()).as("slowed down").isLessThan(limit);
        }
    }
}
