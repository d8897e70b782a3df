package io.agnes.bqmc.support;

import java.io.IOException;
import java.time.Instant;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.ser.std.StdScalarSerializer;

/**
 * An {@link Instant} on the wire as {@link Times#ISO_UTC} text: annotate a field with
 * {@code @JsonSerialize(using = IsoInstantJson.Writer.class)}. Works with any ObjectMapper, with
 * no time module to register.
 */
public final class IsoInstantJson {

    private IsoInstantJson() {
    }

    public static final class Writer extends StdScalarSerializer<Instant> {
        public Writer() {
            super(Instant.class);
        }

        @Override
        public void serialize(Instant value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeString(Times.iso(value));
        }
    }

}
