package io.agnes.bqmc.support;

/** Registry ids and error texts come from outside: keep them to one log line. */
public final class LogText {

    private static final int MAX = 300;

    private LogText() {
    }

    public static String safe(String text) {
        if (text == null) {
            return "null";
        }
        String oneLine = text.replaceAll("\\p{Cntrl}", "?");
        return oneLine.length() > MAX ? oneLine.substring(0, MAX) + "..." : oneLine;
    }
}
