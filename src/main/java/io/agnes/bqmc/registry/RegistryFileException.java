package io.agnes.bqmc.registry;

/** The registry file cannot be imported as a whole; {@link #line()} is 1-based. */
public class RegistryFileException extends Exception {

    private final int line;

    public RegistryFileException(int line, String message) {
        super("line " + line + ": " + message);
        this.line = line;
    }

    public int line() {
        return line;
    }
}
