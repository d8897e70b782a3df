package io.agnes.bqmc.bigquery;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every BigQuery request carries: the service's own User-Agent, the quota project of
 * {@code BIGQUERY_QUOTA_PROJECT}; and the way it takes: through {@code HTTP_PROXY} (here a
 * forward proxy on loopback) unless {@code NO_PROXY} names the host.
 */
class ClientIdentityTest {

    @TempDir
    Path dir;

    WireMockServer bigQuery;
    WireMockServer proxy;

    @BeforeEach
    void start() {
        bigQuery = WireMocks.startBigQuery();
        WireMocks.serveAnyTable(bigQuery, 3, 30, 0);
        proxy = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").enableBrowserProxying(true));
        proxy.start();
    }

    @AfterEach
    void stop() {
        proxy.stop();
        bigQuery.stop();
    }

    RunRecord runWith(Map<String, String> extra) throws Exception {
        Map<String, String> env = TestService.environment(dir.resolve("s" + System.nanoTime()), bigQuery.baseUrl());
        env.putAll(extra);
        try (TestService service = TestService.start(env)) {
            service.registerRemote("t1", "ds", "t1");
            return service.runAll();
        }
    }

    @Test
    void requestsNameTheServiceAndTheQuotaProject() throws Exception {
        assertThat(runWith(Map.of("BIGQUERY_QUOTA_PROJECT", "billing-project")).succeeded()).isEqualTo(1);
        ServeEvent request = bigQuery.getAllServeEvents().get(0);
        assertThat(request.getRequest().getHeader("User-Agent")).startsWith("bq-metadata-cache/")
                .doesNotContain("SNAPSHOT");
        assertThat(request.getRequest().getHeader("x-goog-user-project")).isEqualTo("billing-project");
    }

    @Test
    void theProxyCarriesEveryRequestUnlessNoProxyNamesTheHost() throws Exception {
        assertThat(runWith(Map.of("HTTP_PROXY", proxy.baseUrl())).succeeded()).isEqualTo(1);
        List<ServeEvent> proxied = proxy.getAllServeEvents();
        assertThat(proxied).singleElement().satisfies(e -> assertThat(e.getRequest().getAbsoluteUrl())
                .startsWith(bigQuery.baseUrl() + "/bigquery/v2/projects/test-project/datasets/ds/tables/t1"));
        assertThat(bigQuery.getAllServeEvents()).hasSize(1);

        proxy.resetRequests();
        assertThat(runWith(Map.of("http_proxy", proxy.baseUrl(), "NO_PROXY", "localhost, 127.0.0.1")).succeeded())
                .isEqualTo(1);
        assertThat(proxy.getAllServeEvents()).isEmpty();
        assertThat(bigQuery.getAllServeEvents()).hasSize(2);
    }
}
