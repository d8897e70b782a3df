package io.agnes.bqmc.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.config.EnvironmentVariable;
import io.agnes.bqmc.config.Settings;
import io.agnes.bqmc.config.SettingsLoader;
import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/ against the service's real configuration: every variable the Dockerfile, the
 * Kubernetes example and the systemd env file set is one the service reads, with a value it
 * accepts; their ports are the service's; their probe and scrape paths answer on the running
 * service; one set of JVM options everywhere, valid for this JVM; the unit's sandbox within
 * budget by systemd's own measure.
 */
public class DeploymentFilesTest {

    static final Path DEPLOY = Path.of("deploy");
    static final Path UNIT = DEPLOY.resolve("bq-metadata-cache.service");
    static final Path ENV_FILE = DEPLOY.resolve("bq-metadata-cache.env");
    static final Path DOCKERFILE = DEPLOY.resolve("Dockerfile");
    static final Path KUBERNETES = DEPLOY.resolve("kubernetes/bq-metadata-cache.yaml");
    /** Read by the JVM and the allocators (glibc's, DuckDB's jemalloc), not by the service. */
    static final Set<String> PROCESS_VARIABLES = Set.of("JAVA_OPTS", "MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_",
            "DUCKDB_JE_MALLOC_CONF");
    static final List<String> ALLOCATOR_VARIABLES = List.of("MALLOC_ARENA_MAX", "MALLOC_MMAP_THRESHOLD_",
            "DUCKDB_JE_MALLOC_CONF");
    static final Set<String> SERVICE_VARIABLES = Arrays.stream(EnvironmentVariable.values()).map(Enum::name)
            .collect(Collectors.toSet());

    @TempDir
    Path dir;

    @Test
    void everyVariableSetIsOneTheServiceReadsWithAValueItAccepts() throws Exception {
        Map<String, Map<String, String>> files = new LinkedHashMap<>();
        files.put("systemd env file", envFile(false));
        files.put("systemd env file, commented examples", envFile(true));
        files.put("Dockerfile", dockerEnv());
        files.put("Kubernetes example", kubernetesEnv());
        files.forEach((file, env) -> {
            assertThat(env).as(file).isNotEmpty();
            assertThat(env.keySet()).as(file + ": variables the service does not read")
                    .allMatch(name -> SERVICE_VARIABLES.contains(name) || PROCESS_VARIABLES.contains(name));
            SettingsLoader loader = new SettingsLoader(env, SettingsLoader.classpathDefaults());
            loader.load();
            assertThat(loader.warnings()).as(file + ": values the service rejects").isEmpty();
        });
    }

    @Test
    void oneSetOfJvmOptionsEverywhereThatThisJvmAccepts() throws Exception {
        String unitDefault = matchOne(Files.readString(UNIT), "(?m)^Environment=\"JAVA_OPTS=(.*)\"$");
        assertThat(envFile(false).get("JAVA_OPTS")).isEqualTo(unitDefault);
        assertThat(dockerEnv().get("JAVA_OPTS")).isEqualTo(unitDefault);
        assertThat(kubernetesEnv().get("JAVA_OPTS")).isEqualTo(unitDefault);
        // the unit takes them from its env file: the file is read after Environment= and wins
        assertThat(Files.readString(UNIT)).containsPattern("(?m)^EnvironmentFile=/etc/bq-metadata-cache/env$")
                .containsPattern("(?m)^ExecStart=/usr/bin/java \\$JAVA_OPTS -XX:SharedArchiveFile=\\S+ -jar ");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(unitDefault.split("\\s+")));
        command.add("-version");
        Process java = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(java.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(java.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(java.exitValue()).as(out).isZero();
    }

    /** The allocator settings B9 measured with: the unit sets them, the env file and the image repeat them. */
    @Test
    void oneSetOfAllocatorSettingsEverywhere() throws Exception {
        String unit = Files.readString(UNIT);
        for (String name : ALLOCATOR_VARIABLES) {
            String value = matchOne(unit, "(?m)^Environment=\"" + name + "=(.*)\"$");
            assertThat(value).as(name).isNotBlank();
            assertThat(envFile(false).get(name)).as("env file " + name).isEqualTo(value);
            assertThat(dockerEnv().get(name)).as("Dockerfile " + name).isEqualTo(value);
        }
    }

    @Test
    void theUnitsSandboxIsWithinBudgetBySystemdsOwnMeasure() throws Exception {
        Process analyze = new ProcessBuilder("systemd-analyze", "security", "--offline=true", "--no-pager",
                UNIT.toString()).redirectErrorStream(true).start();
        String out = new String(analyze.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(analyze.waitFor(60, TimeUnit.SECONDS)).isTrue();
        double exposure = Double.parseDouble(matchOne(out, "Overall exposure level for [^:]+: ([0-9.]+)"));
        assertThat(exposure).as(out).isLessThanOrEqualTo(4.0);
    }

    @Test
    void portsProbesAndScrapePathsAreTheRunningServices() throws Exception {
        Settings image = new SettingsLoader(dockerEnv(), SettingsLoader.classpathDefaults()).load();
        String exposed = matchOne(Files.readString(DOCKERFILE), "(?m)^EXPOSE (.+)$");
        assertThat(exposed.split("\\s+")).containsExactlyInAnyOrder(Integer.toString(image.port()),
                Integer.toString(image.managementPort()));

        JsonNode manifest = kubernetes().get(0);
        JsonNode pod = manifest.at("/spec/template");
        JsonNode container = pod.at("/spec/containers/0");
        Settings kube = new SettingsLoader(kubernetesEnv(), SettingsLoader.classpathDefaults()).load();
        Map<String, Integer> ports = new LinkedHashMap<>();
        container.get("ports").forEach(p -> ports.put(p.get("name").asText(), p.get("containerPort").asInt()));
        assertThat(ports).containsExactlyInAnyOrderEntriesOf(Map.of("http", kube.port(), "management", kube.managementPort()));
        assertThat(kubernetes().get(1).at("/spec/ports/0/targetPort").asText()).isEqualTo("http");
        assertThat(pod.at("/metadata/annotations/prometheus.io~1port").asText()).isEqualTo(Integer.toString(kube.managementPort()));

        // the paths, asked of the real service on the ports they name
        WireMockServer bigQuery = WireMocks.startBigQuery();
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        Map<String, Integer> actual = Map.of("http", Integer.parseInt(env.get("PORT")), "management",
                Integer.parseInt(env.get("MANAGEMENT_PORT")));
        try (TestService service = TestService.start(env)) {
            for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
                JsonNode get = container.at("/" + probe + "/httpGet");
                assertThat(get.isMissingNode()).as(probe).isFalse();
                ApiClient.Answer answer = new ApiClient(actual.get(get.get("port").asText())).get(get.get("path").asText(), null);
                assertThat(answer.status()).as(probe + " " + get).isEqualTo(200);
            }
            ApiClient.Answer scrape = new ApiClient(actual.get("management"))
                    .get(pod.at("/metadata/annotations/prometheus.io~1path").asText(), null);
            assertThat(scrape.status()).isEqualTo(200);
            assertThat(scrape.body()).contains("bqmc_database_up 1.0");
        } finally {
            bigQuery.stop();
        }
    }

    /** docs/OPERATIONS.md lists every setting: ours, and Camel's with the variable that overrides it. */
    @Test
    void theOperationsGuideNamesEverySetting() throws Exception {
        String guide = Files.readString(Path.of("docs/OPERATIONS.md"));
        String readme = Files.readString(Path.of("README.md"));
        for (EnvironmentVariable variable : EnvironmentVariable.values()) {
            assertThat(guide).as("docs/OPERATIONS.md").contains("`" + variable.name() + "`");
            if (variable != EnvironmentVariable.HOSTNAME) {
                assertThat(readme).as("README").contains("`" + variable.name() + "`");
            }
        }
        Properties properties = SettingsLoader.classpathDefaults();
        for (String key : properties.stringPropertyNames()) {
            if (!key.startsWith("camel.")) {
                continue;
            }
            assertThat(guide).as("docs/OPERATIONS.md").contains("`" + key + "`");
            boolean ours = properties.getProperty(key).contains("{{app.") || key.contains("[");
            if (!ours) {
                // Camel Main's form: upper case, dots to underscores, dashes dropped
                String variable = key.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace("-", "");
                assertThat(guide).as("docs/OPERATIONS.md, " + key).contains("`" + variable + "`");
            }
        }
    }

    /** NAME=value lines; with {@code commented}, the "# NAME=value" examples instead. */
    public static Map<String, String> envFile(boolean commented) throws Exception {
        Pattern line = Pattern.compile(commented ? "^#\\s*([A-Z][A-Z0-9_]*)=(\\S+).*$" : "^([A-Z][A-Z0-9_]*)=(.*)$");
        Map<String, String> env = new LinkedHashMap<>();
        for (String l : Files.readAllLines(ENV_FILE)) {
            Matcher m = line.matcher(l);
            if (m.matches()) {
                env.put(m.group(1), m.group(2));
            }
        }
        return env;
    }

    /** No image can be built here: what the text itself must promise. */
    @Test
    void theImageIsPinnedHealthCheckedAndUnprivileged() throws Exception {
        String dockerfile = Files.readString(DOCKERFILE);
        List<String> from = Pattern.compile("(?m)^FROM (\\S+)").matcher(dockerfile).results().map(m -> m.group(1)).toList();
        // two stages, or one base with a full version in its tag (never a floating "17-jre" or "latest")
        assertThat(from.size() >= 2 || from.stream().allMatch(f -> f.matches("[^:]+:\\d+\\.\\d+\\.\\d+[^:]*")))
                .as("FROM %s", from).isTrue();
        assertThat(dockerfile).containsPattern("(?m)^HEALTHCHECK .*")
                .containsPattern("(?m)^USER 10001:10001$").doesNotContainPattern("(?m)^USER (root|0)\\b");
    }

    /** The Dockerfile's ENV instruction (one, continued over lines). */
    static Map<String, String> dockerEnv() throws Exception {
        String text = Files.readString(DOCKERFILE).replace("\\\n", " ");
        String instruction = matchOne(text, "(?m)^ENV (.+)$");
        Map<String, String> env = new LinkedHashMap<>();
        Matcher m = Pattern.compile("([A-Z][A-Z0-9_]*)=(\"[^\"]*\"|\\S+)").matcher(instruction);
        while (m.find()) {
            env.put(m.group(1), m.group(2).replaceAll("^\"|\"$", ""));
        }
        return env;
    }

    /** The container's literal env values; those from a Secret or the pod get a stand-in of their kind. */
    static Map<String, String> kubernetesEnv() throws Exception {
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode e : kubernetes().get(0).at("/spec/template/spec/containers/0/env")) {
            String name = e.get("name").asText();
            if (e.has("value")) {
                env.put(name, e.get("value").asText());
            } else {
                env.put(name, switch (name) {
                    case "DATABASE_URL" -> "postgresql://bqmc:secret@postgres:5432/agnes";
                    case "SCHEDULER_API_TOKEN" -> "x".repeat(64);
                    default -> "pod-0";
                });
            }
        }
        return env;
    }

    static List<JsonNode> kubernetes() throws Exception {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        return yaml.readValues(new YAMLFactory().createParser(KUBERNETES.toFile()), JsonNode.class).readAll();
    }

    static String matchOne(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("'" + regex + "' in:\n" + text).isTrue();
        return m.group(1);
    }
}
