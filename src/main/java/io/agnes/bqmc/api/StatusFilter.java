package io.agnes.bqmc.api;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import io.agnes.bqmc.cache.Freshness;
import io.agnes.bqmc.support.LogText;
import io.agnes.bqmc.support.QueryString;

/**
 * The status endpoint's optional filters: {@code ?freshness=stale,error} and {@code ?table=a,b}
 * (a list, comma-separated or the parameter repeated; an id holding a comma or surrounding spaces
 * is asked for percent-encoded, {@code ?table=a%2Cb}). Both given, a table must match both.
 *
 * @param freshness empty for every verdict
 * @param tables    empty for every table
 */
record StatusFilter(Set<Freshness> freshness, Set<String> tables) {

    static final String FRESHNESS = "freshness";
    static final String TABLE = "table";

    static final StatusFilter NONE = new StatusFilter(Set.of(), Set.of());

    /** @throws BadRequestException for an empty list or a verdict that does not exist */
    static StatusFilter of(QueryString query) {
        Set<Freshness> freshness = EnumSet.noneOf(Freshness.class);
        for (String value : list(query, FRESHNESS)) {
            Freshness f = Freshness.fromWire(value);
            if (f == null) {
                throw new BadRequestException("Unknown freshness '" + LogText.safe(value)
                        + "': use fresh, stale, error or never_fetched");
            }
            freshness.add(f);
        }
        return new StatusFilter(freshness, new LinkedHashSet<>(list(query, TABLE)));
    }

    private static List<String> list(QueryString query, String name) {
        List<String> values = new ArrayList<>();
        // a verdict never holds a comma, encoded or not; a table id may: only a literal comma separates ids
        List<String> items = name.equals(TABLE) ? query.listItems(name) : query.values(name).stream()
                .flatMap(v -> java.util.Arrays.stream(v.split(",", -1))).map(String::strip).toList();
        for (String item : items) {
            if (item.isEmpty()) {
                throw new BadRequestException("Query parameter " + name + " has an empty item: give a"
                        + " comma-separated list without empty entries");
            }
            values.add(item);
        }
        return values;
    }

    boolean isNone() {
        return freshness.isEmpty() && tables.isEmpty();
    }

    boolean matches(String tableId, Freshness verdict) {
        return (freshness.isEmpty() || freshness.contains(verdict)) && (tables.isEmpty() || tables.contains(tableId));
    }
}
