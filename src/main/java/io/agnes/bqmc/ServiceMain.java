package io.agnes.bqmc;

import java.util.Map;

import io.agnes.bqmc.api.ApiRoutes;
import io.agnes.bqmc.config.Settings;
import io.agnes.bqmc.config.SettingsLoader;
import io.agnes.bqmc.refresh.RefreshRoutes;
import io.agnes.bqmc.registry.RegistryFileRoutes;
import org.apache.camel.main.Main;

/**
 * Builds the Camel Main of the service from the environment: the same assembly runs in
 * production, in {@code --demo}, and in the tests (which pass their own environment map).
 */
public final class ServiceMain {

    private ServiceMain() {
    }

    public static Main create(Map<String, String> environment) {
        return create(new SettingsLoader(environment, SettingsLoader.classpathDefaults()).load());
    }

    public static Main create(Settings settings) {
        Main main = new Main();
        settings.camelProperties().forEach(main::addOverrideProperty);
        main.bind("settings", settings);
        main.configure().addConfiguration(new ServiceConfiguration.Foundation());
        main.configure().addConfiguration(new ServiceConfiguration.Stores());
        main.configure().addConfiguration(new ServiceConfiguration.Services());
        main.configure().addConfiguration(new ServiceConfiguration.Reporting());
        main.configure().addConfiguration(new ServiceConfiguration.Refresh());
        main.configure().addRoutesBuilder(new RefreshRoutes(settings.bigQueryMaxAttempts(),
                settings.retryInitialDelayMs(), Settings.RETRY_MAX_DELAY_MS));
        main.configure().addRoutesBuilder(new RegistryFileRoutes(settings.registryFile()));
        main.configure().addRoutesBuilder(new ApiRoutes());
        return main;
    }
}
