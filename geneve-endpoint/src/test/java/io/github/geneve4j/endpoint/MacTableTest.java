package io.github.geneve4j.endpoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.testing.Gen;
import io.github.geneve4j.testing.Property;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The MAC table: learning, moves, aging, the bound and its evictions, static entries; and against a model. */
class MacTableTest {

    private static final long A = 0x0200_0000_0001L;
    private static final long B = 0x0200_0000_0002L;

    /** A clock the test moves (nanoseconds). */
    private final long[] now = {1_000_000_000L};

    private final List<MacTable> tables = new java.util.ArrayList<>();

    private MacTable table(int max, Duration age) {
        MacTable t = new MacTable(max, age, () -> now[0]);
        tables.add(t);
        return t;
    }

    /** Moves the clock and ticks the tables, as the endpoint's receive thread does. */
    private void advance(long millis) {
        now[0] += millis * 1_000_000L;
        for (int i = 0; i < tables.size(); i++) { // no iterator: the allocation test calls this per frame
            tables.get(i).tick();
        }
    }

    @Test
    void agesByTheTimeOfTheLastTick() {
        MacTable t = new MacTable(64, Duration.ofSeconds(1), () -> now[0]);
        t.learn(A, 1);
        now[0] += 2_000_000_000L;
        assertThat(t.lookup(A)).as("not ticked yet").isEqualTo(1);
        t.tick(now[0] - 5_000_000_000L); // an earlier time is ignored
        assertThat(t.lookup(A)).isEqualTo(1);
        t.tick();
        assertThat(t.lookup(A)).isEqualTo(-1);
    }

    @Test
    void learnsAndLooksUpPerMac() {
        MacTable t = table(1024, Duration.ofSeconds(300));
        assertThat(t.lookup(A)).isEqualTo(-1);
        assertThat(t.learn(A, 3)).isEqualTo(MacTable.Learned.NEW);
        assertThat(t.learn(B, 5)).isEqualTo(MacTable.Learned.NEW);
        assertThat(t.learn(A, 3)).isEqualTo(MacTable.Learned.KNOWN);
        assertThat(t.lookup(A)).isEqualTo(3);
        assertThat(t.lookup(B)).isEqualTo(5);
        assertThat(t.size()).isEqualTo(2);
        assertThat(t.learned()).isEqualTo(2);
    }

    @Test
    void neverLearnsGroupOrZeroAddresses() {
        MacTable t = table(64, Duration.ofSeconds(300));
        assertThat(t.learn(0xFFFF_FFFF_FFFFL, 1)).isEqualTo(MacTable.Learned.REFUSED);
        assertThat(t.learn(0x0100_5E00_0001L, 1)).isEqualTo(MacTable.Learned.REFUSED); // IPv4 multicast
        assertThat(t.learn(0, 1)).isEqualTo(MacTable.Learned.REFUSED);
        assertThat(t.size()).isZero();
    }

    @Test
    void aMacSeenBehindAnotherPeerMoves() {
        MacTable t = table(1024, Duration.ofSeconds(300));
        t.learn(A, 1);
        assertThat(t.learn(A, 2)).isEqualTo(MacTable.Learned.MOVED);
        assertThat(t.lookup(A)).isEqualTo(2);
        assertThat(t.moves()).isEqualTo(1);
        assertThat(t.size()).isEqualTo(1);
    }

    @Test
    void aBroadcastFromAnotherPeerRightAfterTheMacWasSeenDoesNotMoveIt() {
        // a full mesh with a flooding peer: the same broadcast straight from peer 1, then through peer 4
        MacTable t = table(1024, Duration.ofSeconds(300));
        t.learn(A, 1, true);
        advance(5);
        assertThat(t.learn(A, 4, true)).isEqualTo(MacTable.Learned.HELD);
        assertThat(t.lookup(A)).isEqualTo(1);
        assertThat(t.heldMoves()).isEqualTo(1);
        assertThat(t.learn(A, 4, false)).as("unicast moves at once").isEqualTo(MacTable.Learned.MOVED);
        assertThat(t.lookup(A)).isEqualTo(4);
        advance(2_000);
        assertThat(t.learn(A, 1, true)).as("a broadcast after 2 s quiet moves it").isEqualTo(MacTable.Learned.MOVED);
        assertThat(t.lookup(A)).isEqualTo(1);
    }

    @Test
    void entriesAgeOutAfterTheAgeUnlessSeenAgain() {
        MacTable t = table(1024, Duration.ofSeconds(300));
        t.learn(A, 1);
        t.learn(B, 1);
        advance(200_000);
        t.learn(B, 1); // refreshed: older than a second
        advance(100_001);
        assertThat(t.lookup(A)).as("unseen for 300.001 s").isEqualTo(-1);
        assertThat(t.lookup(B)).as("seen 100 s ago").isEqualTo(1);
        assertThat(t.sweep()).isEqualTo(1);
        assertThat(t.aged()).isEqualTo(1);
        assertThat(t.size()).isEqualTo(1);
        assertThat(t.learn(A, 2)).isEqualTo(MacTable.Learned.NEW);
    }

    @Test
    void aKnownMacIsRefreshedAtMostOnceASecondYetNeverAgesWhileSeen() {
        MacTable t = table(64, Duration.ofMillis(2_000));
        t.learn(A, 1);
        for (int i = 0; i < 100; i++) {
            advance(100);
            t.learn(A, 1);
            assertThat(t.lookup(A)).isEqualTo(1);
        }
    }

    @Test
    void staticEntriesNeverAgeMoveNorGetEvicted() {
        MacTable t = table(8, Duration.ofSeconds(1));
        assertThat(t.putStatic(A, 7)).isTrue();
        assertThat(t.learn(A, 2)).isEqualTo(MacTable.Learned.REFUSED);
        for (long m = 0x0200_0000_1000L; m < 0x0200_0000_1100L; m++) {
            t.learn(m, 1); // a flood through a table of eight
        }
        advance(10_000);
        assertThat(t.lookup(A)).isEqualTo(7);
        assertThat(t.remove(A)).isTrue();
        assertThat(t.lookup(A)).isEqualTo(-1);
        assertThatThrownBy(() -> t.putStatic(0xFFFF_FFFF_FFFFL, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unicast");
    }

    @Test
    void aFloodOfSourceMacsEvictsAndCountsWithinTheBound() {
        MacTable t = table(1000, Duration.ofSeconds(300));
        assertThat(t.capacity()).isEqualTo(1024);
        SplittableRandom random = new SplittableRandom(1);
        long last = 0;
        for (int i = 0; i < 100_000; i++) {
            last = (random.nextLong() & 0xFEFF_FFFF_FFFFL) | 0x0200_0000_0000L;
            MacTable.Learned l = t.learn(last, i % 3);
            assertThat(l).isIn(MacTable.Learned.NEW, MacTable.Learned.EVICTED);
        }
        assertThat(t.size()).isEqualTo(1000);
        assertThat(t.evictions()).isEqualTo(100_000 - 1000);
        assertThat(t.lookup(last)).as("the newest is in").isEqualTo((100_000 - 1) % 3);
    }

    @Test
    void learningAndLookingUpAllocateNothingEvenUnderAFlood() {
        Assumptions.assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean bean
                && bean.isThreadAllocatedMemorySupported() && bean.isThreadAllocatedMemoryEnabled());
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        MacTable t = table(4096, Duration.ofSeconds(300));
        long[] macs = new long[1 << 14];
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < macs.length; i++) {
            macs[i] = (random.nextLong() & 0xFEFF_FFFF_FFFFL) | 0x0200_0000_0000L;
        }
        long sum = 0;
        for (int round = 0; round < 3; round++) { // warm: the first round may compile
            long before = threads.getThreadAllocatedBytes(Thread.currentThread().threadId());
            for (int i = 0; i < 200_000; i++) {
                long mac = macs[i & (macs.length - 1)];
                t.learn(mac, i & 7, (i & 3) == 0); // 16,384 MACs through 4,096 entries: evictions all along
                sum += t.lookup(macs[(i * 31) & (macs.length - 1)]);
                advance(i & 1);
            }
            long bytes = threads.getThreadAllocatedBytes(Thread.currentThread().threadId()) - before;
            if (round == 2) {
                assertThat(bytes).as("bytes over 200,000 learns and lookups").isLessThan(2_000);
            }
        }
        assertThat(t.evictions()).isPositive();
        assertThat(sum).isNotZero();
    }

    @Test
    void readersRacingTheWriterNeverSeeAnotherMacsPeer() throws Exception {
        // each MAC is only ever learned behind one of its own two peers; a torn read (a slot's key
        // paired with another MAC's value) would show a third
        MacTable t = new MacTable(512, Duration.ofSeconds(300), System::nanoTime);
        int macs = 4_096; // 8 times the bound: evictions and reuse of slots all the time
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicLong wrong = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong hits = new java.util.concurrent.atomic.AtomicLong();
        Thread writer = new Thread(() -> {
            SplittableRandom r = new SplittableRandom(5);
            while (!stop.get()) {
                int i = r.nextInt(macs);
                t.learn(mac(i), 2 * i + r.nextInt(2), r.nextBoolean());
                if ((i & 255) == 0) {
                    t.tick();
                }
            }
        });
        Runnable reader = () -> {
            SplittableRandom r = new SplittableRandom(Thread.currentThread().threadId());
            long found = 0;
            while (!stop.get()) {
                int i = r.nextInt(macs);
                int peer = t.lookup(mac(i));
                if (peer >= 0) {
                    found++;
                    if (peer != 2 * i && peer != 2 * i + 1) {
                        wrong.incrementAndGet();
                    }
                }
            }
            hits.addAndGet(found);
        };
        Thread r1 = new Thread(reader);
        Thread r2 = new Thread(reader);
        writer.start();
        r1.start();
        r2.start();
        Thread.sleep(1_000);
        stop.set(true);
        writer.join();
        r1.join();
        r2.join();
        assertThat(hits.get()).as("lookups that found a peer").isPositive();
        assertThat(wrong.get()).as("lookups that named a peer the MAC was never behind").isZero();
        assertThat(t.size()).isLessThanOrEqualTo(512);
    }

    @Test
    void removingAPeerForgetsItsMacs() {
        MacTable t = table(64, Duration.ofSeconds(300));
        t.learn(A, 1);
        t.learn(B, 2);
        t.putStatic(0x0200_0000_0003L, 1);
        assertThat(t.removePeer(1)).isEqualTo(2);
        assertThat(t.lookup(A)).isEqualTo(-1);
        assertThat(t.lookup(B)).isEqualTo(2);
        long[] counts = new long[3];
        assertThat(t.countByPeer(counts)).isEqualTo(1);
        assertThat(counts).containsExactly(0, 0, 1);
    }

    @Test
    void rejectsBadBounds() {
        assertThatThrownBy(() -> table(0, Duration.ofSeconds(1))).hasMessageContaining("0 entries");
        assertThatThrownBy(() -> table(8, Duration.ZERO)).hasMessageContaining("MAC age");
    }

    // --- against a model ---

    private static final Duration AGE = Duration.ofMillis(5_000);

    /** One step: 0 learn, 1 static, 2 remove, 3 advance, 4 lookup; a MAC of a few, a peer of a few, millis. */
    record Op(int kind, int mac, int peer, int millis) {
        @Override
        public String toString() {
            return switch (kind) {
                case 0 -> "learn(" + mac + "," + peer + ")";
                case 1 -> "static(" + mac + "," + peer + ")";
                case 2 -> "remove(" + mac + ")";
                case 3 -> "advance(" + millis + ")";
                default -> "lookup(" + mac + ")";
            };
        }
    }

    private static Gen<List<Op>> ops(int macs) {
        Gen<Op> op = Gen.ints(0, 9).flatMap(k -> Gen.ints(0, macs - 1).flatMap(m -> Gen.ints(0, 3).flatMap(p ->
                Gen.ints(0, 3_000).map(ms -> new Op(k < 4 ? 0 : k == 4 ? 1 : k == 5 ? 2 : k < 8 ? 3 : 4, m, p, ms)))));
        return Gen.lists(op, 1, 200);
    }

    private static long mac(int i) {
        return 0x0200_0000_0000L | (i * 0x1_0001L + 1);
    }

    /** The model's entry: peer, last seen (ms), static. */
    record Entry(int peer, long seen, boolean isStatic) {
        boolean live(long now) {
            return isStatic || now - seen <= AGE.toMillis();
        }
    }

    @Test
    void agreesWithAMapWhileEverythingFits() {
        // 32 MACs in a table of 4096: no set of 8 ever fills, so nothing is evicted and the model is exact
        Property.forAll("learn, move, age, static, remove as a map", 300, ops(32), steps -> {
            long[] clock = {5_000_000_000L};
            MacTable t = new MacTable(4096, AGE, () -> clock[0]);
            long start = clock[0] / 1_000_000;
            Map<Long, Entry> model = new HashMap<>();
            for (Op op : steps) {
                long now = clock[0] / 1_000_000 - start;
                long m = mac(op.mac());
                switch (op.kind()) {
                    case 0 -> {
                        Entry e = model.get(m);
                        MacTable.Learned got = t.learn(m, op.peer());
                        if (e != null && e.live(now) && e.isStatic() && e.peer() != op.peer()) {
                            assertThat(got).as(op.toString()).isEqualTo(MacTable.Learned.REFUSED);
                        } else if (e != null && e.live(now) && e.peer() != op.peer()) {
                            assertThat(got).as(op.toString()).isEqualTo(MacTable.Learned.MOVED);
                            model.put(m, new Entry(op.peer(), now, false));
                        } else if (e == null || !e.live(now)) {
                            assertThat(got).as(op.toString()).isEqualTo(MacTable.Learned.NEW);
                            model.put(m, new Entry(op.peer(), now, false));
                        } else {
                            assertThat(got).as(op.toString()).isEqualTo(MacTable.Learned.KNOWN);
                            if (!e.isStatic() && now - e.seen() >= 1_000) {
                                model.put(m, new Entry(op.peer(), now, false));
                            }
                            // within a second the table need not refresh: the model's "seen" may lag by < 1 s
                            if (!e.isStatic() && now - e.seen() < 1_000) {
                                model.put(m, new Entry(op.peer(), e.seen(), false));
                            }
                        }
                    }
                    case 1 -> {
                        assertThat(t.putStatic(m, op.peer())).isTrue();
                        model.put(m, new Entry(op.peer(), now, true));
                    }
                    case 2 -> {
                        Entry e = model.remove(m);
                        // an aged entry may still hold its slot until swept: remove may find it
                        boolean removed = t.remove(m);
                        if (e != null && e.live(now)) {
                            assertThat(removed).as(op.toString()).isTrue();
                        }
                    }
                    case 3 -> {
                        clock[0] += op.millis() * 1_000_000L;
                        t.tick();
                    }
                    default -> {
                    }
                }
                long after = clock[0] / 1_000_000 - start;
                for (int i = 0; i < 32; i++) {
                    Entry e = model.get(mac(i));
                    int expected = e != null && e.live(after) ? e.peer() : -1;
                    assertThat(t.lookup(mac(i))).as("lookup %d after %s", i, op).isEqualTo(expected);
                }
                assertThat(t.size()).isEqualTo((int) model.values().stream().filter(e -> e.live(after)).count());
            }
        });
    }

    @Test
    void underAFloodStaysBoundedNeverNamesAWrongPeerAndKeepsTheNewestAndTheStatic() {
        // 400 MACs through a table of 16: evictions everywhere; the table may forget, never mislead
        Property.forAll("bounded, forgetful, never wrong", 300, ops(400), steps -> {
            long[] clock = {5_000_000_000L};
            MacTable t = new MacTable(16, AGE, () -> clock[0]);
            long start = clock[0] / 1_000_000;
            Map<Long, Entry> model = new HashMap<>();
            for (Op op : steps) {
                long now = clock[0] / 1_000_000 - start;
                long m = mac(op.mac());
                switch (op.kind()) {
                    case 0 -> {
                        MacTable.Learned got = t.learn(m, op.peer());
                        Entry e = model.get(m);
                        boolean staticElsewhere = e != null && e.isStatic() && e.peer() != op.peer();
                        if (got != MacTable.Learned.REFUSED) {
                            assertThat(staticElsewhere).isFalse();
                            assertThat(t.lookup(m)).as("just learned %s", op).isEqualTo(op.peer());
                            if (e == null || !e.isStatic()) {
                                model.put(m, new Entry(op.peer(), now, false));
                            }
                        }
                    }
                    case 1 -> {
                        if (model.values().stream().filter(Entry::isStatic).count() < 2 && t.putStatic(m, op.peer())) {
                            model.put(m, new Entry(op.peer(), now, true));
                        }
                    }
                    case 2 -> {
                        model.remove(m);
                        t.remove(m);
                    }
                    case 3 -> {
                        clock[0] += op.millis() * 1_000_000L;
                        t.tick();
                    }
                    default -> {
                    }
                }
                long after = clock[0] / 1_000_000 - start;
                assertThat(t.size()).isLessThanOrEqualTo(16);
                for (Map.Entry<Long, Entry> e : model.entrySet()) {
                    int got = t.lookup(e.getKey());
                    if (e.getValue().isStatic()) {
                        assertThat(got).as("static %x after %s", e.getKey(), op).isEqualTo(e.getValue().peer());
                    } else if (!e.getValue().live(after)) {
                        assertThat(got).as("aged %x", e.getKey()).isEqualTo(-1);
                    } else {
                        assertThat(got).as("%x: its peer or forgotten", e.getKey()).isIn(-1, e.getValue().peer());
                    }
                }
            }
        });
    }

    @Test
    void aPeerFloodingSourceMacsEvictsNoneOfAnotherPeersEntries() {
        // issue 28: one peer's 200k random source MACs evicted all of another peer's 1,000 entries
        for (int share : new int[] {2048, 4096}) {
            long[] clock = {0};
            MacTable t = new MacTable(4096, share, Duration.ofSeconds(300), () -> clock[0]);
            SplittableRandom random = new SplittableRandom(28);
            long[] victims = new long[1000];
            for (int i = 0; i < victims.length; i++) {
                victims[i] = (random.nextLong() & 0xFEFF_FFFF_FFFFL) | 0x0200_0000_0000L;
                assertThat(t.learn(victims[i], 2)).isEqualTo(MacTable.Learned.NEW);
            }
            for (int i = 0; i < 200_000; i++) {
                if (i % 10_000 == 0) {
                    clock[0] += 1_000_000; // time passes: the victims are the oldest entries of every set
                    t.tick();
                }
                t.learn((random.nextLong() & 0xFEFF_FFFF_FFFFL) | 0x0200_0000_0000L, 1);
            }
            if (share < 4096) {
                for (long mac : victims) {
                    assertThat(t.lookup(mac)).as("a victim's MAC with a share of %d", share).isEqualTo(2);
                }
                assertThat(t.held(2)).isEqualTo(1000);
                assertThat(t.held(1)).isLessThanOrEqualTo(share);
                assertThat(t.size()).isLessThanOrEqualTo(4096);
                // the victim still learns new hosts where its share and the sets allow
                long fresh = 0x0200_0000_7777L;
                assertThat(t.learn(fresh, 2)).isIn(MacTable.Learned.NEW, MacTable.Learned.EVICTED);
                assertThat(t.lookup(fresh)).isEqualTo(2);
            } else {
                // without a share (the bound as the share), the flood takes the victim's slots: what the share prevents
                long kept = java.util.Arrays.stream(victims).filter(mac -> t.lookup(mac) == 2).count();
                assertThat(kept).as("victims kept without a share").isLessThan(100);
            }
        }
    }

    @Test
    void aPeerAtItsShareReplacesOnlyItsOwnEntriesOrIsRefused() {
        long[] clock = {0};
        MacTable t = new MacTable(64, 8, Duration.ofSeconds(300), () -> clock[0]);
        SplittableRandom random = new SplittableRandom(5);
        long refusedBefore = t.shareRefusals();
        for (int i = 0; i < 1000; i++) {
            MacTable.Learned l = t.learn((random.nextLong() & 0xFEFF_FFFF_FFFFL) | 0x0200_0000_0000L, 1);
            assertThat(l).isIn(MacTable.Learned.NEW, MacTable.Learned.EVICTED, MacTable.Learned.REFUSED);
            assertThat(t.held(1)).isLessThanOrEqualTo(8);
        }
        assertThat(t.held(1)).isEqualTo(8);
        assertThat(t.shareRefusals()).isGreaterThan(refusedBefore);
        // a move into a peer at its share is refused too; the MAC stays where it was
        long host = 0x0200_0000_0042L;
        assertThat(t.learn(host, 3)).isEqualTo(MacTable.Learned.NEW);
        assertThat(t.learn(host, 1)).isIn(MacTable.Learned.REFUSED, MacTable.Learned.HELD);
        assertThat(t.lookup(host)).isEqualTo(3);
        assertThat(t.removePeer(1)).isEqualTo(8);
        assertThat(t.held(1)).isZero();
        assertThatThrownBy(() -> new MacTable(64, 65, Duration.ofSeconds(1), () -> 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("share");
        assertThatThrownBy(() -> new MacTable(64, 0, Duration.ofSeconds(1), () -> 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
