package io.agnes.bqmc.config;

import java.net.URI;
import java.util.Map;

/**
 * Where traces go, from the OpenTelemetry SDK's standard variables: OTLP over HTTP (protobuf) to
 * {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT}, else {@code OTEL_EXPORTER_OTLP_ENDPOINT} +
 * {@code /v1/traces}, with {@code OTEL_EXPORTER_OTLP_HEADERS}. The headers usually hold an API
 * key: never logged.
 *
 * @param environment the resource's {@code deployment.environment}: the JSON log lines' {@code env}
 */
public record TraceExport(URI tracesEndpoint, Map<String, String> headers, String environment) {

    @Override
    public String toString() {
        return "TraceExport[" + tracesEndpoint + ", " + headers.size() + " header(s) not shown, " + environment + "]";
    }
}
