package io.agnes.bqmc.refresh;

/** The run lock could not be asked for: the database is unreachable. */
public class RefreshUnavailableException extends RefreshRefusedException {

    public RefreshUnavailableException(Throwable cause) {
        super("the database is unreachable: " + cause.getMessage(), cause);
    }

    @Override
    public String reason() {
        return getMessage();
    }
}
