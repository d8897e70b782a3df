package io.agnes.bqmc.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.auth.Role;
import io.agnes.bqmc.auth.TokenIssuer;
import io.agnes.bqmc.db.PlatformTables;
import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.ChildService;
import io.agnes.bqmc.support.FreePorts;
import io.agnes.bqmc.support.Postgres;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped jar, started the way each file of {@code deploy/} starts it, with that file's
 * environment, JVM options and command line read from the file itself (so neither can drift):
 * the Dockerfile's {@code ENV} and {@code ENTRYPOINT}, the Kubernetes example's container env and
 * probes (on the image's entry point), the systemd unit's {@code Environment=},
 * {@code EnvironmentFile} and {@code ExecStart}. What a test machine must change is changed and
 * nothing else: ports are free ones, paths under {@code /var/lib}, {@code /etc} and {@code /opt}
 * live in a temp directory, BigQuery is a loopback stand-in, secrets are the test's own.
 * <p>
 * Each: it starts, every line it writes parses in its configured log format, its probes answer as
 * declared, a run succeeds, and SIGTERM drains (readiness DOWN, requests still served) and exits 0.
 */
class ShippedConfigurationsIT {

    static final Pattern TEXT_LINE = Pattern.compile(
            "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) \\[[^]]*] \\S+ - .*$");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    WireMockServer bigQuery;

    @BeforeEach
    void standIn() {
        bigQuery = WireMocks.startBigQuery();
        WireMocks.serveAnyTable(bigQuery, 7, 700, 0);
    }

    @AfterEach
    void stopStandIn() {
        bigQuery.stop();
    }

    @Test
    void theContainerImage() throws Exception {
        Map<String, String> env = localise(DeploymentFilesTest.dockerEnv());
        List<String> command = imageEntrypoint();
        // the image's CMD, if any, are the arguments after the entry point; the image has none
        assertThat(Files.readString(DeploymentFilesTest.DOCKERFILE)).doesNotContainPattern("(?m)^CMD ");
        Path archive = trainAsTheImageDoes(env);
        Path database = Path.of(env.get("AGNES_DB_URL").substring("jdbc:duckdb:".length()));
        Files.createDirectories(database.getParent());
        TestService.seedRemoteTables(database, 3);
        // the image's HEALTHCHECK, run as Docker runs it: healthy while the service serves
        String dockerfile = Files.readString(DeploymentFilesTest.DOCKERFILE).replace("\\\n", " ");
        List<String> healthcheck = new ArrayList<>();
        for (JsonNode word : JSON.readTree(DeploymentFilesTest.matchOne(dockerfile, "(?m)^HEALTHCHECK .*? CMD (\\[.*])$"))) {
            healthcheck.add(word.asText());
        }
        runAsShipped(command, env, "json", "/observe/health/live", "/observe/health/ready", 3, managementPort -> {
            ProcessBuilder check = new ProcessBuilder(healthcheck).redirectErrorStream(true);
            check.environment().put("MANAGEMENT_PORT", Integer.toString(managementPort));
            Process p = check.start();
            assertThat(p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes())).isZero();
            // the JVM started on the image's class-data sharing archive: it is mapped into the process
            assertThat(Files.readString(Path.of("/proc/" + serving.pid() + "/maps"))).contains(archive.toString());
        });
    }

    /**
     * The image's RUN line that archives the classes a start loads, run as the image build runs
     * it (its /tmp, its ports and its paths made this machine's): it stops by itself and leaves
     * the archive the entry point starts on.
     */
    private Path trainAsTheImageDoes(Map<String, String> imageEnv) throws Exception {
        String dockerfile = Files.readString(DeploymentFilesTest.DOCKERFILE).replace("\\\n", " ");
        String run = DeploymentFilesTest.matchOne(dockerfile, "(?m)^RUN (cd /tmp && .*ArchiveClassesAtExit.*)$");
        Path tmp = Files.createDirectories(dir.resolve("tmp"));
        // /tmp/... first: the test's own directory is under /tmp as well
        runTraining(localise(run.replace("/tmp/", tmp + "/").replace("cd /tmp ", "cd " + tmp + " ")), imageEnv,
                "cds-training-run.log");
        Path archive = dir.resolve("bq-metadata-cache.jsa");
        assertThat(archive).isNotEmptyFile();
        assertThat(tmp.resolve("data")).as("the demo's files removed").doesNotExist();
        return archive;
    }

    @Test
    void theKubernetesExample() throws Exception {
        JsonNode container = DeploymentFilesTest.kubernetes().get(0).at("/spec/template/spec/containers/0");
        Map<String, String> env = localise(DeploymentFilesTest.kubernetesEnv());
        // the example's database is the platform's PostgreSQL: a throwaway one here
        Postgres pg = Postgres.shared();
        String database = pg.createDatabase();
        try (Connection c = pg.connect(database); Statement s = c.createStatement()) {
            PlatformTables.create(c, true);
            s.execute("INSERT INTO table_registry (id, name, source_type, query_mode, bucket, source_table)"
                    + " SELECT 't' || i, 't' || i, 'bigquery', 'remote', 'ds', 't' || i FROM generate_series(0, 3) i");
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        env.put("DATABASE_URL", pg.platformUrl(database));
        env.putAll(localise(DeploymentFilesTest.dockerEnv()).entrySet().stream()
                .filter(e -> !env.containsKey(e.getKey()))
                .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
        List<String> command = imageEntrypoint();
        for (JsonNode arg : container.path("args")) {
            command.add(arg.asText());
        }
        // the probes as declared: their paths on the port they name
        assertThat(container.at("/startupProbe/httpGet/port").asText()).isEqualTo("management");
        assertThat(container.at("/livenessProbe/httpGet/port").asText()).isEqualTo("management");
        assertThat(container.at("/readinessProbe/httpGet/port").asText()).isEqualTo("management");
        String startup = container.at("/startupProbe/httpGet/path").asText();
        runAsShipped(command, env, env.get("LOG_FORMAT"), container.at("/livenessProbe/httpGet/path").asText(),
                container.at("/readinessProbe/httpGet/path").asText(), 4,
                managementPort -> assertThat(new ApiClient(managementPort).get(startup, null).status()).isEqualTo(200));
    }

    @Test
    void theSystemdUnit() throws Exception {
        String unit = Files.readString(DeploymentFilesTest.UNIT);
        Map<String, String> env = new LinkedHashMap<>();
        var environment = Pattern.compile("(?m)^Environment=\"([A-Z_]+)=(.*)\"$").matcher(unit);
        while (environment.find()) {
            env.put(environment.group(1), environment.group(2));
        }
        // EnvironmentFile= comes after Environment=: its values win, as systemd applies them
        assertThat(unit).contains("EnvironmentFile=/etc/bq-metadata-cache/env");
        env.putAll(DeploymentFilesTest.envFile(false));
        env = localise(env);
        String execStart = DeploymentFilesTest.matchOne(unit, "(?m)^ExecStart=(.*)$");
        List<String> command = new ArrayList<>();
        for (String word : execStart.split("\\s+")) {
            if (word.equals("$JAVA_OPTS")) {
                // unbraced: split into words, as systemd does
                command.addAll(Arrays.asList(env.get("JAVA_OPTS").split("\\s+")));
            } else {
                command.add(localise(word));
            }
        }
        Path database = Path.of(env.get("AGNES_DB_URL").substring("jdbc:duckdb:".length()));
        Files.createDirectories(database.getParent());
        TestService.seedRemoteTables(database, 2);

        // ExecStartPre, twice: the first start trains an archive, the next one finds it valid and keeps it
        Path archive = Path.of(localise("/var/cache/bq-metadata-cache/bq-metadata-cache.jsa"));
        assertThat(command).contains("-XX:SharedArchiveFile=" + archive);
        runStartPreAsSystemd(unit, env);
        assertThat(archive).as(readIfExists(archive.resolveSibling("cds-training.log"))).isNotEmptyFile();
        assertThat(archive.resolveSibling("data")).as("the demo's files removed").doesNotExist();
        java.nio.file.attribute.FileTime made = Files.getLastModifiedTime(archive);
        long started = System.nanoTime();
        runStartPreAsSystemd(unit, env);
        assertThat(Files.getLastModifiedTime(archive)).as("a valid archive is kept").isEqualTo(made);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));

        String format = env.getOrDefault("LOG_FORMAT", "text");
        runAsShipped(command, env, format, "/observe/health/live", "/observe/health/ready", 2, managementPort ->
                // the JVM started on the archive its host made: it is mapped into the process
                assertThat(Files.readString(Path.of("/proc/" + serving.pid() + "/maps"))).contains(archive.toString()));
    }

    /**
     * The unit's ExecStartPre as systemd runs it: {@code $$} is a literal {@code $} for the shell, the
     * cache directory exists (CacheDirectory=), the unit's environment; its ports made free ones here.
     */
    private void runStartPreAsSystemd(String unit, Map<String, String> env) throws Exception {
        String line = DeploymentFilesTest.matchOne(unit, "(?m)^ExecStartPre=-/bin/sh -c '(.*)'$");
        assertThat(unit).contains("CacheDirectory=bq-metadata-cache");
        Files.createDirectories(Path.of(localise("/var/cache/bq-metadata-cache")));
        runTraining(localise(line.replace("$$", "$")), env, "exec-start-pre.log");
    }

    /**
     * A shipped file's class-data sharing training, run here by the shell as its builder or systemd
     * runs it: its fixed ports (18080, 19876) made free ones, {@code java} on the PATH; it must end
     * by itself within 120 s and exit 0.
     */
    private void runTraining(String script, Map<String, String> env, String logName) throws Exception {
        String local = script.replace("MANAGEMENT_PORT=19876", "MANAGEMENT_PORT=" + FreePorts.next())
                .replace("PORT=18080", "PORT=" + FreePorts.next());
        Path log = dir.resolve(logName);
        ProcessBuilder training = new ProcessBuilder("/bin/sh", "-c", local).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        training.environment().putAll(env);
        training.environment().put("PATH", Path.of(System.getProperty("java.home"), "bin") + ":"
                + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        Process p = training.start();
        assertThat(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)).as(logName + ": ends by itself").isTrue();
        assertThat(p.exitValue()).as(Files.readString(log)).isZero();
    }

    private static String readIfExists(Path file) throws java.io.IOException {
        return Files.exists(file) ? Files.readString(file) : "(no " + file + ")";
    }

    /** The process runAsShipped started, for what a check wants of it (its memory maps). */
    private ChildService serving;

    /** What a configuration declares beyond the probes, checked while the service serves. */
    @FunctionalInterface
    interface WhileServing {
        void check(int managementPort) throws Exception;
    }

    private void runAsShipped(List<String> command, Map<String, String> env, String logFormat, String liveness,
                              String readiness, int tables, WhileServing whileServing) throws Exception {
        int port = FreePorts.next();
        int management = FreePorts.next();
        env.put("PORT", Integer.toString(port));
        env.put("MANAGEMENT_PORT", Integer.toString(management));
        env.put("BIGQUERY_API_URL", bigQuery.baseUrl());
        env.put("BIGQUERY_PROJECT", "test-project");
        env.put("REPLICA_ID", "shipped-0");
        Path tokens = Path.of(env.get("AGNES_TOKENS_FILE"));
        Files.createDirectories(tokens.getParent());
        String admin = TokenIssuer.issue(tokens, "ops@example.com", Role.ADMIN, null);
        Path workDir = Files.createDirectories(dir.resolve("var/lib/bq-metadata-cache"));
        int drain = Integer.parseInt(env.getOrDefault("SHUTDOWN_DRAIN_SECONDS", "5"));

        String output;
        try (ChildService child = ChildService.startCommand(command, workDir, env, dir.resolve("service.log"))) {
            serving = child;
            ApiClient api = new ApiClient(port);
            ApiClient probes = new ApiClient(management);
            // from the first moment the port answers until readiness: a JSON 503 with Retry-After
            // (starting) or the real answer, never the 404 of a router whose routes are not in yet
            List<ApiClient.Answer> early = new java.util.concurrent.CopyOnWriteArrayList<>();
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(50)).until(() -> {
                try {
                    early.add(api.get("/api/v2/metadata-cache/status", null));
                    return probes.get(readiness, null).status() == 200;
                } catch (Exception notListeningYet) {
                    return false;
                }
            });
            assertThat(early).isNotEmpty().allSatisfy(a -> {
                assertThat(a.status()).as(a.body()).isIn(503, 401);
                assertThat(a.json().has("detail")).isTrue();
                if (a.status() == 503) {
                    assertThat(a.header("Retry-After")).isNotNull();
                }
            });
            assertThat(probes.get(liveness, null).status()).isEqualTo(200);
            whileServing.check(management);
            ApiClient.Answer run = api.post("/api/admin/run-bq-metadata-refresh", admin);
            assertThat(run.status()).as(run.body()).isEqualTo(200);
            assertThat(run.json().get("total").asInt()).isEqualTo(tables);
            assertThat(run.json().get("succeeded").asInt()).isEqualTo(tables);

            child.signal("TERM");
            // readiness goes DOWN first, while requests are still served
            await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(50))
                    .until(() -> probes.get(readiness, null).status() == 503);
            if (drain > 1) {
                assertThat(api.get("/api/v2/metadata-cache/status", admin).status()).isEqualTo(200);
            }
            assertThat(child.awaitExit(Duration.ofSeconds(drain + 30))).isZero();
            output = child.output();
        }
        List<String> lines = output.lines().filter(l -> !l.isBlank()).toList();
        assertThat(lines).hasSizeGreaterThan(10);
        for (String line : lines) {
            if (logFormat.equals("json")) {
                JsonNode node = JSON.readTree(line);
                assertThat(node.isObject()).as(line).isTrue();
                assertThat(node.has("time") && node.has("severity") && node.has("message") && node.has("service"))
                        .as(line).isTrue();
            } else {
                assertThat(line).matches(TEXT_LINE);
            }
        }
        assertThat(output).contains("bq metadata refresh: ").doesNotContain(admin);
    }

    /** The image's ENTRYPOINT, in exec form, with this machine's paths. */
    private List<String> imageEntrypoint() throws Exception {
        String entrypoint = DeploymentFilesTest.matchOne(Files.readString(DeploymentFilesTest.DOCKERFILE),
                "(?m)^ENTRYPOINT (\\[.*])$");
        List<String> command = new ArrayList<>();
        for (JsonNode word : JSON.readTree(entrypoint)) {
            command.add(localise(word.asText()));
        }
        return command;
    }

    /** The paths a machine of the shipped kind has, in this test's directory. */
    private Map<String, String> localise(Map<String, String> env) {
        Map<String, String> out = new LinkedHashMap<>();
        env.forEach((k, v) -> out.put(k, localise(v)));
        return out;
    }

    private String localise(String value) {
        return value.replace("/opt/bq-metadata-cache/bq-metadata-cache.jsa", dir.resolve("bq-metadata-cache.jsa").toString())
                .replace("/opt/bq-metadata-cache/bq-metadata-cache.jar", ChildService.jar().toString())
                .replace("/usr/bin/java", Path.of(System.getProperty("java.home"), "bin", "java").toString())
                .replace("/var/lib/bq-metadata-cache", dir.resolve("var/lib/bq-metadata-cache").toString())
                .replace("/var/cache/bq-metadata-cache", dir.resolve("var/cache/bq-metadata-cache").toString())
                .replace("/etc/bq-metadata-cache", dir.resolve("etc/bq-metadata-cache").toString());
    }
}
