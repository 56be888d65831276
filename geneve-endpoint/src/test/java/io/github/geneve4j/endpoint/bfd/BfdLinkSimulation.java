package io.github.geneve4j.endpoint.bfd;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * Two sessions back to back over a simulated link (delay, delay variation, loss, cuts) on a simulated
 * clock: a discrete-event loop that jumps from one deadline or arrival to the next, so a minute of
 * protocol costs milliseconds. Checks, on every step, the invariants that hold whatever the scenario:
 * Poll and Final never together, a Final only in answer to a Poll and at once, a Poll sequence ended
 * only by a Final (or by going Down), Poll only during a sequence, the periodic gaps within the jitter bounds of §6.8.7,
 * a session never left Init or Up past its detection time, the detection time as §6.8.4 computes it.
 */
final class BfdLinkSimulation {

    static final long MS = 1_000_000L;

    /** One direction of the link. */
    static final class Direction {
        long delay;
        long variation;
        double loss;
        long cutFrom = Long.MAX_VALUE;
        long cutUntil = Long.MAX_VALUE;
    }

    /** What a state change looked like. */
    record Change(long time, int side, BfdState from, BfdState to, BfdDiagnostic diagnostic) {
    }

    private record Arrival(long time, long order, int side, byte[] bytes) implements Comparable<Arrival> {
        @Override
        public int compareTo(Arrival o) {
            return time != o.time ? Long.compare(time, o.time) : Long.compare(order, o.order);
        }
    }

    // per side: the periodic gaps and the intervals seen while each was open
    private static final class Side {
        BfdSession session;
        BfdTimers timers;
        boolean sentPeriodic;
        long lastPeriodic;
        long lowInterval;
        long highInterval;
        long lastAccepted = Long.MIN_VALUE;
        long detection;
        int finalsOwed;
        long periodicSent;
    }

    long now;
    final Direction[] directions = {new Direction(), new Direction()}; // [0]: side 0 -> 1, [1]: 1 -> 0
    final List<Change> changes = new ArrayList<>();
    private final Side[] sides = {new Side(), new Side()};
    private final PriorityQueue<Arrival> inFlight = new PriorityQueue<>();
    private final SplittableRandom link;
    private final SplittableRandom jitter;
    private final BfdControlView view = new BfdControlView();
    private long order;
    private long nextDiscriminator = 0x100;

    BfdLinkSimulation(long seed, BfdTimers a, BfdTimers b) {
        SplittableRandom seeds = new SplittableRandom(seed);
        this.link = seeds.split();
        this.jitter = seeds.split();
        start(0, a);
        start(1, b);
    }

    /** (Re)starts a side with a fresh session: a new discriminator, state Down, as a restarted peer. */
    void start(int index, BfdTimers timers) {
        Side side = sides[index];
        side.timers = timers;
        side.session = BfdSession.builder().localDiscriminator(nextDiscriminator++).timers(timers).clock(() -> now)
                .random(jitter.split())
                .listener((s, from, to, diag) -> changes.add(new Change(now, index, from, to, diag))).build();
        side.sentPeriodic = false;
        side.lastAccepted = Long.MIN_VALUE;
        side.finalsOwed = 0;
        side.lowInterval = Long.MAX_VALUE;
        side.highInterval = 0;
        sample(side);
    }

    BfdSession session(int side) {
        return sides[side].session;
    }

    long periodicSent(int side) {
        return sides[side].periodicSent;
    }

    long lastAccepted(int side) {
        return sides[side].lastAccepted;
    }

    /** Runs until {@code until} or until {@code stop} holds after a step. */
    void runUntil(long until, java.util.function.BooleanSupplier stop) {
        while (true) {
            long next = Math.min(sides[0].session.nextDeadline(), sides[1].session.nextDeadline());
            if (!inFlight.isEmpty()) {
                next = Math.min(next, inFlight.peek().time);
            }
            if (next > until) {
                now = until;
                step();
                return;
            }
            now = Math.max(now, next);
            step();
            if (stop.getAsBoolean()) {
                return;
            }
        }
    }

    void runUntil(long until) {
        runUntil(until, () -> false);
    }

    private void step() {
        while (!inFlight.isEmpty() && inFlight.peek().time <= now) {
            Arrival arrival = inFlight.poll();
            deliver(arrival.side, arrival.bytes);
        }
        for (int i = 0; i < 2; i++) {
            Side side = sides[i];
            while (side.session.poll(now)) {
                send(i);
            }
            sample(side);
            if (side.session.state() == BfdState.INIT || side.session.state() == BfdState.UP) {
                assertThat(side.lastAccepted != Long.MIN_VALUE && now < side.lastAccepted + side.detection)
                        .as("side %d still %s at %d ms, its detection time (%d ms from %d ms) passed", i,
                                side.session.state(), now / MS, side.detection / MS, side.lastAccepted / MS)
                        .isTrue();
            }
        }
    }

    private void sample(Side side) {
        long interval = side.session.transmitIntervalNanos();
        side.lowInterval = Math.min(side.lowInterval, interval);
        side.highInterval = Math.max(side.highInterval, interval);
    }

    private void send(int index) {
        Side side = sides[index];
        boolean polling = side.session.pollInProgress();
        byte[] bytes = new byte[Bfd.CONTROL_PACKET_LENGTH];
        side.session.writePacket(MemorySegment.ofArray(bytes), 0);
        BfdControlPacket packet = BfdControlPacket.decode(bytes); // throws on Poll and Final together
        if (packet.finalFlag()) {
            assertThat(side.finalsOwed).as("side %d sent a Final nobody asked for", index).isPositive();
            side.finalsOwed--;
        } else {
            assertThat(packet.poll()).as("side %d: Poll exactly while its sequence runs", index).isEqualTo(polling);
            checkGap(index, side);
            side.periodicSent++;
        }
        Direction direction = directions[index];
        long arrival = now + direction.delay + (direction.variation > 0 ? link.nextLong(direction.variation + 1) : 0);
        boolean cut = arrival >= direction.cutFrom && arrival < direction.cutUntil;
        if (!cut && !(direction.loss > 0 && link.nextDouble() < direction.loss)) {
            inFlight.add(new Arrival(arrival, order++, 1 - index, bytes));
        }
    }

    private void checkGap(int index, Side side) {
        long interval = side.session.transmitIntervalNanos();
        if (side.sentPeriodic) {
            long gap = now - side.lastPeriodic;
            long low = Math.min(side.lowInterval, interval);
            long high = Math.max(side.highInterval, interval);
            assertThat(gap * 4).as("side %d: gap %d ns below 75%% of %d ns", index, gap, low)
                    .isGreaterThanOrEqualTo(3 * low);
            long most = side.timers.detectMult() == 1 ? high * 9 / 10 : high;
            assertThat(gap).as("side %d: gap above the jittered interval %d ns", index, high).isLessThanOrEqualTo(most);
        }
        side.sentPeriodic = true;
        side.lastPeriodic = now;
        side.lowInterval = interval;
        side.highInterval = interval;
    }

    private void deliver(int index, byte[] bytes) {
        Side side = sides[index];
        assertThat(view.tryWrap(MemorySegment.ofArray(bytes), 0)).as("%s", view.errorReason()).isTrue();
        boolean polling = side.session.pollInProgress();
        BfdReception reception = side.session.onPacket(view, now);
        BfdState after = side.session.state();
        if (polling && !side.session.pollInProgress() && after != BfdState.DOWN && after != BfdState.ADMIN_DOWN) {
            // (going Down ends a sequence: nobody relies on our timers then)
            assertThat(view.finalFlag()).as("side %d: Poll sequence ended without a Final", index).isTrue();
        }
        if (reception.accepted()) {
            side.lastAccepted = now;
            side.detection = side.session.detectionTimeNanos();
            if (!side.session.pollInProgress() && !view.finalFlag()) {
                long expected = view.detectMult() * Math.max(side.session.advertisedMinRxMicros(),
                        view.desiredMinTxMicros()) * 1000L;
                assertThat(side.detection).as("§6.8.4 detection time").isEqualTo(expected);
            }
        }
        if (reception == BfdReception.ACCEPTED_FINAL_DUE) {
            side.finalsOwed++;
            assertThat(side.session.poll(now)).isTrue();
            send(index); // "at once": at the same instant
            assertThat(side.finalsOwed).isZero();
        } else {
            assertThat(view.poll() && reception.accepted()).isFalse();
        }
        sample(side);
    }

    /** The first change of {@code side} to {@code state} at or after {@code from}, or null. */
    Change firstChange(int side, BfdState state, long from) {
        for (Change change : changes) {
            if (change.side == side && change.to == state && change.time >= from) {
                return change;
            }
        }
        return null;
    }

    boolean bothUp() {
        return sides[0].session.state() == BfdState.UP && sides[1].session.state() == BfdState.UP;
    }
}
