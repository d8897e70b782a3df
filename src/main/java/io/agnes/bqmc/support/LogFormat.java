package io.agnes.bqmc.support;

import java.net.InetAddress;
import java.util.Map;

/**
 * Chooses how log lines look, before the first one is written: {@code LOG_FORMAT=text} (the
 * default, log4j2.properties) or {@code json} (log4j2-json.properties: one object per line with
 * the platform's field names). Names the replica for the JSON lines' {@code replica} field.
 */
public final class LogFormat {

    static final String CONFIGURATION = "log4j2.configurationFile";

    private LogFormat() {
    }

    /**
     * Call first thing in {@code main}, before any logger exists.
     *
     * @return null, or the WARN to log once logging is up: an invalid value is never fatal
     */
    public static String configure(Map<String, String> env) {
        System.setProperty("bqmc.replica", replica(env));
        System.setProperty("bqmc.env", deploymentEnv(env));
        String format = env.get("LOG_FORMAT");
        if (format == null || format.isBlank() || format.strip().equalsIgnoreCase("text")) {
            return null;
        }
        if (format.strip().equalsIgnoreCase("json")) {
            if (System.getProperty(CONFIGURATION) == null) {
                System.setProperty(CONFIGURATION, "log4j2-json.properties");
            }
            return null;
        }
        return "Ignoring invalid LOG_FORMAT='" + LogText.safe(format) + "': must be text or json; using text";
    }

    /** The JSON lines' {@code env}: {@code AGNES_DEPLOYMENT_ENV}, else {@code RELEASE_CHANNEL}, else {@code unknown}. */
    public static String deploymentEnv(Map<String, String> env) {
        for (String variable : new String[] {"AGNES_DEPLOYMENT_ENV", "RELEASE_CHANNEL"}) {
            String value = env.get(variable);
            if (value != null && !value.isBlank()) {
                return LogText.safe(value.strip());
            }
        }
        return "unknown";
    }

    /** {@code REPLICA_ID}, else the host name (a pod's name on Kubernetes). */
    public static String replica(Map<String, String> env) {
        for (String variable : new String[] {"REPLICA_ID", "HOSTNAME"}) {
            String value = env.get(variable);
            if (value != null && !value.isBlank()) {
                return LogText.safe(value.strip());
            }
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "bq-metadata-cache";
        }
    }
}
