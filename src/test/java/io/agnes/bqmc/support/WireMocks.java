package io.agnes.bqmc.support;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathMatching;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;

/** A WireMock standing in for BigQuery on a free loopback port, with the helpers tests share. */
public final class WireMocks {

    private WireMocks() {
    }

    public static WireMockServer startBigQuery() {
        WireMockServer server = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1")
                .containerThreads(40).jettyAcceptors(1));
        server.start();
        return server;
    }

    public static ResponseDefinitionBuilder json(int status, String body) {
        return aResponse().withStatus(status).withHeader("Content-Type", "application/json; charset=UTF-8")
                .withBody(body);
    }

    public static void serveTable(WireMockServer server, String project, String dataset, String table, long rows,
                                  long bytes) {
        server.stubFor(get(urlPathEqualTo(BigQueryJson.tablePath(project, dataset, table)))
                .willReturn(json(200, BigQueryJson.baseTable(project, dataset, table, rows, bytes, "a", "b"))));
    }

    public static void serveError(WireMockServer server, String project, String dataset, String table, int status,
                                  String reason, String message) {
        server.stubFor(get(urlPathEqualTo(BigQueryJson.tablePath(project, dataset, table)))
                .willReturn(json(status, BigQueryJson.error(status, reason, message))));
    }

    /** Every table of dataset {@code ds} in {@code test-project} answers as a base table after a delay. */
    public static void serveAnyTable(WireMockServer server, long rows, long bytes, int delayMs) {
        // the answer names the table asked for, as BigQuery's does (the service checks)
        server.stubFor(get(urlPathMatching("/bigquery/v2/projects/test-project/datasets/ds/tables/.*"))
                .willReturn(json(200, BigQueryJson.baseTable("test-project", "ds", "{{request.pathSegments.[7]}}", rows,
                        bytes, "a")).withFixedDelay(delayMs).withTransformers("response-template")));
    }

    /** Publishes a push signer's key set as Google does; the URL to configure as {@code BQMC_EVENTS_CERTS_URL}. */
    public static String publishKeys(WireMockServer server, PushSigner signer) {
        server.stubFor(get(urlPathEqualTo(PushSigner.CERTS_PATH)).willReturn(json(200, signer.jwks())
                .withHeader("Cache-Control", "public, max-age=19000")));
        return server.baseUrl() + PushSigner.CERTS_PATH;
    }

    /** Requests the stand-in received for one table path. */
    public static List<ServeEvent> requestsFor(WireMockServer server, String project, String dataset, String table) {
        String path = BigQueryJson.tablePath(project, dataset, table);
        List<ServeEvent> out = new ArrayList<>();
        for (ServeEvent e : server.getAllServeEvents()) {
            if (e.getRequest().getUrl().startsWith(path + "?") || e.getRequest().getUrl().equals(path)) {
                out.add(e);
            }
        }
        out.sort(Comparator.comparing(e -> e.getRequest().getLoggedDate()));
        return out;
    }

    /**
     * The most requests the stand-in had in flight at once, from each request's arrival time
     * and total serve time (which includes any injected delay).
     */
    public static int maxInFlight(List<ServeEvent> events) {
        List<long[]> edges = new ArrayList<>();
        for (ServeEvent e : events) {
            long start = e.getRequest().getLoggedDate().getTime();
            long end = start + e.getTiming().getTotalTime();
            edges.add(new long[] {start, 1});
            edges.add(new long[] {end, -1});
        }
        // at equal times, ends before starts: back-to-back requests do not overlap
        edges.sort(Comparator.<long[]>comparingLong(x -> x[0]).thenComparingLong(x -> x[1]));
        int current = 0;
        int max = 0;
        for (long[] edge : edges) {
            current += (int) edge[1];
            max = Math.max(max, current);
        }
        return max;
    }
}
