package io.agnes.bqmc.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;

/**
 * Prometheus's own linter ({@code promtool}, from Debian's {@code prometheus} package, which
 * {@code .ci/run} installs when it is missing). Where it is not installed the test that needs it
 * is skipped, unless {@code BQMC_REQUIRE_PROMTOOL=1} (set by {@code .ci/run}) makes that a failure.
 */
public final class Promtool {

    private Promtool() {
    }

    /** {@code promtool check metrics} on an exposition text: empty when it passes, else what it says. */
    public static String checkMetrics(String exposition) throws IOException, InterruptedException {
        Path promtool = find();
        Process p = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true).start();
        p.getOutputStream().write(exposition.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return "promtool did not finish";
        }
        return p.exitValue() == 0 ? "" : out;
    }

    /** {@code promtool <args>} in {@code dir}: its exit code and what it printed. */
    public record Result(int exit, String output) {
    }

    public static Result run(Path dir, String... args) throws IOException, InterruptedException {
        java.util.List<String> command = new java.util.ArrayList<>();
        command.add(find().toString());
        command.addAll(java.util.List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, "promtool did not finish: " + out);
        }
        return new Result(p.exitValue(), out);
    }

    private static Path find() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, "promtool");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        String why = "promtool is not installed (Debian's prometheus package)";
        if ("1".equals(System.getenv("BQMC_REQUIRE_PROMTOOL"))) {
            throw new IllegalStateException(why + ", and BQMC_REQUIRE_PROMTOOL=1");
        }
        Assumptions.abort(why + ": run .ci/run, which installs it, to include this check");
        return null;
    }
}
