package io.agnes.bqmc.cli;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where the CLI's commands find the service and their token, the platform CLI's way: the server
 * is the command line's URL, else {@code AGNES_SERVER}, else {@value #DEFAULT_SERVER}; the token
 * the first line of {@code --token-file}, else {@code AGNES_TOKEN}, never the command line
 * (every user of the machine can read it in {@code ps}).
 */
final class ApiAccess {

    static final String DEFAULT_SERVER = "http://localhost:8080";

    private ApiAccess() {
    }

    /** The base URL, without a trailing slash. */
    static String server(String url, Map<String, String> env) {
        String server = url != null ? url : env.get("AGNES_SERVER");
        return server == null || server.isBlank() ? DEFAULT_SERVER : server.strip().replaceAll("/+$", "");
    }

    /** @throws IllegalArgumentException saying what is wrong, for a usage error */
    static String token(String onCommandLine, Path tokenFile, Map<String, String> env) {
        if (onCommandLine != null) {
            throw new IllegalArgumentException("--token is not accepted: a token on the command line is visible to every"
                    + " user of the machine; set AGNES_TOKEN or use --token-file");
        }
        if (tokenFile != null) {
            try {
                String first = Files.readAllLines(tokenFile, StandardCharsets.UTF_8).stream().findFirst().orElse("").strip();
                if (first.isEmpty()) {
                    throw new IllegalArgumentException("--token-file " + tokenFile + " is empty: its first line must be"
                            + " the token");
                }
                return first;
            } catch (MalformedInputException e) {
                throw new IllegalArgumentException("--token-file " + tokenFile + " is not UTF-8 text");
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read --token-file " + tokenFile + ": " + describe(e));
            }
        }
        String token = env.get("AGNES_TOKEN");
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("no token: set AGNES_TOKEN or use --token-file FILE");
        }
        return token.strip();
    }

    static String describe(Exception e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }
}
