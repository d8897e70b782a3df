package io.agnes.bqmc.api;

import java.util.List;
import java.util.Map;

import io.agnes.bqmc.audit.AuditEntry;
import io.agnes.bqmc.audit.AuditTrail;
import io.agnes.bqmc.auth.Principal;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.refresh.RefreshAlreadyRunningException;
import io.agnes.bqmc.refresh.RunOrigin;
import io.agnes.bqmc.refresh.TableRefreshResult;
import io.agnes.bqmc.refresh.TableStatus;
import io.agnes.bqmc.support.LogContext;
import io.agnes.bqmc.support.QueryString;
import io.agnes.bqmc.support.Times;
import io.opentelemetry.api.trace.Span;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.vertx.HttpMessage;
import org.apache.camel.support.SynchronizationAdapter;
import org.slf4j.MDC;

/**
 * What every API request carries from its first step (before authentication): its id (the
 * sane {@code X-Request-Id} the HTTP server let through, or a new one) in the exchange and in
 * the log lines of its thread, the client's address, when it began; and, on the admin
 * endpoints, the audit row written once the answer is decided (contract section 10): none for
 * a caller that did not authenticate, {@code denied} for one refused for its role.
 */
public class RequestContext implements Processor {

    public static final String REQUEST_ID = "bqmcRequestId";
    static final String CLIENT = "bqmcClient";
    private static final String STARTED = "bqmcRequestStarted";

    /** The answer's facts the audit row needs, left by the routes. */
    static final String OUTCOME = "bqmcOutcome";
    static final String ERROR_DETAIL = "bqmcErrorDetail";

    /** The audited endpoints: action and resource, as the platform names them. */
    private record Audited(String action, String resource) {
    }

    private static final Map<String, Audited> AUDITED = Map.of(
            ApiRoutes.RUN_ROUTE, new Audited(AuditEntry.RUN_ACTION, AuditEntry.RUN_RESOURCE),
            ApiRoutes.REFRESH_ROUTE, new Audited(AuditEntry.REFRESH_ACTION, ApiRoutes.REFRESH_PATH));

    private static final String TABLE = "bqmcAskedTable";

    private final AuditTrail audit;

    public RequestContext(AuditTrail audit) {
        this.audit = audit;
    }

    @Override
    public void process(Exchange exchange) {
        HttpMessage http = exchange.getIn(HttpMessage.class);
        var request = http == null ? null : http.getRequest();
        String id = RequestIds.of(request == null ? null : request.getHeader(RequestIds.HEADER));
        exchange.setProperty(REQUEST_ID, id);
        exchange.setProperty(CLIENT, request == null || request.remoteAddress() == null ? null
                : request.remoteAddress().hostAddress());
        exchange.setProperty(STARTED, System.nanoTime());
        MDC.put(LogContext.REQUEST_ID, id);
        // the request's span is Camel's (a no-op one when traces are off): it carries the id too
        Span.current().setAttribute("bqmc.request_id", id);
        Audited audited = AUDITED.get(exchange.getFromRouteId());
        if (audited != null && audited.action().equals(AuditEntry.REFRESH_ACTION)) {
            exchange.setProperty(TABLE, askedTable(exchange));
        }
        exchange.getExchangeExtension().addOnCompletion(new SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                if (audited != null) {
                    auditRow(done, audited);
                }
                // the request's thread serves the next request: its id goes with this one
                if (id.equals(MDC.get(LogContext.REQUEST_ID))) {
                    MDC.remove(LogContext.REQUEST_ID);
                }
            }
        });
    }

    /** The request's id, client and caller as a run or a refresh records who started it. */
    static RunOrigin origin(Exchange exchange, String trigger) {
        Principal caller = exchange.getProperty(Principal.PROPERTY, Principal.class);
        return RunOrigin.api(trigger, caller.user(), Principal.SCHEDULER.equals(caller),
                exchange.getProperty(REQUEST_ID, String.class));
    }

    /** The refresh's {@code table} parameter as asked, for the audit row of a refused or failed request. */
    private static String askedTable(Exchange exchange) {
        try {
            List<String> values = QueryString.of(exchange).values("table");
            return values.isEmpty() ? null : values.get(0);
        } catch (IllegalArgumentException badEncoding) {
            return null;
        }
    }

    private void auditRow(Exchange exchange, Audited audited) {
        Principal caller = exchange.getProperty(Principal.PROPERTY, Principal.class);
        if (caller == null) {
            return; // not authenticated: the platform writes no row for a 401
        }
        int status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 200, Integer.class);
        String params = null;
        String result;
        Object outcome = exchange.getProperty(OUTCOME);
        Exception caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        if (status == 403) {
            result = AuditEntry.DENIED;
        } else if (status == 409 && caught instanceof RefreshAlreadyRunningException running) {
            result = "conflict: run " + running.runId() + " is already in flight";
            params = AuditTrail.params("reason", "already_running", "run_id", running.runId(),
                    "started_at", running.startedAtText());
        } else if (status == 200 && outcome instanceof RunRecord run) {
            result = AuditEntry.SUCCESS;
            params = AuditTrail.counters(run);
        } else if (status == 200 && outcome instanceof TableRefreshResult table) {
            result = table.status() == TableStatus.ERROR ? AuditEntry.error(table.error()) : AuditEntry.SUCCESS;
            params = AuditTrail.params("table_id", table.tableId(), "status", table.status().toString(),
                    "fetch_ms", table.fetchMs());
        } else {
            result = AuditEntry.error(exchange.getProperty(ERROR_DETAIL, "status " + status, String.class));
        }
        if (params == null && audited.action().equals(AuditEntry.REFRESH_ACTION)) {
            params = AuditTrail.params("table_id", exchange.getProperty(TABLE, String.class));
        }
        long started = exchange.getProperty(STARTED, System.nanoTime(), Long.class);
        audit.record(new AuditEntry(Times.now(), caller.user(), audited.action(), audited.resource(), params, result,
                (System.nanoTime() - started) / 1_000_000, exchange.getProperty(CLIENT, String.class),
                Principal.SCHEDULER.equals(caller) ? AuditEntry.SCHEDULER : AuditEntry.CLI,
                exchange.getProperty(REQUEST_ID, String.class)));
    }
}
