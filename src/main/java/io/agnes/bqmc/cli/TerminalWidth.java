package io.agnes.bqmc.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * How many columns the output may use. Shells keep {@code COLUMNS} to themselves unless it is
 * exported, so the terminal itself is asked ({@code stty size} on {@code /dev/tty}, as picocli's
 * own help does); output to a pipe or a file has no width to fit.
 */
final class TerminalWidth {

    /** No limit: the output goes to a file or a pipe. */
    static final int UNLIMITED = 0;
    /** Below this a table cannot be laid out at all; narrower terminals wrap. */
    private static final int NARROWEST = 40;
    /** A terminal that will not say its size is most likely the classic one. */
    private static final int CLASSIC = 80;

    private TerminalWidth() {
    }

    static int of(Map<String, String> env) {
        // an explicit COLUMNS=100 asks for exactly that
        Integer columns = parse(env.get("COLUMNS"));
        if (columns != null) {
            return Math.max(NARROWEST, columns);
        }
        if (System.console() == null) {
            return UNLIMITED;
        }
        Integer terminal = askTerminal();
        return terminal == null ? CLASSIC : Math.max(NARROWEST, terminal);
    }

    /** {@code stty size} prints "rows columns" for the terminal on its standard input. */
    private static Integer askTerminal() {
        File tty = new File("/dev/tty");
        if (!tty.canRead()) {
            return null;
        }
        try {
            Process stty = new ProcessBuilder("stty", "size").redirectInput(tty)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String answer = new String(stty.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            if (!stty.waitFor(2, TimeUnit.SECONDS) || stty.exitValue() != 0) {
                stty.destroyForcibly();
                return null;
            }
            String[] parts = answer.split("\\s+");
            return parts.length == 2 ? parse(parts[1]) : null;
        } catch (IOException e) {
            return null; // no stty here (a minimal container): the classic width
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
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
