package io.agnes.bqmc.refresh;

/** Every single-table refresh slot stayed taken for as long as a caller waits: a 503, try again. */
public class RefreshBusyException extends RuntimeException {

    public RefreshBusyException(long waitedSeconds) {
        super("Too many table refreshes in flight: no slot within " + waitedSeconds + " s; try again", null, false,
                false);
    }
}
