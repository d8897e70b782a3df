package io.agnes.bqmc.registry;

/** The asked-for id is not in {@code table_registry}. */
public class UnknownTableException extends RuntimeException {

    private final String tableId;

    public UnknownTableException(String tableId) {
        super("Unknown table_id: " + tableId);
        this.tableId = tableId;
    }

    public String tableId() {
        return tableId;
    }
}
