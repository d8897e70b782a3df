package io.agnes.bqmc.refresh;

import com.fasterxml.jackson.annotation.JsonValue;

/** The three outcomes of refreshing one table (contract section 5). */
public enum TableStatus {
    OK("ok"), NO_DATA("no_data"), ERROR("error");

    private final String wire;

    TableStatus(String wire) {
        this.wire = wire;
    }

    @JsonValue
    public String wire() {
        return wire;
    }

    @Override
    public String toString() {
        return wire;
    }
}
