package io.agnes.bqmc.api;

import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpEngine;

/**
 * platform-http's Vert.x engine pinned to the API port. The stock engine guesses the port by
 * looking for a single HTTP server, finds two (API and management), and falls back to 8080,
 * which breaks every PORT other than 8080.
 */
public class ApiHttpEngine extends VertxPlatformHttpEngine {

    private final int port;

    public ApiHttpEngine(int port) {
        this.port = port;
    }

    @Override
    public int getServerPort() {
        return port;
    }
}
