package io.agnes.bqmc.api;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.AbstractList;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import io.agnes.bqmc.cache.CachedTable;

/**
 * The {@code tables} of a status answer, already rendered as a JSON array: Jackson writes the
 * bytes where the list stands, so an unchanged array costs a copy rather than a rendering
 * (docs/BENCHMARKS.md, B4). It stands in for the list it was rendered from, and holds nothing
 * else of it.
 */
@JsonSerialize(using = RenderedTables.Writer.class)
final class RenderedTables extends AbstractList<CachedTable> {

    private final Utf8 json;
    private final int size;

    RenderedTables(byte[] json, int size) {
        this.json = new Utf8(json);
        this.size = size;
    }

    @Override
    public int size() {
        return size;
    }

    /** The rendered array itself: shared, never to be changed. */
    byte[] bytes() {
        return json.bytes();
    }

    @Override
    public CachedTable get(int index) {
        throw new UnsupportedOperationException("the tables are kept rendered, not as objects");
    }

    static final class Writer extends StdSerializer<RenderedTables> {
        Writer() {
            super(RenderedTables.class);
        }

        @Override
        public void serialize(RenderedTables value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeRawValue(value.json);
        }
    }

    /**
     * JSON text already encoded: the generator copies the bytes as they are. Only the unquoted
     * UTF-8 forms are ever asked of a raw value; the rest refuse.
     */
    private record Utf8(byte[] bytes) implements SerializableString {

        @Override
        public byte[] asUnquotedUTF8() {
            return bytes;
        }

        @Override
        public int appendUnquotedUTF8(byte[] buffer, int offset) {
            if (offset + bytes.length > buffer.length) {
                return -1;
            }
            System.arraycopy(bytes, 0, buffer, offset, bytes.length);
            return bytes.length;
        }

        @Override
        public int writeUnquotedUTF8(OutputStream out) throws IOException {
            out.write(bytes);
            return bytes.length;
        }

        @Override
        public int putUnquotedUTF8(ByteBuffer buffer) {
            if (buffer.remaining() < bytes.length) {
                return -1;
            }
            buffer.put(bytes);
            return bytes.length;
        }

        @Override
        public String getValue() {
            return new String(bytes, StandardCharsets.UTF_8);
        }

        @Override
        public int charLength() {
            return getValue().length();
        }

        @Override
        public char[] asQuotedChars() {
            throw quoted();
        }

        @Override
        public byte[] asQuotedUTF8() {
            throw quoted();
        }

        @Override
        public int appendQuotedUTF8(byte[] buffer, int offset) {
            throw quoted();
        }

        @Override
        public int appendQuoted(char[] buffer, int offset) {
            throw quoted();
        }

        @Override
        public int appendUnquoted(char[] buffer, int offset) {
            throw quoted();
        }

        @Override
        public int writeQuotedUTF8(OutputStream out) {
            throw quoted();
        }

        @Override
        public int putQuotedUTF8(ByteBuffer buffer) {
            throw quoted();
        }

        private static UnsupportedOperationException quoted() {
            return new UnsupportedOperationException("raw JSON is written as UTF-8 bytes only");
        }
    }
}
