package io.github.geneve4j.endpoint.bfd;

import static io.github.geneve4j.endpoint.bfd.BfdLinkSimulation.MS;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.endpoint.bfd.BfdLinkSimulation.Change;
import io.github.geneve4j.testing.Gen;
import io.github.geneve4j.testing.Property;
import org.junit.jupiter.api.Test;

/**
 * Properties of two sessions wired back to back through {@link BfdLinkSimulation} (simulated clock,
 * delaying and lossy link), on the repository's seeded harness: they come Up, stay Up, detect a cut
 * within the detection time and no earlier than one interval before it, come back after a cut and
 * after a peer restarts with a new discriminator. The simulation itself checks the jitter bounds and
 * the Poll/Final sequencing on every packet. Cases per property: {@code -Dgeneve.bfd.tries} (default
 * 60); replay a failure with the {@code -Dgeneve.seed} it prints.
 */
class BfdSessionProperties {

    private static final int TRIES = Integer.getInteger("geneve.bfd.tries", 60);

    /** Timers both OVS and we can carry exactly: whole milliseconds, 10 ms to 1 s, multiplier 1 to 5. */
    static Gen<BfdTimers> timers() {
        return s -> BfdTimers.ofMillis(10 + s.between(0, 990), 10 + s.between(0, 990), 1 + s.between(0, 4));
    }

    /** A scenario: both sides' timers, the link's delay and variation, a seed, a moment for an event. */
    record Scenario(BfdTimers a, BfdTimers b, long delay, long variation, long seed, long eventAt, double loss) {

        /** The shortest interval either side's packets can come at, which bounds the delay variation. */
        long shortestInterval() {
            return Math.min(Math.max(a.desiredMinTxMicros(), b.requiredMinRxMicros()),
                    Math.max(b.desiredMinTxMicros(), a.requiredMinRxMicros())) * 1000;
        }

        BfdLinkSimulation simulation() {
            BfdLinkSimulation sim = new BfdLinkSimulation(seed, a, b);
            for (BfdLinkSimulation.Direction d : sim.directions) {
                d.delay = delay;
                d.variation = variation;
                d.loss = loss;
            }
            return sim;
        }
    }

    static Gen<Scenario> scenarios(boolean lossy) {
        return s -> {
            BfdTimers a = timers().generate(s);
            BfdTimers b = timers().generate(s);
            long shortest = Math.min(Math.max(a.desiredMinTxMicros(), b.requiredMinRxMicros()),
                    Math.max(b.desiredMinTxMicros(), a.requiredMinRxMicros())) * 1000;
            long delay = s.between(0, 5000) * 1000L;
            // variation under a twentieth of an interval: never enough to lose a detection time alone
            long variation = s.between(0, (int) (shortest / 20 / 1000)) * 1000L;
            long seed = s.between(0, Integer.MAX_VALUE);
            long eventAt = s.between(0, 10_000) * MS / 10;
            double loss = lossy ? s.between(0, 30) / 100.0 : 0;
            return new Scenario(a, b, delay, variation, seed, eventAt, loss);
        };
    }

    @Test
    void comeUpAndStayUpOverADelayingLink() {
        Property.forAll("come up and stay up", TRIES, scenarios(false), sc -> {
            BfdLinkSimulation sim = sc.simulation();
            sim.runUntil(6_000 * MS, sim::bothUp);
            assertThat(sim.bothUp()).as("both Up within 6 s").isTrue();
            long up = sim.now;
            long[] before = {sim.periodicSent(0), sim.periodicSent(1)};
            sim.runUntil(up + 20_000 * MS);
            for (int side = 0; side < 2; side++) {
                long interval = sim.session(side).transmitIntervalNanos();
                assertThat(sim.periodicSent(side) - before[side]).as("side %d kept sending", side)
                        .isGreaterThanOrEqualTo(20_000 * MS / interval - 2);
            }
            assertThat(sim.firstChange(0, BfdState.DOWN, up)).as("side 0 went down").isNull();
            assertThat(sim.firstChange(1, BfdState.DOWN, up)).as("side 1 went down").isNull();
            for (int side = 0; side < 2; side++) {
                BfdSession session = sim.session(side);
                assertThat(session.pollInProgress()).as("the Poll of coming Up ended").isFalse();
                assertThat(session.advertisedMinTxMicros()).isEqualTo((side == 0 ? sc.a() : sc.b()).desiredMinTxMicros());
            }
        });
    }

    @Test
    void aLossyLinkKeepsEveryInvariantAndComesUpOnceItHeals() {
        Property.forAll("lossy link", TRIES, scenarios(true), sc -> {
            BfdLinkSimulation sim = sc.simulation();
            sim.runUntil(30_000 * MS);
            for (BfdLinkSimulation.Direction d : sim.directions) {
                d.loss = 0;
            }
            sim.runUntil(sim.now + 8_000 * MS, sim::bothUp);
            assertThat(sim.bothUp()).as("Up within 8 s of the loss ending").isTrue();
        });
    }

    @Test
    void aCutIsDetectedWithinTheDetectionTimeAndTheSessionComesBack() {
        Property.forAll("cut detected in time", TRIES, scenarios(false), sc -> {
            BfdLinkSimulation sim = sc.simulation();
            sim.runUntil(6_000 * MS, sim::bothUp);
            sim.runUntil(sim.now + 3_000 * MS); // Poll sequences done, intervals settled
            long cut = sim.now + sc.eventAt();
            for (BfdLinkSimulation.Direction d : sim.directions) {
                d.cutFrom = cut;
            }
            long[] detection = new long[2];
            long[] peerInterval = new long[2];
            sim.runUntil(cut);
            for (int side = 0; side < 2; side++) {
                detection[side] = sim.session(side).detectionTimeNanos();
                peerInterval[side] = sim.session(1 - side).transmitIntervalNanos();
            }
            sim.runUntil(cut + 20_000 * MS, () -> sim.session(0).state() == BfdState.DOWN
                    && sim.session(1).state() == BfdState.DOWN);
            for (int side = 0; side < 2; side++) {
                Change down = sim.firstChange(side, BfdState.DOWN, cut);
                assertThat(down).as("side %d went down", side).isNotNull();
                assertThat(down.diagnostic()).isEqualTo(BfdDiagnostic.CONTROL_DETECTION_TIME_EXPIRED);
                long late = down.time() - cut;
                assertThat(late).as("side %d detected %d ms after the cut (detection time %d ms)", side, late / MS,
                        detection[side] / MS).isLessThanOrEqualTo(detection[side]);
                assertThat(late).as("side %d detected too early", side)
                        .isGreaterThanOrEqualTo(detection[side] - peerInterval[side] - sc.variation());
                assertThat(sim.session(side).remoteDiscriminator()).as("§6.8.1").isZero();
            }
            for (BfdLinkSimulation.Direction d : sim.directions) {
                d.cutUntil = sim.now;
            }
            long healed = sim.now;
            sim.runUntil(healed + 6_000 * MS, sim::bothUp);
            assertThat(sim.bothUp()).as("Up again within 6 s of the link healing").isTrue();
        });
    }

    /** A restart: the scenario, and the timers the restarted side comes back with. */
    record Restart(Scenario scenario, BfdTimers timers) {
    }

    @Test
    void aRestartedPeerWithANewDiscriminatorIsTakenBackIn() {
        Property.forAll("peer restart", TRIES, scenarios(false).flatMap(sc -> s ->
                new Restart(sc, s.bool() ? timers().generate(s) : sc.b())), restart -> {
            Scenario sc = restart.scenario();
            BfdTimers restarted = restart.timers();
            BfdLinkSimulation sim = sc.simulation();
            sim.runUntil(6_000 * MS, sim::bothUp);
            sim.runUntil(sim.now + sc.eventAt());
            long old = sim.session(1).localDiscriminator();
            long at = sim.now;
            sim.start(1, restarted);
            assertThat(sim.session(1).localDiscriminator()).isNotEqualTo(old);
            sim.runUntil(at + 8_000 * MS, () -> sim.bothUp() && sim.firstChange(0, BfdState.DOWN, at) != null);
            Change down = sim.firstChange(0, BfdState.DOWN, at);
            assertThat(down).as("side 0 noticed the restart").isNotNull();
            assertThat(down.diagnostic()).isEqualTo(BfdDiagnostic.NEIGHBOR_SIGNALED_SESSION_DOWN);
            assertThat(sim.bothUp()).as("Up again within 8 s of the restart").isTrue();
            assertThat(sim.session(0).remoteDiscriminator()).isEqualTo(sim.session(1).localDiscriminator());
        });
    }
}
