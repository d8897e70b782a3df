package io.agnes.bqmc.api;

import java.io.InputStream;
import java.nio.ByteBuffer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * Writes an API answer: status code, JSON content type, and the body in a form the HTTP server
 * sends as it is: a ByteBuffer (with a Content-Length), or a stream it pumps at the client's pace
 * (a large status). A byte array it would first turn into a stream and send 16 KB at a time,
 * each through a worker thread.
 */
public final class JsonResponses {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private JsonResponses() {
    }

    public static void respond(Exchange exchange, int status, Object body) {
        respond(exchange, status, body, MAPPER.writer());
    }

    /** With only the fields of a Jackson view. */
    public static void respond(Exchange exchange, int status, Object body, Class<?> view) {
        respond(exchange, status, body, MAPPER.writerWithView(view));
    }

    public static void error(Exchange exchange, int status, String detail) {
        exchange.setProperty(RequestContext.ERROR_DETAIL, detail);
        respond(exchange, status, new ErrorBody(detail));
    }

    private static void respond(Exchange exchange, int status, Object body, ObjectWriter writer) {
        Message m = exchange.getMessage();
        // internal headers (SQL parameters, request headers) must not become response headers
        m.removeHeaders("*");
        m.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        m.setHeader(Exchange.CONTENT_TYPE, "application/json");
        try {
            if (body instanceof ByteBuffer ready) {
                m.setBody(ready);
            } else if (body instanceof InputStream large) {
                // a large status: chunked, read as the client takes it
                m.setBody(large);
            } else {
                // with a Content-Length: every client, HTTP/1.0 ones too, knows where the answer ends
                m.setBody(ByteBuffer.wrap(body instanceof byte[] bytes ? bytes : writer.writeValueAsBytes(body)));
            }
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("response bodies are plain records", e);
        }
    }
}
