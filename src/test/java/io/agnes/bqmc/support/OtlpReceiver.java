package io.agnes.bqmc.support;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import com.sun.net.httpserver.HttpServer;

/**
 * An OTLP/HTTP trace receiver on loopback that decodes what it is sent: the protobuf
 * {@code ExportTraceServiceRequest} read field by field (opentelemetry-proto's numbering), into
 * the spans with their resource. Nothing of the SDK's own code reads it back.
 */
public final class OtlpReceiver implements AutoCloseable {

    /** One received span, with the attributes of its resource. */
    public record ReceivedSpan(String traceId, String spanId, String parentSpanId, String name, int kind,
                               Map<String, Object> attributes, int statusCode, Map<String, Object> resource,
                               String scope) {
    }

    private final HttpServer server;
    private final List<ReceivedSpan> spans = new CopyOnWriteArrayList<>();
    private final List<Map<String, List<String>>> headers = new CopyOnWriteArrayList<>();

    private OtlpReceiver(HttpServer server) {
        this.server = server;
    }

    public static OtlpReceiver start() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        OtlpReceiver receiver = new OtlpReceiver(server);
        server.createContext("/v1/traces", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                byte[] body = in.readAllBytes();
                receiver.headers.add(Map.copyOf(exchange.getRequestHeaders()));
                receiver.decode(body);
                exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
                exchange.sendResponseHeaders(200, -1);
            } catch (RuntimeException e) {
                exchange.sendResponseHeaders(400, -1);
                throw e;
            } finally {
                exchange.close();
            }
        });
        server.start();
        return receiver;
    }

    /** The base URL, as {@code OTEL_EXPORTER_OTLP_ENDPOINT} names it. */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public List<ReceivedSpan> spans() {
        return List.copyOf(spans);
    }

    /** The headers of every export request received. */
    public List<Map<String, List<String>>> requestHeaders() {
        return List.copyOf(headers);
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void decode(byte[] body) throws IOException {
        for (ByteString resourceSpans : fields(ByteString.copyFrom(body)).getOrDefault(1, List.of()).stream()
                .map(ByteString.class::cast).toList()) {
            Map<Integer, List<Object>> rs = fields(resourceSpans);
            Map<String, Object> resource = rs.containsKey(1) ? attributes(fields((ByteString) rs.get(1).get(0)), 1) : Map.of();
            for (Object scopeSpans : rs.getOrDefault(2, List.of())) {
                Map<Integer, List<Object>> ss = fields((ByteString) scopeSpans);
                String scope = ss.containsKey(1) ? text(fields((ByteString) ss.get(1).get(0)), 1) : null;
                for (Object span : ss.getOrDefault(2, List.of())) {
                    Map<Integer, List<Object>> s = fields((ByteString) span);
                    int status = 0;
                    if (s.containsKey(15)) {
                        Map<Integer, List<Object>> st = fields((ByteString) s.get(15).get(0));
                        status = st.containsKey(3) ? ((Long) st.get(3).get(0)).intValue() : 0;
                    }
                    spans.add(new ReceivedSpan(hex(s, 1), hex(s, 2), hex(s, 4), text(s, 5),
                            s.containsKey(6) ? ((Long) s.get(6).get(0)).intValue() : 0, attributes(s, 9), status,
                            resource, scope));
                }
            }
        }
    }

    /** KeyValue list at field {@code field}: string, bool, int and double values. */
    private static Map<String, Object> attributes(Map<Integer, List<Object>> message, int field) throws IOException {
        Map<String, Object> out = new HashMap<>();
        for (Object kv : message.getOrDefault(field, List.of())) {
            Map<Integer, List<Object>> pair = fields((ByteString) kv);
            String key = text(pair, 1);
            Map<Integer, List<Object>> value = fields((ByteString) pair.get(2).get(0));
            Object v = value.containsKey(1) ? ((ByteString) value.get(1).get(0)).toStringUtf8()
                    : value.containsKey(2) ? (Object) (((Long) value.get(2).get(0)) != 0)
                    : value.containsKey(3) ? value.get(3).get(0)
                    : value.containsKey(4) ? (Object) Double.longBitsToDouble((Long) value.get(4).get(0)) : null;
            out.put(key, v);
        }
        return out;
    }

    private static String text(Map<Integer, List<Object>> message, int field) {
        return message.containsKey(field) ? ((ByteString) message.get(field).get(0)).toStringUtf8() : null;
    }

    private static String hex(Map<Integer, List<Object>> message, int field) {
        if (!message.containsKey(field)) {
            return null;
        }
        byte[] bytes = ((ByteString) message.get(field).get(0)).toByteArray();
        return bytes.length == 0 ? null : HexFormat.of().formatHex(bytes);
    }

    /** A message's fields by number: varints and fixed values as Long, length-delimited as ByteString. */
    private static Map<Integer, List<Object>> fields(ByteString bytes) throws IOException {
        Map<Integer, List<Object>> out = new HashMap<>();
        CodedInputStream in = bytes.newCodedInput();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            int number = WireFormat.getTagFieldNumber(tag);
            Object value = switch (WireFormat.getTagWireType(tag)) {
                case WireFormat.WIRETYPE_VARINT -> in.readInt64();
                case WireFormat.WIRETYPE_FIXED64 -> in.readFixed64();
                case WireFormat.WIRETYPE_FIXED32 -> (long) in.readFixed32();
                case WireFormat.WIRETYPE_LENGTH_DELIMITED -> in.readBytes();
                default -> throw new IOException("unexpected wire type in tag " + tag);
            };
            out.computeIfAbsent(number, n -> new ArrayList<>()).add(value);
        }
        return out;
    }
}
