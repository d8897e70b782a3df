package io.agnes.bqmc.registry;

import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.camel.LoggingLevel;
import org.apache.camel.builder.RouteBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches {@code AGNES_REGISTRY_FILE} with the file component: read at start, and again
 * whenever its modification time or size changes (noop keeps the file where it is; the
 * idempotent key makes a changed file count as new). Only a file that has stood still for
 * {@code AGNES_REGISTRY_FILE_STABLE_SECONDS} (5 s) is read: one written in two steps with a pause between had been
 * imported half-written, deleting the rows of its missing half. Write it atomically (a new
 * file renamed over the old) and it is never seen half-written at all.
 */
public class RegistryFileRoutes extends RouteBuilder {

    private static final Logger LOG = LoggerFactory.getLogger(RegistryFileRoutes.class);

    /** The versions of the file already imported, by the route's key. */
    public static final String SEEN = "registryFileSeen";

    /** How often the file is checked for changes. */
    static final long POLL_MS = 1000;

    private final Path registryFile;
    private final long stableMs;

    /**
     * @param registryFile {@code AGNES_REGISTRY_FILE}, or null when none is configured
     * @param stableMs     {@code AGNES_REGISTRY_FILE_STABLE_SECONDS}: how long size and modification time must
     *                     stay the same before the file is read
     */
    public RegistryFileRoutes(Path registryFile, long stableMs) {
        this.registryFile = registryFile;
        this.stableMs = stableMs;
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
                // shared with the import at start (RegistryFileImporter.importAtStart), cleared when the database is new
                + "&idempotentRepository=#" + SEEN
                // "changed": two looks at size and modification time, stableMs apart, must agree
                + "&initialDelay=0&delay=%d&readLock=changed&readLockCheckInterval=%d&readLockMinLength=0"
                + "&readLockTimeout=%d&readLockLoggingLevel=OFF",
                file.getParent(), file.getFileName(), POLL_MS, stableMs, 3 * stableMs + POLL_MS)
                .routeId("registry-file-import")
                // whatever happens to one version of the file, the watcher goes on to the next
                .onException(Throwable.class).handled(true)
                    .log(LoggingLevel.ERROR, LOG, "registry file ${header.CamelFileAbsolutePath} not imported: ${exception}")
                .end()
                // the importer reads the file itself: its kind and size are checked before a byte is read
                .bean("registryFileImporter", "importFile");
    }
}
