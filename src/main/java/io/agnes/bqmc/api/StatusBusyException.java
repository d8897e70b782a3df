package io.agnes.bqmc.api;

/** Every status stream is taken: the caller gets 503 with {@code Retry-After} (StatusReport). */
public class StatusBusyException extends RuntimeException {

    public StatusBusyException(String message) {
        super(message);
    }
}
