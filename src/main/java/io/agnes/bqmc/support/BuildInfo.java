package io.agnes.bqmc.support;

/** What the jar's manifest says of the build. */
public final class BuildInfo {

    private BuildInfo() {
    }

    /** The project's version: the jar's manifest, else the build's filtered resource; {@code development} without either. */
    public static String version() {
        String v = BuildInfo.class.getPackage().getImplementationVersion();
        if (v != null) {
            return v;
        }
        try (java.io.InputStream in = BuildInfo.class.getResourceAsStream("/bqmc-version.properties")) {
            java.util.Properties p = new java.util.Properties();
            if (in != null) {
                p.load(in);
            }
            String filtered = p.getProperty("version");
            return filtered == null || filtered.startsWith("$") ? "development" : filtered;
        } catch (java.io.IOException e) {
            return "development";
        }
    }
}
