package io.agnes.bqmc.api;

import java.util.Map;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness: UP only while the API serves. DOWN while the service starts (routes not all in, the
 * registry file's first import not done) and from SIGTERM on, so a load balancer stops sending
 * before the listener closes. Not liveness: a draining pod is not to be restarted.
 */
public class ApiServingHealthCheck extends AbstractHealthCheck {

    private final ApiHttpServer server;

    public ApiServingHealthCheck(ApiHttpServer server) {
        super("bqmc", "api");
        this.server = server;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        ApiHttpServer.State state = server.state();
        builder.detail("state", state.name().toLowerCase(java.util.Locale.ROOT));
        if (state == ApiHttpServer.State.SERVING) {
            builder.up();
        } else {
            builder.message(switch (state) {
                case STARTING -> "starting: the API answers 503 until its routes are in";
                case DRAINING -> "draining after SIGTERM: requests are still served, new ones should go elsewhere";
                default -> "stopping";
            }).down();
        }
    }
}
