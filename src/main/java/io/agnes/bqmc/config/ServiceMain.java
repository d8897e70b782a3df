package io.agnes.bqmc.config;

import java.util.Map;

import io.agnes.bqmc.api.ApiRoutes;
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
        Settings settings = new SettingsLoader(environment, SettingsLoader.classpathDefaults()).load();
        return create(settings);
    }

    public static Main create(Settings settings) {
        Main main = new Main();
        settings.camelProperties().forEach(main::addOverrideProperty);
        main.configure().addConfiguration(new AppConfiguration(settings));
        main.configure().addRoutesBuilder(new RefreshRoutes(settings));
        main.configure().addRoutesBuilder(new RegistryFileRoutes(settings));
        main.configure().addRoutesBuilder(new ApiRoutes());
        return main;
    }
}
