package io.agnes.bqmc.api;

/** A 400 whose message is the {@code detail} the client sees. */
public class BadRequestException extends RuntimeException {

    public BadRequestException(String detail) {
        super(detail, null, false, false);
    }
}
