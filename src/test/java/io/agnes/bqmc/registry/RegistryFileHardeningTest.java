package io.agnes.bqmc.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.agnes.bqmc.support.ApiClient;
import io.agnes.bqmc.support.LogCapture;
import io.agnes.bqmc.support.TestService;
import io.agnes.bqmc.support.WireMocks;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry file can no longer destroy last good numbers nor stop its watcher: only a file
 * that stood still is imported (a file written in two steps is not imported half-written), a
 * 100,000-row file is imported in seconds, and whatever else the path holds (a FIFO, a link to
 * {@code /dev/zero}, a file over the size cap, a 100,000-deep document, a byte that is not
 * UTF-8) is one ERROR that names the problem, changes nothing, shows in health, and leaves the
 * watcher reading the next good version.
 */
class RegistryFileHardeningTest {

    @TempDir
    Path dir;

    Path file;
    WireMockServer bigQuery;
    TestService service;
    LogCapture logs;
    ApiClient management;

    TestService start(String stableSeconds, String yaml) throws Exception {
        bigQuery = WireMocks.startBigQuery();
        file = dir.resolve("registry.yaml");
        Files.writeString(file, yaml);
        logs = LogCapture.open();
        Map<String, String> env = TestService.environment(dir, bigQuery.baseUrl());
        env.put("AGNES_REGISTRY_FILE", file.toString());
        env.put("AGNES_REGISTRY_FILE_STABLE_SECONDS", stableSeconds);
        service = TestService.start(env);
        management = new ApiClient(Integer.parseInt(env.get("MANAGEMENT_PORT")));
        return service;
    }

    @AfterEach
    void stop() throws Exception {
        if (service != null) {
            service.close();
        }
        logs.close();
        bigQuery.stop();
    }

    static String rows(int from, int to) {
        StringBuilder s = new StringBuilder();
        for (int i = from; i < to; i++) {
            s.append("- id: t").append(i).append("\n  source_type: bigquery\n  query_mode: remote\n  bucket: ds\n")
                    .append("  source_table: t").append(i).append('\n');
        }
        return s.toString();
    }

    long registered() throws Exception {
        return ((Number) service.query("SELECT count(*) AS n FROM table_registry").get(0).get("n")).longValue();
    }

    void awaitRegistered(long n) {
        Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> registered() == n);
    }

    @Test
    void aFileWrittenInTwoStepsIsImportedOnlyWhole() throws Exception {
        start("2", rows(0, 200));
        awaitRegistered(200);
        service.update("INSERT INTO bq_metadata_cache (table_id, \"rows\") SELECT id, 7 FROM table_registry");

        // a careless writer: half the new version, a pause shorter than the 2 s the file must stand still, the rest
        String next = rows(0, 200) + rows(200, 210);
        int half = next.length() / 2;
        Files.writeString(file, next.substring(0, half));
        Thread.sleep(1000);
        Files.writeString(file, next.substring(half), java.nio.file.StandardOpenOption.APPEND);
        awaitRegistered(210);
        assertThat(logs.linesContaining("imported: upserted=")).as("the half-written file was never imported")
                .hasSize(2);
        assertThat(((Number) service.query("SELECT count(*) AS n FROM bq_metadata_cache").get(0).get("n")).longValue())
                .as("no cache row lost to the half").isEqualTo(200);
    }

    @Test
    void aHundredThousandRowsInSeconds() throws Exception {
        start("1", "[]\n");
        Path next = dir.resolve("registry.yaml.new");
        Files.writeString(next, rows(0, 100_000));
        long started = System.nanoTime();
        // the documented way to write it: a new file moved over the old one
        Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        awaitRegistered(100_000);
        long seconds = Duration.ofNanos(System.nanoTime() - started).toSeconds();
        System.out.println("registry file: 100,000 rows imported in " + seconds + " s");
        assertThat(seconds).isLessThan(30);
    }

    @Test
    void nothingTheFileHoldsStopsTheWatcherAndHealthSaysWhy() throws Exception {
        start("1", rows(0, 3));
        awaitRegistered(3);
        assertThat(health()).isEqualTo(200);

        List<Runnable> attacks = List.of(
                () -> replace(file, bytes("- id: a\n  name: M" + (char) 0xFC + "ller\n", StandardCharsets.ISO_8859_1)),
                () -> replace(file, bytes("[".repeat(100_000), StandardCharsets.US_ASCII)),
                () -> sparse(file, 70L * 1024 * 1024),
                () -> link(file, Path.of("/dev/zero")),
                () -> fifo(file));
        List<String> expected = List.of("line 2: not UTF-8 text: byte 0xFC at column 10",
                "line 1: expected a mapping", "the file is 70 MB, over the limit of 64 MB; not read",
                "not a regular file", "not a regular file");
        for (int i = 0; i < attacks.size(); i++) {
            attacks.get(i).run();
            String want = expected.get(i);
            // the health check names the problem (for a pipe or a device, before any read is tried)
            Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> management.get("/observe/health?data=true", null).body().contains(want));
            assertThat(health()).isEqualTo(503);
            assertThat(registered()).as("nothing changed").isEqualTo(3);
        }
        assertThat(logs.linesContaining("not UTF-8 text: byte 0xFC at column 10")).hasSize(1)
                .allSatisfy(l -> assertThat(l).startsWith("ERROR").doesNotContain("ller"));
        assertThat(logs.linesContaining("over the limit of 64 MB")).hasSize(1);
        // and the next good version is imported as if nothing happened
        Files.deleteIfExists(file);
        Files.writeString(file, rows(0, 5));
        awaitRegistered(5);
        Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> health() == 200);
    }

    int health() {
        return management.get("/observe/health", null).status();
    }

    static byte[] bytes(String text, java.nio.charset.Charset charset) {
        return text.getBytes(charset);
    }

    static void replace(Path file, byte[] content) {
        try {
            Path next = file.resolveSibling(file.getFileName() + ".next");
            Files.write(next, content);
            Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A file of that size that takes no disk. */
    static void sparse(Path file, long size) {
        try {
            Path next = file.resolveSibling(file.getFileName() + ".next");
            try (RandomAccessFile f = new RandomAccessFile(next.toFile(), "rw")) {
                f.setLength(size);
            }
            Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static void link(Path file, Path target) {
        try {
            Files.deleteIfExists(file);
            Files.createSymbolicLink(file, target);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static void fifo(Path file) {
        try {
            Files.deleteIfExists(file);
            Process p = new ProcessBuilder("mkfifo", file.toString()).start();
            assertThat(p.waitFor()).isZero();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
