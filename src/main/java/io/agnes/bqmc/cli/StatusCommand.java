package io.agnes.bqmc.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agnes.bqmc.api.StatusBody;
import io.agnes.bqmc.cache.CachedTable;
import io.agnes.bqmc.cache.Freshness;
import io.agnes.bqmc.history.RunRecord;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The status endpoint for people and cron: a table with problems first, or the raw JSON, and
 * an exit code that monitoring can act on.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Show how fresh the cached BigQuery metadata is.",
            "Exit codes: 0 ok, 1 with --check when a table is stale or in error, 2 server unreachable or token refused."})
public class StatusCommand implements Callable<Integer> {

    static final int OK = 0;
    static final int CHECK_FAILED = 1;
    static final int UNAVAILABLE = 2;

    /** Problems first: what needs a look comes before what is fine. */
    private static final Map<Freshness, Integer> ORDER = Map.of(
            Freshness.ERROR, 0, Freshness.STALE, 1, Freshness.NEVER_FETCHED, 2, Freshness.FRESH, 3);

    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = "--url", defaultValue = "http://localhost:8080",
            description = "Base URL of the service (default: ${DEFAULT-VALUE}).")
    URI url;

    @Option(names = "--token", required = true, description = "Bearer token (any role).")
    String token;

    @Option(names = "--json", description = "Print the status JSON as the server sent it.")
    boolean json;

    @Option(names = "--check", description = "Exit 1 when any table is stale or in error.")
    boolean check;

    @Option(names = "--timeout", defaultValue = "10", description = "Seconds to wait for the server (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        URI endpoint = URI.create(url.toString().replaceAll("/+$", "") + "/api/v2/metadata-cache/status");
        HttpResponse<String> response;
        try {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(timeoutSeconds)).build();
            response = http.send(HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(timeoutSeconds))
                    .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException | HttpTimeoutException e) {
            err.println("status: cannot reach " + url + ": " + describe(e));
            err.flush();
            return UNAVAILABLE;
        } catch (IOException | IllegalArgumentException e) {
            err.println("status: cannot reach " + url + ": " + describe(e));
            err.flush();
            return UNAVAILABLE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return UNAVAILABLE;
        }
        if (response.statusCode() != 200) {
            String what = response.statusCode() == 401 || response.statusCode() == 403 ? "token refused" : "server answered";
            err.println("status: " + what + " (HTTP " + response.statusCode() + "): " + detail(response.body()));
            err.flush();
            return UNAVAILABLE;
        }
        StatusBody body;
        try {
            body = JSON.readValue(response.body(), StatusBody.class);
        } catch (IOException e) {
            err.println("status: the server's answer is not a status document: " + e.getMessage());
            err.flush();
            return UNAVAILABLE;
        }
        if (json) {
            out.println(response.body());
        } else {
            out.print(StatusTable.render(body, url, terminalWidth()));
        }
        out.flush();
        boolean problems = body.tables().stream()
                .anyMatch(t -> t.freshness() == Freshness.STALE || t.freshness() == Freshness.ERROR);
        return check && problems ? CHECK_FAILED : OK;
    }

    static int terminalWidth() {
        String columns = System.getenv("COLUMNS");
        try {
            return columns == null ? 120 : Math.max(60, Integer.parseInt(columns.strip()));
        } catch (NumberFormatException e) {
            return 120;
        }
    }

    private static String describe(Exception e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    private static String detail(String body) {
        try {
            JsonNode node = JSON.readTree(body);
            JsonNode detail = node == null ? null : node.get("detail");
            if (detail != null) {
                return detail.isTextual() ? detail.asText() : detail.toString();
            }
        } catch (IOException ignored) {
            // not JSON: show it as it came
        }
        return body.length() > 200 ? body.substring(0, 200) + "..." : body;
    }

    /** Renders the status as text. */
    static final class StatusTable {

        private StatusTable() {
        }

        static String render(StatusBody body, URI url, int width) {
            OffsetDateTime now = OffsetDateTime.parse(body.serverTime());
            StringBuilder s = new StringBuilder();
            s.append("bq-metadata-cache at ").append(url).append(": refresh every ")
                    .append(duration(body.schedulerIntervalSeconds())).append(", fresh for ")
                    .append(duration(body.freshThresholdSeconds())).append('\n');
            if (body.lastRuns() != null && !body.lastRuns().isEmpty()) {
                RunRecord run = body.lastRuns().get(0);
                s.append("last run ").append(run.runId()).append(" (").append(run.trigger()).append(", ")
                        .append(age(run.finishedAt().atOffset(ZoneOffset.UTC), now)).append("): ")
                        .append(run.total()).append(" tables, ").append(run.succeeded()).append(" ok, ")
                        .append(run.noData()).append(" no data, ").append(run.failed()).append(" failed in ")
                        .append(String.format(Locale.ROOT, "%.1f s", run.durationMs() / 1000.0)).append('\n');
            } else {
                s.append("no run yet\n");
            }
            s.append('\n');

            List<CachedTable> tables = new ArrayList<>(body.tables());
            tables.sort(Comparator.<CachedTable>comparingInt(t -> ORDER.getOrDefault(t.freshness(), 0))
                    .thenComparing(CachedTable::tableId));
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"TABLE", "FRESHNESS", "ROWS", "SIZE", "AGE", "ERROR"});
            for (CachedTable t : tables) {
                rows.add(new String[] {t.tableId(), t.freshness().wire(), t.rows() == null ? "-" : String.format(Locale.ROOT, "%,d", t.rows()),
                    t.sizeBytes() == null ? "-" : size(t.sizeBytes()),
                    t.refreshedAt() == null ? "never" : age(OffsetDateTime.parse(t.refreshedAt()), now),
                    t.errorMsg() == null ? "" : t.errorMsg().replaceAll("\\s+", " ")});
            }
            int[] w = new int[5];
            for (String[] r : rows) {
                for (int i = 0; i < 5; i++) {
                    w[i] = Math.max(w[i], r[i].length());
                }
            }
            int used = w[0] + w[1] + w[2] + w[3] + w[4] + 10;
            int errorWidth = Math.max(10, width - used);
            for (String[] r : rows) {
                String error = r[5].length() > errorWidth ? r[5].substring(0, errorWidth - 1) + "…" : r[5];
                s.append(String.format(Locale.ROOT, "%-" + w[0] + "s  %-" + w[1] + "s  %" + w[2] + "s  %" + w[3] + "s  %-"
                        + w[4] + "s  %s", r[0], r[1], r[2], r[3], r[4], error).stripTrailing()).append('\n');
            }
            s.append('\n').append(tables.size()).append(" tables: ").append(count(tables, Freshness.FRESH))
                    .append(" fresh, ").append(count(tables, Freshness.STALE)).append(" stale, ")
                    .append(count(tables, Freshness.ERROR)).append(" error, ")
                    .append(count(tables, Freshness.NEVER_FETCHED)).append(" never fetched\n");
            return s.toString();
        }

        private static long count(List<CachedTable> tables, Freshness freshness) {
            return tables.stream().filter(t -> t.freshness() == freshness).count();
        }

        /** Binary units, one decimal: 936.8 MiB. */
        static String size(long bytes) {
            if (bytes < 1024) {
                return bytes + " B";
            }
            String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
            double v = bytes;
            int u = -1;
            while (v >= 1024 && u < units.length - 1) {
                v /= 1024;
                u++;
            }
            return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
        }

        /** "45s ago", "12m ago", "3h ago", "2d ago"; "just now" for clock skew into the future. */
        static String age(OffsetDateTime then, OffsetDateTime now) {
            long seconds = Duration.between(then, now).toSeconds();
            if (seconds < 0) {
                return "just now";
            }
            return duration(seconds) + " ago";
        }

        static String duration(long seconds) {
            if (seconds < 60) {
                return seconds + "s";
            }
            if (seconds < 3600) {
                return seconds / 60 + "m";
            }
            if (seconds < 86400) {
                return seconds / 3600 + "h";
            }
            return seconds / 86400 + "d";
        }
    }
}
