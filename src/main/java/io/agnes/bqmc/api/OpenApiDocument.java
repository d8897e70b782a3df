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

    /** Renders, then names the server; a service like the renderer it wraps, which must be started. */
    private static final class WithServer extends ServiceSupport implements Processor {
        private final Processor render;

        WithServer(Processor render) {
            this.render = render;
        }

        @Override
        public void process(Exchange exchange) throws Exception {
            render.process(exchange);
            byte[] body = exchange.getMessage().getBody(byte[].class);
            if (body == null || body.length == 0) {
                return;
            }
            ObjectNode document = (ObjectNode) JSON.readTree(body);
            document.putArray("servers").addObject().put("url", "/")
                    .put("description", "the service that served this document");
            byte[] fixed = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(document);
            exchange.getMessage().setBody(fixed);
            exchange.getMessage().setHeader(Exchange.CONTENT_LENGTH, fixed.length);
        }

        @Override
        protected void doStart() {
            ServiceHelper.startService(render);
        }

        @Override
        protected void doStop() {
            ServiceHelper.stopService(render);
        }
    }
}
