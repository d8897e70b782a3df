package io.agnes.bqmc;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Map;

import io.agnes.bqmc.api.ApiRoutes;
import io.agnes.bqmc.events.ChangeRoutes;
import io.agnes.bqmc.config.Settings;
import io.agnes.bqmc.config.SettingsLoader;
import io.agnes.bqmc.refresh.RefreshRoutes;
import io.agnes.bqmc.registry.RegistryFileRoutes;
import io.agnes.bqmc.support.BuildInfo;
import io.agnes.bqmc.support.LogText;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainConfigurationProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the Camel Main of the service from the environment: the same assembly runs in
 * production, in {@code --demo}, and in the tests (which pass their own environment map).
 */
public final class ServiceMain {

    private static final Logger LOG = LoggerFactory.getLogger(ServiceMain.class);

    private ServiceMain() {
    }

    public static Main create(Map<String, String> environment) {
        return create(new SettingsLoader(environment, SettingsLoader.classpathDefaults()).load());
    }

    public static Main create(Settings settings) {
        checkPorts(settings);
        // what an operator needs to know which files and ports this process uses; no secret in it
        LOG.info("bq-metadata-cache {} starting: replica={} database={} tokens_file={} registry_file={}"
                        + " interval_seconds={} concurrency={} port={} management_port={}", BuildInfo.version(),
                LogText.safe(settings.replica()), settings.database(), settings.tokensFile().toAbsolutePath(),
                settings.registryFile() == null ? "-" : settings.registryFile().toAbsolutePath(),
                settings.refreshIntervalSeconds(), settings.refreshConcurrency(), settings.port(),
                settings.managementPort());
        Main main = new Main();
        settings.camelProperties().forEach(main::addOverrideProperty);
        main.bind("settings", settings);
        configure(main.configure(), settings);
        return main;
    }

    /**
     * The service on a Camel Main: its beans and its Java routes (the YAML routes come from
     * {@code camel.main.routes-include-pattern}). Shared with the route tests' CamelMainTestSupport.
     * The validated {@code settings} must be bound as {@code settings}, and their
     * {@link Settings#camelProperties()} given as override properties.
     */
    public static void configure(MainConfigurationProperties configuration, Settings settings) {
        configuration.addConfiguration(new ServiceConfiguration(settings));
        configuration.addRoutesBuilder(new RefreshRoutes(settings.bigQueryMaxAttempts(),
                settings.retryInitialDelayMs(), Settings.RETRY_MAX_DELAY_MS));
        configuration.addRoutesBuilder(new RegistryFileRoutes(settings.registryFile(),
                settings.registryStableSeconds() * 1000L));
        configuration.addRoutesBuilder(new ApiRoutes());
        if (settings.changeEvents() != null) {
            configuration.addRoutesBuilder(new ChangeRoutes(settings.refreshConcurrency()));
        }
    }

    /**
     * Both ports must be ours before anything starts: Vert.x only logs a port it cannot bind, and
     * a management port held by another process would answer this service's health probes.
     *
     * @throws IllegalStateException naming the variable and the port
     */
    static void checkPorts(Settings settings) {
        if (settings.port() == settings.managementPort()) {
            throw new IllegalStateException("PORT and MANAGEMENT_PORT are both " + settings.port()
                    + ": the API and health/metrics need a port each");
        }
        checkPort("PORT", settings.port());
        checkPort("MANAGEMENT_PORT", settings.managementPort());
    }

    private static void checkPort(String variable, int port) {
        // the way Vert.x binds: all interfaces, address reuse on (so a port in TIME_WAIT is free)
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(port));
        } catch (IOException e) {
            throw new IllegalStateException(variable + " " + port + " is already in use (" + e.getMessage()
                    + "): stop the process that listens on it, or set " + variable + " to a free port");
        }
    }
}
