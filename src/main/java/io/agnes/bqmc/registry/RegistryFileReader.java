package io.agnes.bqmc.registry;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Reads the registry file's text, or says in one line why not. Only a regular file is opened (a
 * link to {@code /dev/zero} had exhausted the heap, a FIFO had blocked the watcher for good), no
 * larger than {@value #MAX_MEGABYTES} MB, and it must be UTF-8: a byte that is not is named by
 * line and column.
 */
final class RegistryFileReader {

    static final int MAX_MEGABYTES = 64;
    static final int MAX_BYTES = MAX_MEGABYTES * 1024 * 1024;

    private RegistryFileReader() {
    }

    static String read(Path file) throws RegistryFileException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new RegistryFileException("the file is gone");
        } catch (IOException e) {
            throw new RegistryFileException("cannot read the file: " + e.getMessage());
        }
        if (!attributes.isRegularFile()) {
            throw new RegistryFileException("not a regular file (a directory, a device or a pipe, or a link to one);"
                    + " only a regular file is read");
        }
        if (attributes.size() > MAX_BYTES) {
            throw new RegistryFileException("the file is " + attributes.size() / (1024 * 1024) + " MB, over the limit of "
                    + MAX_MEGABYTES + " MB; not read");
        }
        byte[] bytes;
        try (InputStream in = Files.newInputStream(file)) {
            bytes = in.readNBytes(MAX_BYTES + 1);
        } catch (IOException e) {
            throw new RegistryFileException("cannot read the file: " + e.getMessage());
        }
        if (bytes.length > MAX_BYTES) {
            throw new RegistryFileException("the file grew past the limit of " + MAX_MEGABYTES + " MB while it was read");
        }
        return utf8(bytes);
    }

    /** Strict UTF-8; the first byte that is not is named by its line and column. */
    static String utf8(byte[] bytes) throws RegistryFileException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (result.isError()) {
            int offset = in.position();
            int line = 1;
            int lineStart = 0;
            for (int i = 0; i < offset; i++) {
                if (bytes[i] == '\n') {
                    line++;
                    lineStart = i + 1;
                }
            }
            throw new RegistryFileException(line, String.format("not UTF-8 text: byte 0x%02X at column %d",
                    bytes[offset] & 0xFF, offset - lineStart + 1));
        }
        decoder.flush(out);
        return out.flip().toString();
    }
}
