package io.agnes.bqmc.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The service as shipped: {@code java [options] -jar target/bq-metadata-cache.jar [args]} in a
 * child process, for what only the product shows (its logging, signals, crashes, exit codes).
 * Never the test classpath: a JSON-logs test once passed on the classpath while the jar logged
 * nothing. Only the integration tests (failsafe, after {@code package}) use it; its output goes
 * to a file the test can read.
 */
public final class ChildService implements AutoCloseable {

    private final Process process;
    private final Path log;

    private ChildService(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    public static ChildService start(Map<String, String> env, Path log, String... args) throws IOException {
        return start(List.of(), env, log, args);
    }

    /** With JVM options of its own, e.g. to start several replicas quickly on two cores. */
    public static ChildService start(List<String> jvmOptions, Map<String, String> env, Path log, String... args)
            throws IOException {
        return start(null, jvmOptions, env, log, args);
    }

    /** In a working directory of its own (the demo keeps its files under the working directory). */
    public static ChildService startIn(Path workingDirectory, Map<String, String> env, Path log, String... args)
            throws IOException {
        return start(workingDirectory, List.of(), env, log, args);
    }

    private static ChildService start(Path workingDirectory, List<String> jvmOptions, Map<String, String> env, Path log,
                                      String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar().toString()));
        command.addAll(List.of(args));
        return startCommand(command, workingDirectory, env, log);
    }

    /**
     * A command line of a deployment file (a container's entry point, a unit's ExecStart) that
     * starts the jar; {@code java} on its PATH is this JVM's.
     */
    public static ChildService startCommand(List<String> command, Path workingDirectory, Map<String, String> env,
                                            Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        if (workingDirectory != null) {
            pb.directory(workingDirectory.toFile());
        }
        pb.environment().clear();
        pb.environment().put("PATH", Path.of(System.getProperty("java.home"), "bin") + ":"
                + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        pb.environment().putAll(env);
        return new ChildService(pb.start(), log);
    }

    /** The jar {@code mvn package} made (failsafe names it), as a user runs it. */
    public static Path jar() {
        Path jar = Path.of(System.getProperty("bqmc.jar", "target/bq-metadata-cache.jar")).toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: the tests that run the product run after"
                    + " `mvn package` (mvn -B verify)");
        }
        return jar;
    }

    /** Waits until the API routes answer on the port, or the process died. */
    public void awaitHttp(int port, Duration timeout) throws Exception {
        ApiClient api = new ApiClient(port);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("service exited with " + process.exitValue() + ":\n" + output());
            }
            try {
                // the HTTP server listens before the routes are on it: wait for a real answer
                if (api.get("/api/openapi.json", null).status() == 200) {
                    return;
                }
            } catch (Exception notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("service did not answer within " + timeout + ":\n" + output());
    }

    public long pid() {
        return process.pid();
    }

    public Process process() {
        return process;
    }

    public void signal(String name) throws Exception {
        new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).start().waitFor();
    }

    /** The exit code, or null when it did not exit in time. */
    public Integer awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : null;
    }

    public String output() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
