package io.agnes.bqmc.support;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.camel.Exchange;

/**
 * A request's query string, parsed from the raw text. Camel copies query parameters into the
 * message headers, where {@code ?Table=} and a {@code table:} header look alike and a query
 * parameter can pose as the {@code Authorization} header; reading the query string itself keeps
 * a parameter a parameter, with its exact name.
 */
public final class QueryString {

    private final Map<String, List<String>> parameters;

    private QueryString(Map<String, List<String>> parameters) {
        this.parameters = parameters;
    }

    /** @throws IllegalArgumentException for an invalid percent-encoding */
    public static QueryString of(Exchange exchange) {
        String raw = exchange.getMessage().getHeader(Exchange.HTTP_RAW_QUERY, String.class);
        if (raw == null) {
            raw = exchange.getMessage().getHeader(Exchange.HTTP_QUERY, String.class);
        }
        return parse(raw);
    }

    public static QueryString parse(String raw) {
        Map<String, List<String>> parameters = new LinkedHashMap<>();
        if (raw != null && !raw.isEmpty()) {
            for (String pair : raw.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String name = decode(eq < 0 ? pair : pair.substring(0, eq));
                String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
                parameters.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
            }
        }
        return new QueryString(parameters);
    }

    /** Every value of the parameter with exactly this name, in order; empty when absent. */
    public List<String> values(String name) {
        return parameters.getOrDefault(name, List.of());
    }

    /** The parameters' names, as sent. */
    public java.util.Set<String> names() {
        return parameters.keySet();
    }

    /** Whether a parameter has this name in any letter case. */
    public boolean hasIgnoringCase(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        return parameters.keySet().stream().anyMatch(n -> n.toLowerCase(Locale.ROOT).equals(lower));
    }

    private static String decode(String text) {
        return URLDecoder.decode(text, StandardCharsets.UTF_8);
    }
}
