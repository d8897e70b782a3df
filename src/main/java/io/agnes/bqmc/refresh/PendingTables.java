package io.agnes.bqmc.refresh;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tables a run (or a single refresh) has taken on and not yet written. If the service
 * stops before they are done, they are recorded as failures instead of silently left as they
 * were: an operator then sees that the run did not finish.
 */
public class PendingTables {

    /** The error recorded for a table whose refresh the stop cut short. */
    public static final String INTERRUPTED = "refresh interrupted: the service stopped before this table was refreshed";

    private final ConcurrentHashMap<String, Integer> pending = new ConcurrentHashMap<>();
    /** The run's rows not taken yet (read on demand), or null between runs. */
    private volatile Iterator<String> untaken;

    /** The ids of the run's rows that no table has been made of yet; null when the run ends. */
    public void untaken(Iterator<String> ids) {
        untaken = ids;
    }

    public void add(Collection<String> tableIds) {
        tableIds.forEach(this::add);
    }

    public void add(String tableId) {
        pending.merge(tableId, 1, Integer::sum);
    }

    public void done(String tableId) {
        pending.computeIfPresent(tableId, (id, n) -> n > 1 ? n - 1 : null);
    }

    /** How many tables are taken on and not yet written (not counting the rows not taken yet). */
    public int size() {
        return pending.size();
    }

    /** Takes every table still pending, and the run's rows not taken yet. */
    public List<String> drain() {
        List<String> ids = new ArrayList<>(pending.keySet());
        ids.forEach(pending::remove);
        Iterator<String> rest = untaken;
        untaken = null;
        try {
            while (rest != null && rest.hasNext()) {
                ids.add(rest.next());
            }
        } catch (RuntimeException e) {
            // the registry cannot be read at this stop: what was taken is still recorded
        }
        return ids;
    }
}
