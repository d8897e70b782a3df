package io.agnes.bqmc.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

/**
 * bin/bq-metadata-cache as a user runs it, on the jar and the class-data sharing archive the build
 * made beside it: a command's classes come from the archive (not read from the jar one by one),
 * and a command ends as the jar's own would.
 */
class LauncherIT {

    @Test
    void theCommandsRunOnTheBuildsClassDataSharingArchive() throws Exception {
        assertThat(Path.of("target/bq-metadata-cache-cli.jsa")).as("made by the build").exists();
        ProcessBuilder pb = new ProcessBuilder("bin/bq-metadata-cache", "status", "--url", "http://127.0.0.1:9")
                .redirectErrorStream(true);
        pb.environment().put("AGNES_TOKEN", "t");
        pb.environment().put("JAVA_OPTS", "-Xlog:class+load=info:stdout");
        pb.environment().put("PATH", Path.of(System.getProperty("java.home"), "bin") + ":"
                + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isEqualTo(3);
        assertThat(out).contains("status: cannot reach http://127.0.0.1:9");
        assertThat(out.lines().filter(l -> l.contains("com.fasterxml.jackson.databind.ObjectMapper ")))
                .singleElement().asString().contains("source: shared objects file (top)");
        assertThat(out.lines().filter(l -> l.contains(" io.agnes.bqmc.cli.StatusCommand ")))
                .singleElement().asString().contains("shared objects file");
        assertThat(Files.isExecutable(Path.of("bin/bq-metadata-cache"))).isTrue();
    }
}
