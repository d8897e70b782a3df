package io.agnes.bqmc.refresh;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.ServiceMain;
import io.agnes.bqmc.config.Settings;
import io.agnes.bqmc.config.SettingsLoader;
import io.agnes.bqmc.db.Database;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.support.LogCapture;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.builder.NotifyBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.component.timer.TimerEndpoint;
import org.apache.camel.main.MainConfigurationProperties;
import org.apache.camel.spi.Registry;
import org.apache.camel.test.junit5.CamelContextConfiguration;
import org.apache.camel.test.junit5.TestExecutionConfiguration;
import org.apache.camel.test.main.junit5.CamelMainTestSupport;
import org.apache.camel.util.FileUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Contract section 8, in the style of apache/camel-examples' main tests: the service's own
 * configuration and routes on {@link CamelMainTestSupport}, the timer configured from the grace
 * and the interval, and a tick (the timer's endpoint advised into a direct one) that runs a
 * refresh logging the contract's lines. A tick during a run is covered by {@link SingleFlightTest}.
 */
class TimerTest extends CamelMainTestSupport {

    private final Path dir = Files.createTempDirectory("bqmc-timer-test");
    private final WireMockServer bigQuery = WireMocks.startBigQuery();
    private final Settings settings;
    /** Handed to Camel's test support while it is constructed (before this class's fields are), filled after. */
    private Properties overrides;

    TimerTest() throws IOException {
        WireMocks.serveAnyTable(bigQuery, 1, 1, 0);
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        env.put("SCHEDULER_STARTUP_GRACE_SECONDS", "7");
        env.put("SCHEDULER_BQ_METADATA_REFRESH_INTERVAL", "90");
        settings = new SettingsLoader(env, SettingsLoader.classpathDefaults()).load();
        overrides.putAll(settings.camelProperties());
    }

    @AfterEach
    void stopBigQuery() {
        bigQuery.stop();
        FileUtil.removeDir(dir.toFile());
    }

    @Override
    public void configureTest(TestExecutionConfiguration configuration) {
        super.configureTest(configuration);
        // the timer is advised before the context starts
        configuration.withUseAdviceWith(true);
    }

    @Override
    public void configureContext(CamelContextConfiguration configuration) {
        super.configureContext(configuration);
        overrides = new Properties();
        configuration.withUseOverridePropertiesWithPropertiesComponent(overrides);
    }

    @Override
    protected void configure(MainConfigurationProperties configuration) {
        ServiceMain.configure(configuration, settings);
    }

    @Override
    protected void bindToRegistry(Registry registry) {
        registry.bind("settings", settings);
    }

    @Test
    void theTimerFiresAfterTheGraceThenEveryInterval() throws Exception {
        context.start();
        TimerEndpoint timer = (TimerEndpoint) context.getRoute(TestService.TIMER_ROUTE).getEndpoint();
        assertThat(timer.getDelay()).isEqualTo(7_000);
        assertThat(timer.getPeriod()).isEqualTo(90_000);
    }

    @Test
    void aTickRunsARefreshThatLogsALinePerTableAndASummary() throws Exception {
        AdviceWith.adviceWith(context, TestService.TIMER_ROUTE, route -> route.replaceFromWith("direct:tick"));
        AdviceWith.adviceWith(context, "refresh-all", route -> route.weaveAddLast().to("mock:run-finished"));
        AdviceWith.adviceWith(context, "refresh-table", route -> route.weaveAddLast().to("mock:table-finished"));
        context.start();
        Database database = context.getRegistry().lookupByNameAndType("dataSource", Database.class);
        try (var c = database.getConnection(); var s = c.createStatement()) {
            s.execute("INSERT INTO table_registry (id, name, source_type, bucket, source_table, query_mode) VALUES"
                    + " ('t1', 't1', 'bigquery', 'ds', 't1', 'remote'), ('t2', 't2', 'bigquery', 'ds', 't2', 'remote')");
        }
        MockEndpoint finished = getMockEndpoint("mock:run-finished");
        finished.expectedMessageCount(1);
        MockEndpoint tables = getMockEndpoint("mock:table-finished");
        tables.expectedMessageCount(2);
        NotifyBuilder tick = new NotifyBuilder(context).from("direct:tick").whenDone(1).create();

        try (LogCapture logs = LogCapture.open()) {
            template.sendBody("direct:tick", null);

            assertThat(tick.matches(20, TimeUnit.SECONDS)).as("the tick's run is done").isTrue();
            MockEndpoint.assertIsSatisfied(context);
            assertThat(tables.getReceivedExchanges()).extracting(e -> e.getMessage().getBody(TableRefresh.class).status())
                    .containsOnly(TableStatus.OK);
            RunRecord run = finished.getReceivedExchanges().get(0).getMessage().getBody(RunRecord.class);
            assertThat(run.trigger()).isEqualTo("timer");
            assertThat(run.total()).isEqualTo(2);
            assertThat(run.succeeded()).isEqualTo(2);
            assertThat(logs.linesContaining("bq metadata refresh table: ")).hasSize(2).allSatisfy(line -> assertThat(line)
                    .matches("INFO .* bq metadata refresh table: run_id=[0-9a-f]{8} table_id=t[12] status=ok"
                            + " fetch_ms=\\d+ total_ms=\\d+"));
            assertThat(logs.linesContaining("bq metadata refresh: ")).singleElement().satisfies(line -> assertThat(line)
                    .matches("INFO .* bq metadata refresh: run_id=[0-9a-f]{8} total=2 ok=2 no_data=0 failed=0"
                            + " duration_ms=\\d+ triggered_by=timer caller=-"));
        }
        assertThat(bigQuery.getAllServeEvents()).hasSize(2);
    }
}
