package io.agnes.bqmc.api;

import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.openapi.OpenApiRestApiProcessorFactory;
import org.apache.camel.spi.RestApiProcessorFactory;
import org.apache.camel.spi.RestConfiguration;
import org.apache.camel.support.service.ServiceHelper;
import org.apache.camel.support.service.ServiceSupport;

/**
 * The OpenAPI document as camel-openapi-java renders it from the REST DSL and the models, with
 * the one thing it cannot be told: where the server is. It writes the address the HTTP server
 * binds ({@code http://0.0.0.0}, no port), which no client can call; the service answers at the
 * same place the document was fetched from, whatever the proxies on the way, so the document
 * names the server relative to itself ({@code /}).
 */
public class OpenApiDocument implements RestApiProcessorFactory {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final RestApiProcessorFactory rendered = new OpenApiRestApiProcessorFactory();

    @Override
    public Processor createApiProcessor(CamelContext camelContext, String contextPath, RestConfiguration configuration,
                                        Map<String, Object> parameters) throws Exception {
        return new WithServer(rendered.createApiProcessor(camelContext, contextPath, configuration, parameters));
    }

    /**
     * The progress stream, which the router serves itself (a Camel route would hold a thread
     * per open stream), so the REST DSL cannot describe it.
     */
    static void describeRunEvents(ObjectNode document) {
        ObjectNode get = document.with("paths").putObject(RunEvents.PATH).putObject("get");
        get.put("summary", "The run in flight, live (any user)");
        get.put("description", "Server-Sent Events: start {run_id, started_at, total, replica, trigger};"
                + " row {run_id, table_id, status, fetch_ms} per table; snapshot {run_id, started_at, done, total, ok,"
                + " no_data, error, rate, eta_seconds, replica} at least every second, and first for a client joining"
                + " mid-run; complete {run_id, started_at, total, succeeded, no_data, failed, duration_ms, status, error?}."
                + " With no run in flight: the newest run's complete, then the stream stays open (a comment every 15 s)."
                + " A client that falls behind loses row events, never start or complete, and gets a snapshot once it"
                + " has caught up. At most " + RunEvents.MAX_LISTENERS + " streams at once.");
        get.putArray("security").addObject().putArray("bearer");
        ObjectNode responses = get.putObject("responses");
        responses.putObject("200").put("description", "The stream").putObject("content")
                .putObject("text/event-stream").putObject("schema").put("type", "string");
        for (String[] error : new String[][] {{"401", "Missing, invalid, unknown or expired bearer token"},
                {"503", "Starting, stopping, or too many streams open: try again after Retry-After seconds"}}) {
            responses.putObject(error[0]).put("description", error[1]).putObject("content")
                    .putObject("application/json").putObject("schema").put("$ref", "#/components/schemas/ErrorBody");
        }
    }

    /**
     * Renders, then names the server; a service like the renderer it wraps. The renderer is
     * started at the first request, not with the routes: starting it renders the whole document
     * (swagger's model, JSON and YAML), most of a second before the API could answer anything.
     */
    private static final class WithServer extends ServiceSupport implements Processor {
        private final Processor render;

        WithServer(Processor render) {
            this.render = render;
        }

        @Override
        public void process(Exchange exchange) throws Exception {
            // once: a started service is not started again, and two first requests wait for one start
            ServiceHelper.startService(render);
            render.process(exchange);
            byte[] body = exchange.getMessage().getBody(byte[].class);
            if (body == null || body.length == 0) {
                return;
            }
            ObjectNode document = (ObjectNode) JSON.readTree(body);
            document.putArray("servers").addObject().put("url", "/")
                    .put("description", "the service that served this document");
            describeRunEvents(document);
            byte[] fixed = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(document);
            exchange.getMessage().setBody(fixed);
            exchange.getMessage().setHeader(Exchange.CONTENT_LENGTH, fixed.length);
        }

        @Override
        protected void doStop() {
            ServiceHelper.stopService(render);
        }
    }
}
