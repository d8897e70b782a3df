package io.agnes.bqmc.cli;

import java.util.Map;
import java.util.function.IntSupplier;

/**
 * How many columns the output may use. Shells keep {@code COLUMNS} to themselves unless it is
 * exported, so the terminal itself is asked, the way picocli sizes its own help; output to a
 * pipe or a file has no width to fit.
 */
final class TerminalWidth {

    /** No limit: the output goes to a file or a pipe. */
    static final int UNLIMITED = 0;
    /** Below this a table cannot be laid out at all; narrower terminals wrap. */
    private static final int NARROWEST = 40;

    private TerminalWidth() {
    }

    /** @param terminal the terminal's own answer (picocli's detection: 80 when it will not say) */
    static int of(Map<String, String> env, IntSupplier terminal) {
        // an explicit COLUMNS=100 asks for exactly that
        Integer columns = parse(env.get("COLUMNS"));
        if (columns != null) {
            return Math.max(NARROWEST, columns);
        }
        if (System.console() == null) {
            return UNLIMITED;
        }
        return Math.max(NARROWEST, terminal.getAsInt());
    }

    private static Integer parse(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            int value = Integer.parseInt(text.strip());
            return value > 0 ? value : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
