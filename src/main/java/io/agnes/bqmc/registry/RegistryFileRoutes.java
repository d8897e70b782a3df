package io.agnes.bqmc.registry;

import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.camel.builder.RouteBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches {@code AGNES_REGISTRY_FILE} with the file component: read at start, and again
 * whenever its modification time or size changes (noop keeps the file where it is; the
 * idempotent key makes a changed file count as new).
 */
public class RegistryFileRoutes extends RouteBuilder {

    private static final Logger LOG = LoggerFactory.getLogger(RegistryFileRoutes.class);

    /** How often the file is checked for changes. */
    static final long POLL_MS = 1000;

    private final Path registryFile;

    /** @param registryFile {@code AGNES_REGISTRY_FILE}, or null when none is configured */
    public RegistryFileRoutes(Path registryFile) {
        this.registryFile = registryFile;
    }

    @Override
    public void configure() {
        if (registryFile == null) {
            return;
        }
        Path file = registryFile.toAbsolutePath().normalize();
        if (!Files.isRegularFile(file)) {
            LOG.warn("AGNES_REGISTRY_FILE={} does not exist (yet): it is imported as soon as it appears", file);
        }
        fromF("file:%s?fileName=%s&noop=true&idempotentKey=${file:name}-${file:modified}-${file:size}"
                + "&initialDelay=0&delay=%d&readLock=none",
                file.getParent(), file.getFileName(), POLL_MS)
                .routeId("registry-file-import")
                .convertBodyTo(String.class, "UTF-8")
                .bean("registryFileImporter", "importText");
    }
}
