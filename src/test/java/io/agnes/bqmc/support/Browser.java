package io.agnes.bqmc.support;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * A real headless Chromium (Debian's {@code chromium} and {@code chromium-driver}, which
 * {@code .ci/run} installs when missing) driven over WebDriver; and axe-core, the accessibility
 * engine, from the npm registry. Without Chromium the test that needs it is skipped, unless
 * {@code BQMC_REQUIRE_BROWSER=1} (set by {@code .ci/run}) makes that a failure.
 */
public final class Browser {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

    /** axe-core as published on the npm registry, pinned by the registry's own integrity hash. */
    private static final String AXE_URL = "https://registry.npmjs.org/axe-core/-/axe-core-4.14.1.tgz";
    private static final String AXE_SHA512 = "FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==";

    private Browser() {
    }

    public static ChromeDriver start(int width, int height) {
        if (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(CHROMEDRIVER)) {
            String why = "Chromium is not installed (Debian's chromium and chromium-driver)";
            if ("1".equals(System.getenv("BQMC_REQUIRE_BROWSER"))) {
                throw new IllegalStateException(why + ", and BQMC_REQUIRE_BROWSER=1");
            }
            Assumptions.abort(why + ": run .ci/run, which installs them, to include this test");
        }
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile())
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                        "--window-size=" + width + "," + height, "--lang=en-US");
        options.setCapability("goog:loggingPrefs", Map.of("browser", "ALL"));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    /** axe.min.js, fetched once into target/ and checked against the registry's hash. */
    public static String axe() throws IOException, InterruptedException {
        Path cached = Path.of("target", "axe-core-4.14.1.min.js");
        if (Files.exists(cached)) {
            return Files.readString(cached);
        }
        HttpResponse<byte[]> r = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build()
                .send(HttpRequest.newBuilder(URI.create(AXE_URL)).build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
            throw new IOException("npm registry answered " + r.statusCode() + " for " + AXE_URL);
        }
        byte[] tgz = r.body();
        String sha512;
        try {
            sha512 = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-512").digest(tgz));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        if (!sha512.equals(AXE_SHA512)) {
            throw new IOException("axe-core from the npm registry is not the one pinned here (sha512 " + sha512 + ")");
        }
        String script = untar(tgz, "package/axe.min.js");
        Files.createDirectories(cached.getParent());
        Files.writeString(cached, script);
        return script;
    }

    /** One file of a .tgz: tar headers are 512 bytes, the name at 0, the size (octal) at 124. */
    private static String untar(byte[] tgz, String name) throws IOException {
        try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(tgz))) {
            byte[] header = new byte[512];
            while (in.readNBytes(header, 0, 512) == 512) {
                String entry = new String(header, 0, 100, StandardCharsets.US_ASCII).replace("\0", "");
                if (entry.isEmpty()) {
                    break;
                }
                long size = Long.parseLong(new String(header, 124, 12, StandardCharsets.US_ASCII).replace("\0", "").strip(), 8);
                byte[] body = in.readNBytes((int) size);
                in.skipNBytes((512 - size % 512) % 512);
                if (entry.equals(name)) {
                    return new String(body, StandardCharsets.UTF_8);
                }
            }
        }
        throw new IOException(name + " is not in the axe-core package");
    }
}
