package io.agnes.bqmc.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.LogCapture;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SCHEDULER_API_TOKEN shorter than 32 characters is disabled, with a WARN that does not show it. */
class SchedulerTokenTest {

    @TempDir
    Path dir;

    @Test
    void aShortSchedulerTokenIsRefused() throws Exception {
        String shortToken = "only-31-characters-long-secret!";
        assertThat(shortToken).hasSize(31);
        WireMockServer bigQuery = WireMocks.startBigQuery();
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        env.put("SCHEDULER_API_TOKEN", shortToken);
        try (LogCapture logs = LogCapture.open(); TestService service = TestService.start(env)) {
            ApiClient api = new ApiClient(Integer.parseInt(env.get("PORT")));
            ApiClient.Answer a = api.get("/api/v2/metadata-cache/status", shortToken);
            assertThat(a.status()).isEqualTo(401);
            assertThat(a.json().get("detail").asText()).isEqualTo("Token unknown");
            assertThat(logs.linesContaining("SCHEDULER_API_TOKEN is shorter than 32")).hasSize(1);
            assertThat(logs.lines()).noneMatch(l -> l.contains(shortToken));
        } finally {
            bigQuery.stop();
        }
    }
}
