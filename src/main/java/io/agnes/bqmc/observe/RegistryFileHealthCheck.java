package io.agnes.bqmc.observe;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import io.agnes.bqmc.registry.RegistryFileImporter;
import org.apache.camel.health.HealthCheckResultBuilder;

/**
 * DOWN while the newest version of {@code AGNES_REGISTRY_FILE} could not be imported, with the
 * reason (the file route itself stayed UP through every such failure, so nothing showed it).
 * Neither readiness nor liveness: the registry stays as the last good file made it, and the
 * service serves and refreshes it meanwhile.
 */
public class RegistryFileHealthCheck extends AlertHealthCheck {

    private final RegistryFileImporter importer;
    private final Path file;

    /** @param file {@code AGNES_REGISTRY_FILE}, or null when none is configured */
    public RegistryFileHealthCheck(RegistryFileImporter importer, Path file) {
        super("registry-file");
        this.importer = importer;
        this.file = file;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        // a pipe or a device is never handed to the importer at all: said here
        if (file != null && Files.exists(file) && !Files.isRegularFile(file)) {
            builder.message("AGNES_REGISTRY_FILE " + file + " is not a regular file (a directory, a device or a pipe,"
                    + " or a link to one); only a regular file is read").down();
            return;
        }
        String problem = importer.problem();
        if (problem == null) {
            builder.up();
        } else {
            builder.message("the registry file's newest version " + problem).down();
        }
    }
}
