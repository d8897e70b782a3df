package io.agnes.bqmc.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.refresh.TableRefreshResult;
import io.agnes.bqmc.refresh.TableStatus;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Contract section 4: a target that is not a valid identifier never reaches BigQuery. */
class InvalidIdentifierTest {

    @TempDir
    static Path dir;

    static WireMockServer bigQuery;
    static TestService service;

    static final Map<String, String[]> INVALID = Map.of(
            "space", new String[] {"ds", "my table", null},
            "backtick", new String[] {"ds", "t`; DROP TABLE x; --", null},
            "newline", new String[] {"ds", "table\n", null},
            "too_long", new String[] {"ds", "t".repeat(129), null},
            "no_dataset", new String[] {null, "t", null},
            "dataset_space", new String[] {"d s", "t", null},
            "fqn_two_parts", new String[] {null, null, "test-project.ds"},
            "fqn_bad_project", new String[] {null, null, "Bad_Project.ds.t"},
            "fqn_bad_table", new String[] {null, null, "test-project.ds.t t"},
            "fqn_four_parts", new String[] {null, null, "test-project.ds.t.x"});

    @BeforeAll
    static void start() throws Exception {
        bigQuery = WireMocks.startBigQuery();
        service = TestService.start(TestService.environment(dir, bigQuery.baseUrl()));
        for (Map.Entry<String, String[]> e : INVALID.entrySet()) {
            String[] v = e.getValue();
            service.register(e.getKey(), "bigquery", "remote", v[0], v[1], v[2]);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
        bigQuery.stop();
    }

    @Test
    void everyInvalidTargetIsAnErrorAndBigQuerySeesNothing() throws Exception {
        bigQuery.resetRequests();
        RunRecord summary = service.runAll();
        assertThat(summary.total()).isEqualTo(INVALID.size());
        assertThat(summary.failed()).isEqualTo(INVALID.size());
        for (String id : INVALID.keySet()) {
            assertThat(service.cacheRow(id)).as(id)
                    .containsEntry("error_msg", "invalid bucket/source_table identifier")
                    .containsEntry("rows", null);
        }
        assertThat(bigQuery.getAllServeEvents()).isEmpty();
    }

    @Test
    void singleRefreshOfAnInvalidTargetSkipsBigQuery() {
        bigQuery.resetRequests();
        TableRefreshResult result = service.refreshOne("newline");
        assertThat(result.status()).isEqualTo(TableStatus.ERROR);
        assertThat(result.error()).isEqualTo("invalid bucket/source_table identifier");
        assertThat(result.fetchMs()).isNull();
        assertThat(bigQuery.getAllServeEvents()).isEmpty();
    }
}
