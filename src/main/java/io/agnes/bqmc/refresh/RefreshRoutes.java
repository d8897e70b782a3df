package io.agnes.bqmc.refresh;

import java.sql.SQLException;

import io.agnes.bqmc.bigquery.RetryableBigQueryException;
import io.agnes.bqmc.registry.RegistryTable;
import org.apache.camel.LoggingLevel;
import org.apache.camel.ShutdownRoute;
import org.apache.camel.builder.RouteBuilder;

/**
 * The refresh pipeline. {@code direct:refresh-all} reads the remote BigQuery rows and splits
 * them over the bounded {@code bqRefreshPool}; every row goes through {@code direct:refresh-table}
 * (resolve, one lookup with redelivery, one batched cache write). {@code direct:refresh-one}
 * serves the single-table endpoint: the table's registry row read over camel-jdbc, then the same
 * per-table route. What each step does lives
 * in {@link RefreshSteps}; this class only says in which order, on which threads, and with which
 * retries.
 */
public class RefreshRoutes extends RouteBuilder {

    /** Write-write conflicts on one row (a run and a single refresh together) resolve on a retry. */
    private static final int WRITE_REDELIVERIES = 3;

    private final int bigQueryMaxAttempts;
    private final long retryInitialDelayMs;
    private final long retryMaxDelayMs;

    /**
     * @param bigQueryMaxAttempts {@code BIGQUERY_MAX_ATTEMPTS}
     * @param retryInitialDelayMs {@code BIGQUERY_RETRY_INITIAL_DELAY_MS}, doubling per attempt up to {@code retryMaxDelayMs}
     */
    public RefreshRoutes(int bigQueryMaxAttempts, long retryInitialDelayMs, long retryMaxDelayMs) {
        this.bigQueryMaxAttempts = bigQueryMaxAttempts;
        this.retryInitialDelayMs = retryInitialDelayMs;
        this.retryMaxDelayMs = retryMaxDelayMs;
    }

    @Override
    public void configure() {
        RefreshSteps steps = getContext().getRegistry().lookupByNameAndType("refreshSteps", RefreshSteps.class);
        RegistryTable registry = getContext().getRegistry().lookupByNameAndType("registryTable", RegistryTable.class);
        OneTableRefreshes single = getContext().getRegistry().lookupByNameAndType("oneTableRefreshes", OneTableRefreshes.class);

        // refresh-all and refresh-one hand every failure back to their caller (timer or API),
        // which decides what it means; an error handler here would mark it exhausted and hide it.
        // A run that fails is told by RefreshSteps.startRun's completion, whoever handled it.
        // The refresh routes stop last, after the routes that call them, so a run can finish.
        from("direct:refresh-all").routeId("refresh-all").shutdownRoute(ShutdownRoute.Defer)
                .errorHandler(noErrorHandler())
                .routePolicyRef("singleFlightRoutePolicy")
                .process(steps::startRun)
                .process(steps::takeOn)
                // a page of rows at a time, read over camel-jdbc; each page's rows go to the pool as it
                // takes them, and the pool's queue is bounded
                .loopDoWhile(steps::morePages)
                    .setBody(constant(registry.selectRemotePage()))
                    .to("jdbc:dataSource?useHeadersAsParameters=true&outputType=SelectList")
                    .process(steps::page)
                    .split(body(), new RunTally()).streaming().parallelProcessing().executorService("bqRefreshPool")
                        .process(steps::beginTable)
                        .to("direct:refresh-table")
                    .end()
                .end()
                .process(steps::finishRun);

        // bounded, and one lookup per table however many ask at once (OneTableRefreshes)
        from("direct:refresh-one").routeId("refresh-one").shutdownRoute(ShutdownRoute.Defer)
                .errorHandler(noErrorHandler())
                .process(single::enter)
                .filter(exchangeProperty(OneTableRefreshes.JOINED).isNull())
                    .setBody(constant(registry.selectById()))
                    .to("jdbc:dataSource?useHeadersAsParameters=true&outputType=SelectList")
                    .process(steps::beginOneTable)
                    .to("direct:refresh-table")
                    .process(steps::answerOneTable)
                    .process(single::answered)
                .end();

        from("direct:refresh-table").routeId("refresh-table").shutdownRoute(ShutdownRoute.Defer)
                // continued, not handled: a handled exception would also end the caller's route (the split)
                // a database that is gone, or a run fenced off, is not worth a retry; a conflict is
                .onException(SQLException.class).onWhen(RefreshSteps::writeCannotGoThroughNow)
                    .continued(true).logExhausted(false)
                    .process(steps::writeFailed)
                .end()
                .onException(SQLException.class)
                    .maximumRedeliveries(WRITE_REDELIVERIES).redeliveryDelay(20).retryAttemptedLogLevel(LoggingLevel.DEBUG)
                    .continued(true).logExhausted(false)
                    .process(steps::writeFailed)
                .end()
                .process(steps::resolve)
                .filter(RefreshSteps::needsLookup)
                    .to("direct:bigquery-lookup")
                .end()
                .process("cacheWriteStep")
                .process(steps::finishTable);

        // Camel redelivery is the one retry mechanism: the client's own retries are off
        from("direct:bigquery-lookup").routeId("bigquery-lookup").shutdownRoute(ShutdownRoute.Defer)
                .onException(RetryableBigQueryException.class)
                    .maximumRedeliveries(bigQueryMaxAttempts - 1)
                    .redeliveryDelay(retryInitialDelayMs)
                    .useExponentialBackOff().backOffMultiplier(2)
                    .maximumRedeliveryDelay(retryMaxDelayMs)
                    .retryAttemptedLogLevel(LoggingLevel.DEBUG).logExhausted(false)
                    .continued(true)
                    .process(steps::lookupExhausted)
                .end()
                .onException(Exception.class)
                    .continued(true).logExhausted(false)
                    .process(steps::lookupBroke)
                .end()
                .process(steps::lookup);
    }
}
