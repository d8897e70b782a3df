package io.agnes.bqmc.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import io.agnes.bqmc.support.LogText;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Starts a refresh run (or refreshes one table) on the service and waits for it; with
 * {@code --follow}, shows it as it goes, from the service's progress stream. A run already in
 * flight (409) is followed instead of started. Needs an admin token.
 */
@Command(name = "run", mixinStandardHelpOptions = true, exitCodeOnInvalidInput = 3, exitCodeOnExecutionException = 3,
        description = {"Refresh every remote BigQuery table now (or one, with --table) and wait for the outcome.",
            "The server is --url, else AGNES_SERVER, else " + ApiAccess.DEFAULT_SERVER + "; the token (an admin's) is the"
                + " first line of --token-file when given, else AGNES_TOKEN. A run already in flight is followed"
                + " instead of started."},
        footer = {"", "Exit codes (as status --check):",
            "  0  every table refreshed ok",
            "  1  a table had no data (not found, no project or credentials)",
            "  2  a table failed",
            "  3  server unreachable, token missing or refused, bad usage, or the run could not be followed"})
public class RunCommand implements Callable<Integer> {

    private final Map<String, String> env;

    @Spec
    CommandSpec spec;

    @Option(names = "--url", paramLabel = "URL", description = "Base URL of the service (else AGNES_SERVER, else "
            + ApiAccess.DEFAULT_SERVER + ").")
    String url;

    @Option(names = "--token-file", paramLabel = "FILE", description = "A file whose first line is an admin's bearer"
            + " token (else AGNES_TOKEN).")
    Path tokenFile;

    @Option(names = "--token", hidden = true)
    String tokenOnCommandLine;

    @Option(names = "--follow", description = "Show the run as it goes: a progress bar on a terminal, a line every"
            + " few seconds elsewhere.")
    boolean follow;

    @Option(names = "--table", paramLabel = "ID", description = "Refresh only this table_id.")
    String table;

    @Option(names = "--timeout", defaultValue = "0", paramLabel = "SECONDS",
            description = "Give up waiting after this many seconds (default: 0, as long as the run takes).")
    int timeoutSeconds;

    public RunCommand() {
        this(System.getenv());
    }

    RunCommand(Map<String, String> env) {
        this.env = env;
    }

    @Override
    public Integer call() throws Exception {
        String server = ApiAccess.server(url, env);
        String token;
        try {
            token = ApiAccess.token(tokenOnCommandLine, tokenFile, env);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "run: " + e.getMessage());
        }
        URI base;
        try {
            base = URI.create(server);
            if (!"http".equals(base.getScheme()) && !"https".equals(base.getScheme()) || base.getHost() == null) {
                throw new IllegalArgumentException("not http(s)");
            }
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "run: the server URL '" + LogText.safe(server)
                    + "' is not an http(s) URL like " + ApiAccess.DEFAULT_SERVER);
        }
        PrintWriter out = spec.commandLine().getOut();
        try {
            return table != null ? refreshOne(server, token, out) : runAll(server, token, out);
        } catch (IOException e) {
            return unknown("cannot reach " + server + ": " + ApiAccess.describe(e));
        } catch (TimeoutException e) {
            return unknown("no outcome within " + timeoutSeconds + " s (--timeout)");
        }
    }

    private int refreshOne(String server, String token, PrintWriter out) throws Exception {
        HttpCall.Answer r = post(server + "/api/v2/metadata-cache/refresh?table="
                + URLEncoder.encode(table, StandardCharsets.UTF_8), token);
        if (r.status() != 200) {
            return refused(r);
        }
        JsonNode t = Json.mapper().readTree(r.text());
        String status = t.path("status").asText();
        out.println(LogText.printable(t.path("table_id").asText()) + ": " + status
                + (t.path("rows").isNumber() ? ", " + String.format("%,d", t.get("rows").asLong()) + " rows" : "")
                + (t.path("error").isTextual() ? ": " + LogText.printable(t.get("error").asText()) : "")
                + " (" + t.path("total_ms").asLong() + " ms)");
        out.flush();
        return switch (status) {
            case "ok" -> 0;
            case "no_data" -> 1;
            default -> 2;
        };
    }

    private int runAll(String server, String token, PrintWriter out) throws Exception {
        ProgressView view = new ProgressView(out, TerminalWidth.of(env, () -> spec.usageMessage().autoWidth(true).width()),
                follow);
        CompletableFuture<JsonNode> completed = new CompletableFuture<>();
        EventStream events = null;
        if (follow) {
            events = stream(server, token, view, completed);
        }
        try {
            HttpCall.Answer r = post(server + "/api/admin/run-bq-metadata-refresh", token);
            JsonNode record;
            if (r.status() == 200) {
                record = Json.mapper().readTree(r.text());
            } else if (r.status() == 409) {
                JsonNode detail = Json.mapper().readTree(r.text()).path("detail");
                String inFlight = detail.path("run_id").asText(null);
                view.follow(inFlight);
                spec.commandLine().getErr().println("run: run " + LogText.printable(String.valueOf(inFlight))
                        + " is already in flight (started " + LogText.printable(detail.path("started_at").asText("?"))
                        + "): following it");
                spec.commandLine().getErr().flush();
                if (events == null) {
                    events = stream(server, token, view, completed);
                }
                if (events == null) {
                    return unknown("the server offers no progress stream to follow run " + inFlight + " with");
                }
                record = waitFor(completed);
            } else {
                return refused(r);
            }
            view.finished(summary(record));
            return exitCode(record);
        } finally {
            if (events != null) {
                events.close();
            }
        }
    }

    /** The progress stream, feeding the view and completing with the followed run's {@code complete}. */
    private EventStream stream(String server, String token, ProgressView view,
                               CompletableFuture<JsonNode> completed) throws IOException {
        EventStream stream = EventStream.open(server, token, event -> {
            view.event(event);
            String followed = view.following();
            if (event.name().equals("complete") && followed != null
                    && followed.equals(event.data().path("run_id").asText())) {
                completed.complete(event.data());
            }
        });
        if (stream == null && follow) {
            spec.commandLine().getErr().println("run: this server has no progress stream; waiting for the outcome");
            spec.commandLine().getErr().flush();
        }
        return stream;
    }

    private JsonNode waitFor(CompletableFuture<JsonNode> completed) throws Exception {
        try {
            return timeoutSeconds > 0 ? completed.get(timeoutSeconds, TimeUnit.SECONDS) : completed.get();
        } catch (ExecutionException e) {
            throw new IOException(e.getCause());
        }
    }

    /** A run's answer comes when the run is done: no deadline unless --timeout. */
    private HttpCall.Answer post(String uri, String token) throws IOException, TimeoutException {
        return HttpCall.exchange("POST", URI.create(uri), token,
                timeoutSeconds > 0 ? System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds) : 0, MAX_ANSWER_BYTES);
    }

    /** Far more than any run's or table's answer. */
    private static final int MAX_ANSWER_BYTES = 1024 * 1024;

    static String summary(JsonNode r) {
        return "run " + LogText.printable(r.path("run_id").asText("-")) + ": " + r.path("total").asLong() + " tables, "
                + r.path("succeeded").asLong() + " ok, " + r.path("no_data").asLong() + " no data, "
                + r.path("failed").asLong() + " failed in " + String.format("%.1f s", r.path("duration_ms").asLong() / 1000.0)
                + (r.path("error").isTextual() ? "; ended early: " + LogText.printable(r.get("error").asText()) : "");
    }

    static int exitCode(JsonNode r) {
        if (r.path("failed").asLong() > 0 || r.path("error").isTextual()) {
            return 2;
        }
        return r.path("no_data").asLong() > 0 ? 1 : 0;
    }

    private int refused(HttpCall.Answer r) {
        String detail;
        try {
            JsonNode d = Json.mapper().readTree(r.text()).path("detail");
            detail = d.isTextual() ? d.asText() : d.toString();
        } catch (IOException notJson) {
            detail = r.text();
        }
        String what = r.status() == 401 || r.status() == 403 ? "token refused" : "server answered";
        return unknown(what + " (HTTP " + r.status() + "): " + LogText.safe(detail));
    }

    private int unknown(String message) {
        spec.commandLine().getErr().println("run: " + LogText.printable(message));
        spec.commandLine().getErr().flush();
        return 3;
    }
}
