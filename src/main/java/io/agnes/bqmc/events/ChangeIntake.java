package io.agnes.bqmc.events;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.agnes.bqmc.support.LogText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One authenticated push, read and acted on: a change to a registered table is queued (committed)
 * before the push is acknowledged; anything else is acknowledged and counted, or refused as
 * malformed. Runs on a worker thread: it waits on the database.
 */
public class ChangeIntake {

    private static final Logger LOG = LoggerFactory.getLogger(ChangeIntake.class);

    /** What to answer Pub/Sub. */
    public record Answer(int status, Map<String, Object> body) {
    }

    private final RegisteredTables registered;
    private final ChangeQueue queue;
    private final ChangeMetrics metrics;
    private final Duration debounce;

    public ChangeIntake(RegisteredTables registered, ChangeQueue queue, ChangeMetrics metrics, Duration debounce) {
        this.registered = registered;
        this.queue = queue;
        this.metrics = metrics;
        this.debounce = debounce;
    }

    /**
     * @param headerMessageId {@code x-goog-pubsub-message-id} (unwrapped pushes), or null
     * @throws SQLException when the change cannot be queued: the push is not acknowledged, Pub/Sub sends it again
     */
    public Answer take(byte[] body, String headerMessageId, Instant receivedAt) throws SQLException {
        PushMessages.Reading reading = PushMessages.read(body, headerMessageId);
        if (reading instanceof PushMessages.Malformed m) {
            metrics.malformed(m.kind(), LogText.safe(m.messageId()));
            return new Answer(400, Map.of("detail", "Not a Pub/Sub push of a log entry: " + m.kind()));
        }
        if (reading instanceof PushMessages.Ignored i) {
            metrics.push("ignored");
            LOG.debug("change event ignored: message_id={} reason={}", LogText.safe(i.messageId()), i.reason());
            return new Answer(200, Map.of("outcome", "ignored", "reason", i.reason()));
        }
        TableChange change = ((PushMessages.Changed) reading).change();
        List<String> ids = registered.ids(change.fqn());
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("table", change.fqn());
        answer.put("event", change.event());
        if (ids.isEmpty()) {
            metrics.push("unregistered");
            answer.put("outcome", "unregistered");
            return new Answer(200, answer);
        }
        Instant changedAt = change.changedAt() == null || change.changedAt().isAfter(receivedAt) ? receivedAt : change.changedAt();
        queue.add(ids, changedAt, receivedAt, receivedAt.plus(debounce));
        metrics.push("queued");
        LOG.debug("change event queued: message_id={} event={} table={} table_ids={}", LogText.safe(reading.messageId()),
                change.event(), LogText.safe(change.fqn()), ids);
        answer.put("outcome", "queued");
        answer.put("table_ids", ids);
        return new Answer(200, answer);
    }
}
