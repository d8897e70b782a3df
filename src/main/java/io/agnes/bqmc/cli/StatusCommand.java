package io.agnes.bqmc.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import io.agnes.bqmc.cache.Freshness;
import io.agnes.bqmc.support.LogText;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The status endpoint for people and monitoring: a table with problems first, fitted to the
 * terminal, or the raw JSON; with {@code --check}, a monitoring plugin's line and exit code.
 * The token comes from the environment or a file, never the command line, where every user of
 * the machine could read it in {@code ps}.
 */
@Command(name = "status", mixinStandardHelpOptions = true, exitCodeOnInvalidInput = 3, exitCodeOnExecutionException = 3,
        description = {"Show how fresh the cached BigQuery metadata is.",
            "The server is --url, else AGNES_SERVER, else http://localhost:8080; the token is the first line of "
                + "--token-file when given, else AGNES_TOKEN (any role): what the command line names wins."},
        footer = {"", "Exit codes (the Nagios plugin convention):",
            "  0  OK: shown; with --check, every table fresh",
            "  1  WARNING, with --check: a table is stale or never fetched",
            "  2  CRITICAL, with --check: a table is in error",
            "  3  UNKNOWN: server unreachable, token missing or refused, bad usage, or an answer that is not a status"})
public class StatusCommand implements Callable<Integer> {

    static final String DEFAULT_SERVER = ApiAccess.DEFAULT_SERVER;

    private final Map<String, String> env;

    @Spec
    CommandSpec spec;

    @Option(names = "--url", paramLabel = "URL", description = "Base URL of the service (else AGNES_SERVER, else "
            + DEFAULT_SERVER + ").")
    String url;

    @Option(names = "--token-file", paramLabel = "FILE", description = "A file whose first line is the bearer token "
            + "(else AGNES_TOKEN).")
    Path tokenFile;

    /** Refused with a reason instead of "unknown option": older scripts passed it. */
    @Option(names = "--token", hidden = true)
    String tokenOnCommandLine;

    @Option(names = "--json", description = "Print the status JSON as the server sent it.")
    boolean json;

    @Option(names = "--check", description = "Print one monitoring line and exit 0/1/2 by the worst table (see below).")
    boolean check;

    @Option(names = "--freshness", paramLabel = "LIST", split = ",",
            description = "Only tables with these verdicts: fresh, stale, error, never_fetched (e.g. stale,error).")
    List<String> freshness;

    @Option(names = "--timeout", defaultValue = "10", paramLabel = "SECONDS",
            description = "Seconds the whole exchange may take, the answer's last byte included (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    public StatusCommand() {
        this(System.getenv());
    }

    StatusCommand(Map<String, String> env) {
        this.env = env;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        String server = server();
        String token;
        try {
            token = token();
        } catch (ParameterException e) {
            if (!check) {
                throw e;
            }
            // a monitoring system reads the first line of standard output, whatever went wrong
            unknown(e.getMessage().replaceFirst("^status: ", ""));
            return StatusCheck.UNKNOWN.exitCode();
        }
        URI endpoint = endpoint(server);
        // the timeout bounds the whole exchange, the body included (a server that drips its answer a
        // byte a second had kept the command alive past 40 s), and the answer's size is capped
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        int code;
        String body;
        try {
            HttpCall.Answer answer = HttpCall.exchange("GET", endpoint, token, deadline, MAX_ANSWER_BYTES);
            if (answer.body().length > MAX_ANSWER_BYTES) {
                return unknown("the server's answer is larger than " + MAX_ANSWER_BYTES / (1024 * 1024)
                        + " MB, more than any status; not read further");
            }
            code = answer.status();
            body = answer.text();
        } catch (TimeoutException e) {
            return unknown("no complete answer from " + server + " within " + timeoutSeconds + " s (--timeout)");
        } catch (IOException e) {
            return unknown("cannot reach " + server + ": " + describe(e));
        }
        if (code != 200) {
            String what = code == 401 || code == 403 ? "token refused" : "server answered";
            return unknown(what + " (HTTP " + code + "): " + detail(body));
        }
        StatusView status;
        try {
            status = StatusView.of(Json.mapper().readTree(body));
        } catch (IOException | IllegalArgumentException e) {
            return unknown("the server's answer is not a status document: " + LogText.safe(e.getMessage()));
        }
        StatusCheck verdict = StatusCheck.of(status.tables());
        if (check) {
            out.println(verdict.line(status.tables()));
        }
        if (json) {
            out.println(body);
        } else {
            out.print(StatusTable.render(status, LogText.printable(server), TerminalWidth.of(env,
                    () -> spec.usageMessage().autoWidth(true).width())));
        }
        out.flush();
        return check ? verdict.exitCode() : StatusCheck.OK.exitCode();
    }

    private String server() {
        return ApiAccess.server(url, env);
    }

    private URI endpoint(String server) {
        String query = "";
        if (freshness != null && !freshness.isEmpty()) {
            for (String f : freshness) {
                if (Freshness.fromWire(f.strip()) == null) {
                    throw usage("--freshness: unknown verdict '" + LogText.safe(f)
                            + "': use fresh, stale, error or never_fetched");
                }
            }
            query = "?freshness=" + URLEncoder.encode(String.join(",", freshness.stream().map(String::strip).toList()),
                    StandardCharsets.UTF_8);
        }
        try {
            URI endpoint = URI.create(server + "/api/v2/metadata-cache/status" + query);
            if (!"http".equals(endpoint.getScheme()) && !"https".equals(endpoint.getScheme()) || endpoint.getHost() == null) {
                throw new IllegalArgumentException("not an http(s) URL");
            }
            return endpoint;
        } catch (IllegalArgumentException e) {
            throw usage("the server URL '" + LogText.safe(server) + "' is not an http(s) URL like " + DEFAULT_SERVER);
        }
    }

    private String token() {
        try {
            return ApiAccess.token(tokenOnCommandLine, tokenFile, env);
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
    }

    /** Far more than the status of any estate (100,000 tables are about 40 MB). */
    static final int MAX_ANSWER_BYTES = 128 * 1024 * 1024;

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), "status: " + message);
    }

    private int unknown(String message) {
        PrintWriter err = spec.commandLine().getErr();
        if (check) {
            // a monitoring system reads the first line of standard output
            spec.commandLine().getOut().println("BQ METADATA CACHE UNKNOWN - " + LogText.printable(message));
            spec.commandLine().getOut().flush();
        }
        err.println("status: " + LogText.printable(message));
        err.flush();
        return StatusCheck.UNKNOWN.exitCode();
    }

    private static String describe(Exception e) {
        return ApiAccess.describe(e);
    }

    private static String detail(String body) {
        try {
            JsonNode node = Json.mapper().readTree(body);
            JsonNode detail = node == null ? null : node.get("detail");
            if (detail != null) {
                return LogText.safe(detail.isTextual() ? detail.asText() : detail.toString());
            }
        } catch (IOException ignored) {
            // not JSON: show it as it came
        }
        return LogText.safe(body);
    }
}
