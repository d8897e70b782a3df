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
    /** The same values as sent, before percent-decoding, for lists whose separator may be encoded. */
    private final Map<String, List<String>> raw;

    private QueryString(Map<String, List<String>> parameters, Map<String, List<String>> raw) {
        this.parameters = parameters;
        this.raw = raw;
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
        Map<String, List<String>> undecoded = new LinkedHashMap<>();
        if (raw != null && !raw.isEmpty()) {
            for (String pair : raw.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String name = decode(eq < 0 ? pair : pair.substring(0, eq));
                String value = eq < 0 ? "" : pair.substring(eq + 1);
                parameters.computeIfAbsent(name, n -> new ArrayList<>()).add(decode(value));
                undecoded.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
            }
        }
        return new QueryString(parameters, undecoded);
    }

    /**
     * Every item of a list parameter, in order: each value (the parameter may be repeated) split
     * at its literal commas, each item without the literal spaces around it, then decoded. An
     * encoded comma ({@code %2C}) or space ({@code %20}) is part of an item: the way to ask for an
     * id that holds one.
     */
    public List<String> listItems(String name) {
        List<String> items = new ArrayList<>();
        for (String value : raw.getOrDefault(name, List.of())) {
            for (String item : value.split(",", -1)) {
                items.add(decode(item.replaceAll("^[+ ]+|[+ ]+$", "")));
            }
        }
        return items;
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
