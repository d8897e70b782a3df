package io.agnes.bqmc.support;

import java.util.regex.Pattern;

/** Registry ids and error texts come from outside: keep them to one harmless line. */
public final class LogText {

    private static final int MAX = 300;

    /**
     * Control characters (C0, DEL and C1, whose 0x9b starts a terminal escape on its own),
     * format characters (bidi overrides reorder what a reader sees) and line separators.
     */
    private static final Pattern UNPRINTABLE = Pattern.compile("[\\p{Cc}\\p{Cf}\\u2028\\u2029]");

    private LogText() {
    }

    /** One line for a log: printable and at most 300 characters. */
    public static String safe(String text) {
        if (text == null) {
            return "null";
        }
        String oneLine = printable(text);
        return oneLine.length() > MAX ? oneLine.substring(0, MAX) + "..." : oneLine;
    }

    /** The text with every character a terminal or log viewer would act on replaced by '?'. */
    public static String printable(String text) {
        return UNPRINTABLE.matcher(text).replaceAll("?");
    }
}
