package io.agnes.bqmc.registry;

/** The registry file cannot be imported as a whole; {@link #line()} is 1-based, 0 for the file as a whole. */
public class RegistryFileException extends Exception {

    private final int line;

    public RegistryFileException(int line, String message) {
        super("line " + line + ": " + message);
        this.line = line;
    }

    /** About the file as a whole (its kind, its size), not one of its lines. */
    public RegistryFileException(String message) {
        super(message);
        this.line = 0;
    }

    public int line() {
        return line;
    }
}
