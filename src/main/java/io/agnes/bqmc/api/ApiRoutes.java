package io.agnes.bqmc.api;

import java.util.List;
import java.util.Map;

import io.agnes.bqmc.auth.AccessDeniedException;
import io.agnes.bqmc.auth.AuthenticationFailedException;
import io.agnes.bqmc.auth.Principal;
import io.agnes.bqmc.auth.Role;
import io.agnes.bqmc.db.ConnectionPool;
import io.agnes.bqmc.history.RunRecord;
import io.agnes.bqmc.observe.DatabaseOutage;
import io.agnes.bqmc.refresh.RefreshAlreadyRunningException;
import io.agnes.bqmc.refresh.RefreshBusyException;
import io.agnes.bqmc.refresh.RefreshUnavailableException;
import io.agnes.bqmc.refresh.RunInfo;
import io.agnes.bqmc.refresh.RunOrigin;
import io.agnes.bqmc.refresh.TableRefreshResult;
import io.agnes.bqmc.registry.NotRemoteBigQueryTableException;
import io.agnes.bqmc.registry.RegistryTable;
import io.agnes.bqmc.registry.UnknownTableException;
import io.agnes.bqmc.support.BuildInfo;
import io.agnes.bqmc.support.QueryString;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.model.rest.RestBindingMode;
import org.apache.camel.model.rest.RestDefinition;
import org.apache.camel.model.rest.RestParamType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API of contract section 7 as REST DSL on platform-http.
 * <p>
 * Java rather than YAML: the endpoints, the role each one needs, and the mapping of every
 * failure to its status code and {@code detail} belong together, and the exception types they
 * name are Java types. The interceptor below is the single place where requests are
 * authenticated; the onException clauses are the single place where errors become JSON.
 */
public class ApiRoutes extends RouteBuilder {

    private static final Logger LOG = LoggerFactory.getLogger(ApiRoutes.class);

    public static final String RUN_ROUTE = "api-run-bq-metadata-refresh";
    public static final String REFRESH_ROUTE = "api-refresh-table";
    public static final String STATUS_ROUTE = "api-metadata-cache-status";
    public static final String CALLER_ROUTE = "api-metadata-cache-caller";

    /** Who may call what: the authenticator denies by default, so a new route must be listed. */
    public static final Map<String, Role> REQUIRED_ROLE = Map.of(
            RUN_ROUTE, Role.ADMIN,
            REFRESH_ROUTE, Role.ADMIN,
            STATUS_ROUTE, Role.ANALYST,
            CALLER_ROUTE, Role.ANALYST);

    private static final String STATUS_FILTER = "bqmc.statusFilter";

    static final String UNAUTHORIZED = "Missing, invalid, unknown or expired bearer token";
    static final String FORBIDDEN = "Admin access required";

    static final String RUN_PATH = "/api/admin/run-bq-metadata-refresh";
    static final String REFRESH_PATH = "/api/v2/metadata-cache/refresh";
    static final String STATUS_PATH = "/api/v2/metadata-cache/status";
    static final String CALLER_PATH = "/api/v2/metadata-cache/me";
    /** Each route's path, as the refusal counter names endpoints. */
    static final Map<String, String> ENDPOINT = Map.of(RUN_ROUTE, RUN_PATH, REFRESH_ROUTE, REFRESH_PATH,
            STATUS_ROUTE, STATUS_PATH, CALLER_ROUTE, CALLER_PATH);
    /** Each endpoint's method, for a 405's {@code Allow} header. */
    static final Map<String, String> ALLOWED_METHOD = Map.of(RUN_PATH, "POST", REFRESH_PATH, "POST", STATUS_PATH, "GET",
            RunEvents.PATH, "GET", CALLER_PATH, "GET");

    @Override
    public void configure() {
        StatusReport statusReport = getContext().getRegistry().lookupByNameAndType("statusReport", StatusReport.class);
        DatabaseOutage outage = getContext().getRegistry().lookupByNameAndType("databaseOutage", DatabaseOutage.class);
        Refusals refusals = getContext().getRegistry().lookupByNameAndType("refusals", Refusals.class);
        errorMapping(outage, refusals);

        // the request's id, address and audit row first: a refused caller has them too
        interceptFrom("rest:*").process("requestContext").process("bearerAuthenticator");

        // not inlined: each REST verb stays a route of its own, under the id the role table names
        restConfiguration().component("platform-http").bindingMode(RestBindingMode.off).inlineRoutes(false)
                // generated from the verbs below by camel-openapi-java; public, like any API description
                .apiContextPath("/api/openapi.json").apiContextRouteId("api-openapi-document")
                .apiProperty("api.title", "bq-metadata-cache")
                .apiProperty("api.description", "Freshness-aware cache of BigQuery table metadata for the Agnes platform")
                .apiProperty("api.version", BuildInfo.version());

        RestDefinition api = rest("/api")
                .securityDefinitions().bearerToken("bearer", "Token from 'tokens create', or SCHEDULER_API_TOKEN").end()
                .security("bearer");

        api.post("/admin/run-bq-metadata-refresh").id(RUN_ROUTE)
                .description("Refresh every remote BigQuery table now (admin); answers when the run is done")
                .produces("application/json").outType(RunRecord.class)
                .responseMessage().code(200).message("The run's counters").responseModel(RunRecord.class)
                    .endResponseMessage()
                .responseMessage().code(409).message("A run is already in flight, on this replica or another: detail"
                        + " names it").responseModel(ConflictBody.class).endResponseMessage()
                .responseMessage().code(503).message("The database cannot be asked for the run lock now")
                    .responseModel(ErrorBody.class).endResponseMessage();
        errors(api, 401, 403, 405, 413, 414, 431, 500).to("direct:api-run");

        api.post("/v2/metadata-cache/refresh").id(REFRESH_ROUTE)
                .description("Refresh one remote BigQuery table now (admin)")
                .produces("application/json").outType(TableRefreshResult.class)
                .param().name("table").type(RestParamType.query).required(true)
                    .description("table_registry id").endParam()
                .responseMessage().code(200).message("The table's outcome").responseModel(TableRefreshResult.class)
                    .endResponseMessage()
                .responseMessage().code(503).message("Every refresh slot stayed taken for 60 s (refreshes are bounded"
                        + " like a run); try again").responseModel(ErrorBody.class).endResponseMessage();
        errors(api, 400, 401, 403, 404, 405, 413, 414, 431, 500).to("direct:api-refresh-table");

        api.get("/v2/metadata-cache/status").id(STATUS_ROUTE)
                .description("Cached metadata and freshness of every remote BigQuery table (any user)")
                .produces("application/json").outType(StatusBody.class)
                .param().name(StatusFilter.FRESHNESS).type(RestParamType.query).required(false)
                    .description("Only tables with these verdicts, comma-separated: fresh, stale, error,"
                            + " never_fetched").endParam()
                .param().name(StatusFilter.TABLE).type(RestParamType.query).required(false)
                    .description("Only these table_ids, comma-separated").endParam()
                .responseMessage().code(200).message("Freshness per table, ordered by table_id")
                    .responseModel(StatusBody.class).endResponseMessage()
                .responseMessage().code(400).message("An unknown freshness or table_id, or an empty list item")
                    .responseModel(ErrorBody.class).endResponseMessage();
        errors(api, 401, 405, 413, 414, 431, 500, 503).to("direct:api-status");

        api.get("/v2/metadata-cache/me").id(CALLER_ROUTE)
                .description("Who the bearer token stands for, and its role (any user): what the status page offers")
                .produces("application/json").outType(CallerBody.class)
                .responseMessage().code(200).message("The caller").responseModel(CallerBody.class).endResponseMessage();
        errors(api, 401, 405, 413, 414, 431, 500).to("direct:api-caller");

        from("direct:api-caller").routeId("api-caller")
                .removeHeaders("*")
                .process(e -> {
                    Principal caller = e.getProperty(Principal.PROPERTY, Principal.class);
                    JsonResponses.respond(e, 200, new CallerBody(caller.user(), caller.role().wire()));
                });

        from("direct:api-run").routeId("api-run")
                .removeHeaders("*")
                .process(e -> e.setProperty(RunOrigin.PROPERTY, RequestContext.origin(e, "rest")))
                .to("direct:refresh-all")
                .process(e -> {
                    RunRecord run = e.getMessage().getBody(RunRecord.class);
                    e.setProperty(RequestContext.OUTCOME, run);
                    JsonResponses.respond(e, 200, run, RunRecord.Summary.class);
                });

        from("direct:api-refresh-table").routeId("api-refresh")
                .process(e -> e.getMessage().setHeader(RegistryTable.ID_PARAMETER, tableParameter(e)))
                .removeHeaders("*", RegistryTable.ID_PARAMETER)
                .process(e -> e.setProperty(RunOrigin.PROPERTY, RequestContext.origin(e, RunInfo.SINGLE)))
                .to("direct:refresh-one")
                .process(e -> {
                    TableRefreshResult table = e.getMessage().getBody(TableRefreshResult.class);
                    e.setProperty(RequestContext.OUTCOME, table);
                    JsonResponses.respond(e, 200, table);
                });

        from("direct:api-status").routeId("api-status")
                .process(e -> e.setProperty(STATUS_FILTER, StatusFilter.of(query(e))))
                .removeHeaders("*")
                .process(e -> JsonResponses.respond(e, 200,
                        statusReport.answer(e.getProperty(STATUS_FILTER, StatusFilter.class))))
                .process(e -> outage.reachable());

        // Anything the REST routes did not take: an unknown path is 404, a known path with
        // another method is 405. Started last, so Vert.x offers it every request only after them.
        from("platform-http:/?matchOnUriPrefix=true").routeId("api-fallback").startupOrder(10_000)
                .process(e -> {
                    String path = e.getMessage().getHeader(Exchange.HTTP_PATH, String.class);
                    String uri = e.getMessage().getHeader(Exchange.HTTP_URI, String.class);
                    String full = uri != null ? uri : path;
                    String allowed = full == null ? null : ALLOWED_METHOD.get(stripTrailingSlash(full));
                    if (allowed != null) {
                        JsonResponses.error(e, 405, "Method Not Allowed");
                        e.getMessage().setHeader("Allow", allowed);
                    } else {
                        JsonResponses.error(e, 404, "Not Found");
                    }
                });
    }

    private void errorMapping(DatabaseOutage outage, Refusals refusals) {
        onException(AuthenticationFailedException.class).handled(true)
                .process(e -> {
                    String detail = caught(e).getMessage();
                    refused(refusals, e, 401, Refusals.Reason.of(detail));
                    JsonResponses.error(e, 401, detail);
                    e.getMessage().setHeader("WWW-Authenticate", "Bearer");
                });
        onException(AccessDeniedException.class).handled(true)
                .process(e -> {
                    refused(refusals, e, 403, Refusals.Reason.NOT_ADMIN);
                    JsonResponses.error(e, 403, caught(e).getMessage());
                });
        onException(BadRequestException.class, NotRemoteBigQueryTableException.class).handled(true)
                .process(e -> JsonResponses.error(e, 400, caught(e).getMessage()));
        onException(UnknownTableException.class).handled(true)
                .process(e -> JsonResponses.error(e, 404, caught(e).getMessage()));
        onException(RefreshAlreadyRunningException.class).handled(true)
                .process(e -> {
                    RefreshAlreadyRunningException running = (RefreshAlreadyRunningException) caught(e);
                    JsonResponses.respond(e, 409,
                            new ConflictBody(new AlreadyRunningDetail(running.runId(), running.startedAtText())));
                });
        onException(StatusBusyException.class).handled(true)
                .process(e -> unavailable(e, caught(e).getMessage(), ApiHttpServer.RETRY_AFTER_SECONDS));
        onException(RefreshBusyException.class).handled(true)
                .process(e -> JsonResponses.error(e, 503, caught(e).getMessage()));
        onException(RefreshUnavailableException.class).handled(true)
                .process(e -> {
                    outage.unreachable(caught(e).getMessage());
                    unavailable(e, "Database unavailable: the run lock cannot be taken now", DATABASE_RETRY_AFTER_SECONDS);
                });
        // the client learns nothing of the internals; the log has the whole story
        onException(Exception.class).handled(true)
                .process(e -> {
                    Exception cause = caught(e);
                    if (DatabaseOutage.isUnreachable(cause)) {
                        // one WARN for the whole outage, not a stack trace per request
                        outage.unreachable(ConnectionPool.rootMessage(cause));
                        unavailable(e, "Database unavailable: try again shortly", DATABASE_RETRY_AFTER_SECONDS);
                        return;
                    }
                    LOG.error("request failed in route {}", e.getFromRouteId(), cause);
                    JsonResponses.error(e, 500, "Internal server error");
                });
    }

    private static void refused(Refusals refusals, Exchange e, int status, Refusals.Reason reason) {
        Principal caller = e.getProperty(Principal.PROPERTY, Principal.class);
        refusals.refused(ENDPOINT.getOrDefault(e.getFromRouteId(), "other"), status, reason,
                e.getProperty(RequestContext.CLIENT, String.class), e.getProperty(RequestContext.REQUEST_ID, String.class),
                caller == null ? null : caller.user());
    }

    /** A 503 that says when to come back. */
    private static void unavailable(Exchange e, String detail, int retryAfterSeconds) {
        JsonResponses.error(e, 503, detail);
        e.getMessage().setHeader("Retry-After", Integer.toString(retryAfterSeconds));
    }

    /** A database outage is seconds to minutes: clients are asked to come back after this long. */
    static final int DATABASE_RETRY_AFTER_SECONDS = 5;

    /** What each error status means, for the OpenAPI document; every one has an {@link ErrorBody}. */
    private static final Map<Integer, String> ERRORS = Map.ofEntries(
            Map.entry(400, "Missing or repeated table, or not a remote BigQuery table"),
            Map.entry(401, UNAUTHORIZED),
            Map.entry(403, FORBIDDEN),
            Map.entry(404, "Unknown table_id"),
            Map.entry(405, "Another method than the endpoint's: the Allow header names it"),
            Map.entry(413, "A request body (the API takes none) over 64 KiB"),
            Map.entry(414, "A request line over 16 KiB"),
            Map.entry(431, "Request headers over 64 KiB"),
            Map.entry(500, "Internal server error: the log has the details"),
            Map.entry(503, "Starting, stopping, or the database unreachable: try again after Retry-After seconds"));

    /** Adds the error answers to the verb just declared. */
    private static RestDefinition errors(RestDefinition verb, int... statuses) {
        for (int status : statuses) {
            verb.responseMessage().code(status).message(ERRORS.get(status)).responseModel(ErrorBody.class)
                    .endResponseMessage();
        }
        return verb;
    }

    /**
     * The single {@code table} query parameter, by that exact name (not {@code Table}, not a
     * header); absent, empty or repeated is a 400.
     */
    static String tableParameter(Exchange exchange) {
        List<String> values = query(exchange).values("table");
        if (values.size() > 1) {
            throw new BadRequestException("Query parameter table must be given once");
        }
        if (values.isEmpty() || values.get(0).isEmpty()) {
            throw new BadRequestException("Missing required query parameter: table");
        }
        return values.get(0);
    }

    private static QueryString query(Exchange exchange) {
        try {
            return QueryString.of(exchange);
        } catch (IllegalArgumentException e) {
            throw new BadRequestException("The query string is not valid percent-encoding");
        }
    }

    private static Exception caught(Exchange e) {
        return e.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
    }

    private static String stripTrailingSlash(String path) {
        int q = path.indexOf('?');
        String p = q >= 0 ? path.substring(0, q) : path;
        return p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }
}
