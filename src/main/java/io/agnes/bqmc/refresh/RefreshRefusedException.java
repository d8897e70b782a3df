package io.agnes.bqmc.refresh;

/** A run was asked for and not started; {@link #reason()} says why, for the log line of a skipped tick. */
public abstract class RefreshRefusedException extends RuntimeException {

    protected RefreshRefusedException(String message, Throwable cause) {
        super(message, cause, false, false);
    }

    /** Why, as the skipped tick's log line continues: {@code run_id=0e0f1a40 is in flight}. */
    public abstract String reason();
}
