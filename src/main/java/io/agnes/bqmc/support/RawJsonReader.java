package io.agnes.bqmc.support;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;

/**
 * The reading side of {@code @JsonRawValue}: whatever JSON value stands there is kept as its
 * JSON text, so a model that writes stored JSON raw can also be read back.
 */
public final class RawJsonReader extends StdDeserializer<String> {

    public RawJsonReader() {
        super(String.class);
    }

    @Override
    public String deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        return p.readValueAsTree().toString();
    }
}
