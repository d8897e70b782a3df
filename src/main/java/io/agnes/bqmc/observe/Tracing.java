package io.agnes.bqmc.observe;

import java.util.concurrent.TimeUnit;

import io.agnes.bqmc.support.BuildInfo;
import io.agnes.bqmc.config.TraceExport;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import org.apache.camel.CamelContext;
import org.apache.camel.opentelemetry2.OpenTelemetryTracer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Traces as the platform's services export them: OTLP over HTTP to {@code OTEL_EXPORTER_OTLP_ENDPOINT},
 * with the resource {@code service.name=bq-metadata-cache} and {@code deployment.environment}.
 * Camel's OpenTelemetry support (camel-opentelemetry2) traces the routes, the API request's
 * span included; the refresh adds a span per run and per table lookup, and each BigQuery HTTP
 * call is a client span inside its table's. Without an endpoint everything gets OpenTelemetry's no-op
 * tracer: nothing is recorded or sent, and Camel's tracer is not installed at all.
 * <p>
 * The SDK is built here and handed to Camel as beans, never made the process-wide
 * {@code GlobalOpenTelemetry}.
 */
public final class Tracing implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Tracing.class);

    /** The name of the tracer (instrumentation scope) of our own spans. */
    public static final String SCOPE = "io.agnes.bqmc";

    /**
     * Camel's own spans of the per-table endpoints: the refresh's table span stands for them (a
     * 100,000-table run would otherwise make three spans a table).
     */
    static final String EXCLUDED_ENDPOINTS = "direct:refresh-table,direct:bigquery-lookup";

    private final OpenTelemetry openTelemetry;
    private final OpenTelemetrySdk sdk;

    private Tracing(OpenTelemetry openTelemetry, OpenTelemetrySdk sdk) {
        this.openTelemetry = openTelemetry;
        this.sdk = sdk;
    }

    /** @param export null: no traces */
    public static Tracing of(TraceExport export, String replica) {
        if (export == null) {
            return new Tracing(OpenTelemetry.noop(), null);
        }
        OtlpHttpSpanExporterBuilder exporter = OtlpHttpSpanExporter.builder()
                .setEndpoint(export.tracesEndpoint().toString());
        export.headers().forEach(exporter::addHeader);
        Resource resource = Resource.getDefault().merge(Resource.create(Attributes.of(
                AttributeKey.stringKey("service.name"), "bq-metadata-cache",
                AttributeKey.stringKey("service.version"), BuildInfo.version(),
                AttributeKey.stringKey("service.instance.id"), replica,
                AttributeKey.stringKey("deployment.environment"), export.environment())));
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder().setResource(resource)
                        .addSpanProcessor(BatchSpanProcessor.builder(exporter.build()).build()).build())
                .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
                .build();
        LOG.info("traces exported over OTLP/HTTP to {}", export.tracesEndpoint());
        return new Tracing(sdk, sdk);
    }

    public boolean enabled() {
        return sdk != null;
    }

    /** The tracer of our own spans (a no-op one without an endpoint). */
    public Tracer tracer() {
        return openTelemetry.getTracer(SCOPE, BuildInfo.version());
    }


    /**
     * Installs Camel's tracer (its route policy factory), with our SDK's tracer and propagators
     * as the beans it looks up; before the routes are built. Nothing without an endpoint.
     */
    public void installInto(CamelContext context) {
        if (sdk == null) {
            return;
        }
        context.getRegistry().bind("openTelemetryTracer", Tracer.class, sdk.getTracer("camel"));
        context.getRegistry().bind("openTelemetryPropagators", ContextPropagators.class, sdk.getPropagators());
        OpenTelemetryTracer camel = new OpenTelemetryTracer();
        camel.setExcludePatterns(EXCLUDED_ENDPOINTS);
        camel.init(context);
    }

    /** Sends what is still buffered (at most 10 s), then stops. */
    @Override
    public void close() {
        if (sdk != null) {
            sdk.getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS);
            sdk.close();
        }
    }
}
