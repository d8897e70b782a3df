package io.agnes.bqmc.cli;

import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The commands' JSON reader. Making Jackson's mapper is a fifth of a second of class loading:
 * the commands start making it as the JVM starts, on another core, while they parse their
 * arguments and ask the server, and wait for it only when an answer is there to read.
 */
public final class Json {

    private static final CompletableFuture<ObjectMapper> MAPPER = CompletableFuture.supplyAsync(ObjectMapper::new);

    private Json() {
    }

    /** Starts making the mapper (loading this class does). */
    public static void prepare() {
        // the field's initializer has started it
    }

    static ObjectMapper mapper() {
        return MAPPER.join();
    }
}
