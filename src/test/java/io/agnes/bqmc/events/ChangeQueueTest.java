package io.agnes.bqmc.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;

import io.agnes.bqmc.support.Engine;
import io.agnes.bqmc.support.TestDatabase;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The change queue on both engines: one window per table however many events, a claim no other
 * poller can take, an event after a claim kept for another lookup, and claims of a replica that
 * stopped or died freed again. Times are given, never waited for.
 */
@ParameterizedClass
@EnumSource(Engine.class)
class ChangeQueueTest {

    private static final Instant T0 = Instant.parse("2026-12-05T10:00:00Z");

    @Parameter
    Engine engine;

    @TempDir
    Path dir;

    private TestDatabase db;
    private ChangeQueue queue;

    @BeforeEach
    void open() throws Exception {
        db = TestDatabase.open(engine, dir);
        try (Connection c = db.dataSource().getConnection()) {
            ChangeQueue.ensure(c, db.dialect());
            ChangeQueue.ensure(c, db.dialect()); // a second start finds it there
        }
        queue = new ChangeQueue(db.dataSource());
    }

    @AfterEach
    void close() {
        db.close();
    }

    /** A finished lookup, settled at once (the poll does it for the service). */
    private static void settled(ChangeQueue queue, ChangeQueue.Claimed claimed, String replica) throws Exception {
        queue.finished(claimed, replica);
        queue.settleFinished();
    }

    @Test
    void eventsWithinAWindowMakeOneClaimAtItsEnd() throws Exception {
        for (int i = 0; i < 20; i++) {
            queue.add(List.of("t1"), T0.plusSeconds(i), T0.plusSeconds(i), T0.plusSeconds(i + 5));
        }
        queue.add(List.of("t2", "t3"), T0, T0.plusSeconds(1), T0.plusSeconds(6));
        assertThat(queue.waiting()).isEqualTo(3);
        // the window opened by t1's first event ends at T0+5, whatever came after
        assertThat(queue.claim("a", T0.plusSeconds(4), 10)).isEmpty();
        List<ChangeQueue.Claimed> claimed = queue.claim("a", T0.plusSeconds(5), 10);
        assertThat(claimed).extracting(ChangeQueue.Claimed::tableId).containsExactly("t1");
        assertThat(claimed.get(0).changedAt()).isEqualTo(T0.plusSeconds(19));
        assertThat(claimed.get(0).receivedAt()).isEqualTo(T0);
        // claimed is claimed: not handed out again while its lease lasts
        assertThat(queue.claim("b", T0.plusSeconds(5), 10)).isEmpty();
        settled(queue, claimed.get(0), "a");
        assertThat(queue.claim("a", T0.plusSeconds(6), 10)).extracting(ChangeQueue.Claimed::tableId)
                .containsExactlyInAnyOrder("t2", "t3");
        assertThat(queue.waiting()).isEqualTo(2);
    }

    @Test
    void anEventAfterTheClaimOpensTheNextWindowAndKeepsTheRow() throws Exception {
        queue.add(List.of("t1"), T0, T0, T0.plusSeconds(5));
        ChangeQueue.Claimed claimed = queue.claim("a", T0.plusSeconds(5), 10).get(0);
        // during the lookup, another change: that lookup may have been too early for it
        queue.add(List.of("t1"), T0.plusSeconds(6), T0.plusSeconds(6), T0.plusSeconds(11));
        queue.add(List.of("t1"), T0.plusSeconds(7), T0.plusSeconds(7), T0.plusSeconds(12));
        settled(queue, claimed, "a");
        assertThat(queue.waiting()).isEqualTo(1);
        assertThat(queue.claim("a", T0.plusSeconds(10), 10)).isEmpty();
        ChangeQueue.Claimed next = queue.claim("b", T0.plusSeconds(11), 10).get(0);
        assertThat(next.receivedAt()).isEqualTo(T0.plusSeconds(6));
        assertThat(next.changedAt()).isEqualTo(T0.plusSeconds(7));
        settled(queue, next, "b");
        assertThat(queue.waiting()).isZero();
    }

    @Test
    void finishedLookupsAreSettledTogetherByTheNextSettlement() throws Exception {
        queue.add(List.of("t1", "t2", "t3"), T0, T0, T0);
        List<ChangeQueue.Claimed> claimed = queue.claim("a", T0, 10);
        claimed.forEach(c -> queue.finished(c, "a"));
        // queued, not written: the rows stay claimed, so no poller takes them meanwhile
        assertThat(queue.waiting()).isEqualTo(3);
        assertThat(queue.claim("b", T0.plusSeconds(1), 10)).isEmpty();
        queue.add(List.of("t2"), T0.plusSeconds(2), T0.plusSeconds(2), T0.plusSeconds(7));
        assertThat(queue.settleFinished()).isEqualTo(3);
        assertThat(queue.settleFinished()).isZero();
        // t2 changed after its claim: kept for the window that change opened
        assertThat(queue.waiting()).isEqualTo(1);
        assertThat(queue.claim("b", T0.plusSeconds(7), 10)).extracting(ChangeQueue.Claimed::tableId).containsExactly("t2");
    }

    @Test
    void settlementsTheDatabaseRefusedAreKeptForTheNextTry() throws Exception {
        queue.add(List.of("t1"), T0, T0, T0);
        ChangeQueue.Claimed claimed = queue.claim("a", T0, 10).get(0);
        // the table gone for a moment: the finished lookup is still taken, and its settlement waits
        db.update("ALTER TABLE " + ChangeQueue.TABLE + " RENAME TO changes_away");
        queue.finished(claimed, "a");
        org.assertj.core.api.Assertions.assertThatThrownBy(queue::settleFinished).isInstanceOf(java.sql.SQLException.class);
        db.update("ALTER TABLE changes_away RENAME TO " + ChangeQueue.TABLE);
        assertThat(queue.waiting()).isEqualTo(1);
        assertThat(queue.settleFinished()).isEqualTo(1);
        assertThat(queue.waiting()).isZero();
    }

    @Test
    void aClaimOfAReplicaThatStoppedOrDiedIsFreedAgain() throws Exception {
        queue.add(List.of("t1", "t2"), T0, T0, T0);
        List<ChangeQueue.Claimed> lost = queue.claim("dead", T0, 10);
        assertThat(lost).hasSize(2);
        // the same replica starting again frees its claims at once
        assertThat(queue.releaseClaimsOf("dead")).isEqualTo(2);
        List<ChangeQueue.Claimed> again = queue.claim("dead", T0.plusSeconds(1), 1);
        assertThat(again).hasSize(1);
        // another replica takes the other; the first one's only after its lease
        assertThat(queue.claim("other", T0.plusSeconds(3), 10)).hasSize(1);
        assertThat(queue.claim("other", T0.plus(ChangeQueue.LEASE), 10)).isEmpty();
        assertThat(queue.claim("other", T0.plus(ChangeQueue.LEASE).plusSeconds(2), 10))
                .extracting(ChangeQueue.Claimed::tableId).containsExactly(again.get(0).tableId());
        // the late finisher of a claim that was taken over settles nothing
        settled(queue, again.get(0), "dead");
        assertThat(queue.waiting()).isEqualTo(2);
    }

    @Test
    void aReleasedClaimComesBackWhenAsked() throws Exception {
        queue.add(List.of("t1"), T0, T0, T0);
        ChangeQueue.Claimed claimed = queue.claim("a", T0, 10).get(0);
        queue.release(claimed, "a", T0.plusSeconds(10));
        assertThat(queue.claim("a", T0.plusSeconds(9), 10)).isEmpty();
        assertThat(queue.claim("a", T0.plusSeconds(10), 10)).hasSize(1);
    }

    @Test
    void pollersTogetherNeverClaimATableTwice() throws Exception {
        List<String> ids = IntStream.range(0, 400).mapToObj(i -> "t" + i).toList();
        queue.add(ids, T0, T0, T0);
        // four pollers at once (on PostgreSQL the row locks decide, on DuckDB the one process's order)
        List<CompletableFuture<List<String>>> pollers = new ArrayList<>();
        for (int p = 0; p < 4; p++) {
            ChangeQueue mine = queue;
            String replica = "r" + p;
            pollers.add(CompletableFuture.supplyAsync(() -> {
                List<String> got = new ArrayList<>();
                try {
                    for (int round = 0; round < 40; round++) {
                        for (ChangeQueue.Claimed c : mine.claim(replica, T0.plusSeconds(1), 7)) {
                            got.add(c.tableId());
                            settled(mine, c, replica);
                        }
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                return got;
            }));
        }
        List<String> all = new ArrayList<>();
        for (CompletableFuture<List<String>> poller : pollers) {
            all.addAll(poller.get());
        }
        Set<String> distinct = new HashSet<>(all);
        assertThat(all).hasSameSizeAs(distinct);
        assertThat(distinct).hasSize(400);
        assertThat(queue.waiting()).isZero();
    }
}
