package io.agnes.bqmc.registry;

/** One entry of the {@code AGNES_REGISTRY_FILE} list, with the line it starts on. */
public record RegistryFileRow(
        int line, String id, String name, String sourceType, String bucket, String sourceTable, String queryMode,
        String bqFqn) {
}
