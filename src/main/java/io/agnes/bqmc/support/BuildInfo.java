package io.agnes.bqmc.support;

/** What the jar's manifest says of the build. */
public final class BuildInfo {

    private BuildInfo() {
    }

    /** The version from the jar's manifest; {@code development} when run from classes (tests, an IDE). */
    public static String version() {
        String v = BuildInfo.class.getPackage().getImplementationVersion();
        return v == null ? "development" : v;
    }
}
