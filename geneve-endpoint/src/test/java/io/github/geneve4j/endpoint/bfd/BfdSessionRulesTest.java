package io.github.geneve4j.endpoint.bfd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Example tests of the session, one RFC 5880 rule each (section in the name or the comment). */
class BfdSessionRulesTest {

    private static final long MS = 1_000_000L;
    private static final long REMOTE = 0xBEEFL;

    private long now;
    private final List<String> changes = new ArrayList<>();
    private final MemorySegment buffer = MemorySegment.ofArray(new byte[24]);

    private BfdSession session(BfdTimers timers) {
        return BfdSession.builder().localDiscriminator(0x1234).timers(timers).clock(() -> now)
                .random(new SplittableRandom(7))
                .listener((s, from, to, diag) -> changes.add(from + "->" + to + " " + diag)).build();
    }

    private BfdControlPacket sent(BfdSession session) {
        session.writePacket(buffer, 0);
        return BfdControlPacket.decode(buffer, 0, 24);
    }

    private static BfdControlView view(BfdControlPacket packet) {
        return new BfdControlView().wrap(MemorySegment.ofArray(packet.toBytes()), 0);
    }

    private static BfdControlPacket remote(BfdState state, long yours, boolean poll, boolean fin, int mult,
            long minTx, long minRx) {
        return new BfdControlPacket(0, state, poll, fin, false, false, mult, REMOTE, yours, minTx, minRx, 0);
    }

    private BfdReception receive(BfdSession session, BfdState state) {
        long yours = state == BfdState.DOWN || state == BfdState.ADMIN_DOWN ? 0 : 0x1234;
        return session.onPacket(view(remote(state, yours, false, false, 3, 1_000_000, 300_000)), now);
    }

    private BfdSession up(BfdTimers timers) {
        BfdSession session = session(timers);
        receive(session, BfdState.DOWN);
        receive(session, BfdState.UP);
        assertThat(session.state()).isEqualTo(BfdState.UP);
        return session;
    }

    @Test
    void aNewSessionSpeaksFirstInDownAtTheSlowRate() {
        BfdSession session = session(BfdTimers.ofMillis(300, 300, 3));
        assertThat(session.poll(now)).as("Active role, §6.1").isTrue();
        BfdControlPacket first = sent(session);
        assertThat(first).isEqualTo(new BfdControlPacket(0, BfdState.DOWN, false, false, false, false, 3, 0x1234, 0,
                1_000_000, 300_000, 0));
        assertThat(session.poll(now)).isFalse();
        assertThat(session.nextDeadline()).as("1 s minus up to 25%%").isBetween(750 * MS, 1000 * MS);
        assertThat(session.dataAllowed()).as("never up: data not gated").isTrue();
    }

    @Test
    void threeWayHandshakeGoesDownInitUp() {
        BfdSession session = session(BfdTimers.ofMillis(300, 300, 3));
        assertThat(receive(session, BfdState.DOWN)).isEqualTo(BfdReception.ACCEPTED);
        assertThat(session.state()).isEqualTo(BfdState.INIT);
        assertThat(sent(session).yourDiscriminator()).isEqualTo(REMOTE);
        receive(session, BfdState.UP);
        assertThat(session.state()).isEqualTo(BfdState.UP);
        assertThat(changes).containsExactly("DOWN->INIT NONE", "INIT->UP NONE");
        assertThat(session.upTransitions()).isOne();
    }

    @Test
    void downSeeingInitGoesStraightUpAndDownIgnoresUp() {
        BfdSession session = session(BfdTimers.ofMillis(300, 300, 3));
        session.onPacket(view(remote(BfdState.UP, 0x1234, false, false, 3, 1_000_000, 300_000)), now);
        assertThat(session.state()).as("§6.8.6: Down ignores Up").isEqualTo(BfdState.DOWN);
        session.onPacket(view(remote(BfdState.INIT, 0x1234, false, false, 3, 1_000_000, 300_000)), now);
        assertThat(session.state()).isEqualTo(BfdState.UP);
    }

    @Test
    void upGoesDownWhenTheNeighborSignalsDownOrAdminDown() {
        BfdSession session = up(BfdTimers.ofMillis(300, 300, 3));
        receive(session, BfdState.DOWN);
        assertThat(session.state()).isEqualTo(BfdState.DOWN);
        assertThat(session.diagnostic()).isEqualTo(BfdDiagnostic.NEIGHBOR_SIGNALED_SESSION_DOWN);
        assertThat(session.dataAllowed()).as("down after having been up").isFalse();
        BfdControlPacket next = sent(session);
        assertThat(next.diagnostic()).isEqualTo(BfdDiagnostic.NEIGHBOR_SIGNALED_SESSION_DOWN);
        assertThat(next.yourDiscriminator()).as("kept on a signalled Down").isEqualTo(REMOTE);
        assertThat(next.desiredMinTxMicros()).as("slow rate again, §6.8.3").isEqualTo(1_000_000);

        BfdSession other = up(BfdTimers.ofMillis(300, 300, 3));
        changes.clear();
        receive(other, BfdState.ADMIN_DOWN);
        receive(other, BfdState.ADMIN_DOWN);
        assertThat(changes).containsExactly("UP->DOWN NEIGHBOR_SIGNALED_SESSION_DOWN");
    }

    @Test
    void detectionTimeIsRemoteMultTimesTheSlowerOfOurRxAndTheirTx() {
        BfdSession session = session(BfdTimers.ofMillis(300, 300, 3));
        session.onPacket(view(remote(BfdState.DOWN, 0, false, false, 5, 400_000, 300_000)), now);
        assertThat(session.detectionTimeNanos()).isEqualTo(5 * 400 * MS);
        session.onPacket(view(remote(BfdState.INIT, 0x1234, false, false, 2, 100_000, 300_000)), now);
        assertThat(session.detectionTimeNanos()).isEqualTo(2 * 300 * MS);
        assertThat(session.state()).isEqualTo(BfdState.UP);

        now = 600 * MS - 1;
        session.poll(now);
        assertThat(session.state()).isEqualTo(BfdState.UP);
        now = 600 * MS;
        session.poll(now);
        assertThat(session.state()).isEqualTo(BfdState.DOWN);
        assertThat(session.diagnostic()).isEqualTo(BfdDiagnostic.CONTROL_DETECTION_TIME_EXPIRED);
        BfdControlPacket next = sent(session);
        assertThat(next.yourDiscriminator()).as("§6.8.1: the peer is forgotten").isZero();
        assertThat(next.diagnostic()).isEqualTo(BfdDiagnostic.CONTROL_DETECTION_TIME_EXPIRED);
        assertThat(session.remoteDiscriminator()).isZero();
    }

    @Test
    void silenceWhileDownForgetsThePeerWithoutAStateChange() {
        BfdSession session = session(BfdTimers.ofMillis(300, 300, 3));
        session.adminDown();
        changes.clear();
        session.onPacket(view(remote(BfdState.DOWN, 0, false, false, 3, 1_000_000, 300_000)), now);
        assertThat(session.remoteDiscriminator()).isEqualTo(REMOTE);
        now = 3000 * MS;
        session.poll(now);
        assertThat(session.remoteDiscriminator()).isZero();
        assertThat(changes).isEmpty();
    }

    @Test
    void comingUpLiftsTheSlowRateThroughAPollSequence() {
        BfdSession session = up(BfdTimers.ofMillis(300, 300, 3));
        assertThat(session.pollInProgress()).isTrue();
        assertThat(session.advertisedMinTxMicros()).isEqualTo(300_000);
        now = session.nextDeadline();
        assertThat(session.poll(now)).isTrue();
        BfdControlPacket polled = sent(session);
        assertThat(polled.poll()).isTrue();
        assertThat(polled.finalFlag()).isFalse();
        assertThat(polled.desiredMinTxMicros()).isEqualTo(300_000);
        session.onPacket(view(remote(BfdState.UP, 0x1234, false, true, 3, 300_000, 300_000)), now);
        assertThat(session.pollInProgress()).isFalse();
        now = session.nextDeadline();
        assertThat(session.poll(now)).isTrue();
        assertThat(sent(session).poll()).isFalse();
    }

    @Test
    void aPollIsAnsweredAtOnceWithFinalOutsideTheSchedule() {
        BfdSession session = up(BfdTimers.ofMillis(300, 300, 3));
        now = session.nextDeadline();
        session.poll(now);
        sent(session); // the periodic packet, with our own Poll
        long periodic = session.nextDeadline();
        now += 10 * MS;
        BfdReception reception = session.onPacket(view(remote(BfdState.UP, 0x1234, true, false, 3, 300_000, 300_000)),
                now);
        assertThat(reception).isEqualTo(BfdReception.ACCEPTED_FINAL_DUE);
        assertThat(session.poll(now)).isTrue();
        assertThat(session.nextDeadline()).isEqualTo(now);
        BfdControlPacket answer = sent(session);
        assertThat(answer.finalFlag()).isTrue();
        assertThat(answer.poll()).as("§6.5: never both, though our own Poll is under way").isFalse();
        assertThat(session.pollInProgress()).isTrue();
        assertThat(session.nextDeadline()).as("the periodic schedule is unchanged").isEqualTo(periodic);
    }

    @Test
    void aSlowerTxWaitsForTheFinalAFasterOneDoesNot() {
        BfdSession session = up(BfdTimers.ofMillis(300, 300, 3));
        session.onPacket(view(remote(BfdState.UP, 0x1234, false, true, 3, 300_000, 100_000)), now);
        assertThat(session.transmitIntervalNanos()).isEqualTo(300 * MS);
        session.timers(BfdTimers.ofMillis(500, 300, 3));
        assertThat(session.advertisedMinTxMicros()).isEqualTo(500_000);
        assertThat(session.transmitIntervalNanos()).as("§6.8.3: held until the Final").isEqualTo(300 * MS);
        session.onPacket(view(remote(BfdState.UP, 0x1234, false, true, 3, 300_000, 100_000)), now);
        assertThat(session.transmitIntervalNanos()).isEqualTo(500 * MS);

        session.onPacket(view(remote(BfdState.UP, 0x1234, false, false, 3, 300_000, 100_000)), now);
        session.timers(BfdTimers.ofMillis(200, 300, 3));
        assertThat(session.transmitIntervalNanos()).as("faster at once").isEqualTo(200 * MS);
    }

    @Test
    void aFasterRxCountsInTheDetectionTimeOnlyAfterTheFinal() {
        BfdSession session = up(BfdTimers.ofMillis(300, 300, 3));
        session.onPacket(view(remote(BfdState.UP, 0x1234, false, true, 3, 100_000, 300_000)), now);
        assertThat(session.detectionTimeNanos()).isEqualTo(900 * MS);
        session.timers(BfdTimers.ofMillis(300, 200, 3));
        session.onPacket(view(remote(BfdState.UP, 0x1234, false, false, 3, 100_000, 300_000)), now);
        assertThat(session.detectionTimeNanos()).as("§6.8.3: old Required Min RX until the Final")
                .isEqualTo(900 * MS);
        session.onPacket(view(remote(BfdState.UP, 0x1234, false, true, 3, 100_000, 300_000)), now);
        assertThat(session.detectionTimeNanos()).isEqualTo(600 * MS);
    }

    @Test
    void aChangeDuringAPollWaitsForItsFinalAndOneMorePacket() {
        BfdSession session = up(BfdTimers.ofMillis(300, 300, 3));
        assertThat(session.pollInProgress()).isTrue();
        session.timers(BfdTimers.ofMillis(400, 300, 3));
        assertThat(session.advertisedMinTxMicros()).as("not mixed into the running sequence").isEqualTo(300_000);
        session.onPacket(view(remote(BfdState.UP, 0x1234, false, true, 3, 300_000, 300_000)), now);
        assertThat(session.pollInProgress()).isFalse();
        assertThat(session.advertisedMinTxMicros()).isEqualTo(300_000);
        session.onPacket(view(remote(BfdState.UP, 0x1234, false, true, 3, 300_000, 300_000)), now);
        assertThat(session.pollInProgress()).as("a second Final is not the packet that was waited for").isFalse();
        session.onPacket(view(remote(BfdState.UP, 0x1234, false, false, 3, 300_000, 300_000)), now);
        assertThat(session.pollInProgress()).isTrue();
        assertThat(session.advertisedMinTxMicros()).isEqualTo(400_000);
    }

    @Test
    void aDetectMultChangeNeedsNoPoll() {
        BfdSession session = up(BfdTimers.ofMillis(300, 300, 3));
        session.onPacket(view(remote(BfdState.UP, 0x1234, false, true, 3, 300_000, 300_000)), now);
        session.timers(BfdTimers.ofMillis(300, 300, 5));
        assertThat(session.pollInProgress()).as("§6.8.12").isFalse();
        assertThat(sent(session).detectMult()).isEqualTo(5);
    }

    @Test
    void aPeerAskingForNoPacketsGetsNoPeriodicOnes() {
        BfdSession session = up(BfdTimers.ofMillis(300, 300, 3));
        session.onPacket(view(remote(BfdState.UP, 0x1234, false, true, 3, 300_000, 0)), now);
        assertThat(session.transmitIntervalNanos()).isZero();
        now += 800 * MS; // within the 900 ms detection time
        assertThat(session.poll(now)).as("§6.8.7: Required Min RX 0").isFalse();
        assertThat(session.nextDeadline()).as("only the detection time").isEqualTo(900 * MS);
        session.onPacket(view(remote(BfdState.UP, 0x1234, true, false, 3, 300_000, 0)), now);
        assertThat(session.poll(now)).as("a Final is still due").isTrue();
    }

    @Test
    void aPeerInDemandModeGetsNoPeriodicPacketsOnceBothAreUp() {
        BfdSession session = up(BfdTimers.ofMillis(300, 300, 3));
        session.onPacket(view(remote(BfdState.UP, 0x1234, false, true, 3, 300_000, 300_000)), now);
        session.onPacket(view(new BfdControlPacket(0, BfdState.UP, false, false, false, true, 3, REMOTE, 0x1234,
                300_000, 300_000, 0)), now);
        now += 500 * MS;
        assertThat(session.poll(now)).as("§6.8.6, §6.8.7").isFalse();
    }

    @Test
    void aStaleYourDiscriminatorIsDiscardedAndDoesNotKeepTheSessionUp() {
        BfdSession session = up(BfdTimers.ofMillis(300, 300, 3));
        long deadline = session.nextDeadline();
        BfdReception reception = session.onPacket(view(remote(BfdState.UP, 0x9999, false, false, 3, 300_000,
                300_000)), now + 100 * MS);
        assertThat(reception).isEqualTo(BfdReception.DISCARDED_WRONG_DISCRIMINATOR);
        assertThat(reception.accepted()).isFalse();
        assertThat(session.packetsDiscarded()).isOne();
        assertThat(session.nextDeadline()).isEqualTo(deadline);
    }

    @Test
    void adminDownSendsAdminDownSlowlyAndDiscardsPackets() {
        BfdSession session = up(BfdTimers.ofMillis(300, 300, 3));
        session.adminDown();
        assertThat(session.state()).isEqualTo(BfdState.ADMIN_DOWN);
        BfdControlPacket packet = sent(session);
        assertThat(packet.state()).isEqualTo(BfdState.ADMIN_DOWN);
        assertThat(packet.diagnostic()).isEqualTo(BfdDiagnostic.ADMINISTRATIVELY_DOWN);
        assertThat(packet.desiredMinTxMicros()).isEqualTo(1_000_000);
        assertThat(receive(session, BfdState.UP)).isEqualTo(BfdReception.DISCARDED_ADMIN_DOWN);
        assertThat(session.state()).isEqualTo(BfdState.ADMIN_DOWN);
        session.enable();
        assertThat(session.state()).isEqualTo(BfdState.DOWN);
        assertThat(changes).endsWith("UP->ADMIN_DOWN ADMINISTRATIVELY_DOWN", "ADMIN_DOWN->DOWN ADMINISTRATIVELY_DOWN");
        receive(session, BfdState.DOWN);
        assertThat(session.state()).isEqualTo(BfdState.INIT);
    }

    @Test
    void jitterIsZeroToTwentyFivePercentAndTenToTwentyFiveWithMultOne() {
        for (int mult : new int[] {1, 3}) {
            BfdSession session = session(BfdTimers.ofMillis(1000, 1000, mult));
            long least = Long.MAX_VALUE;
            long most = 0;
            for (int i = 0; i < 2000; i++) {
                now = session.nextDeadline();
                assertThat(session.poll(now)).isTrue();
                sent(session);
                long gap = session.nextDeadline() - now;
                least = Math.min(least, gap);
                most = Math.max(most, gap);
            }
            assertThat(least).as("mult %d", mult).isGreaterThanOrEqualTo(750 * MS).isLessThan(760 * MS);
            assertThat(most).as("mult %d", mult).isLessThanOrEqualTo(mult == 1 ? 900 * MS : 1000 * MS)
                    .isGreaterThan(mult == 1 ? 890 * MS : 990 * MS);
        }
    }

    @Test
    void onPacketNeedsAValidView() {
        BfdSession session = session(BfdTimers.OVS_DEFAULTS);
        assertThatThrownBy(() -> session.onPacket(new BfdControlView(), 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> BfdSession.builder().localDiscriminator(0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(BfdSession.builder().build().localDiscriminator()).isBetween(1L, 0xFFFF_FFFFL);
    }

    @Test
    void timersValidateTheirRanges() {
        assertThat(BfdTimers.OVS_DEFAULTS).isEqualTo(new BfdTimers(100_000, 1_000_000, 3));
        assertThatThrownBy(() -> new BfdTimers(0, 1, 3)).hasMessageContaining("desired min TX");
        assertThatThrownBy(() -> new BfdTimers(1, 0, 3)).hasMessageContaining("required min RX");
        assertThatThrownBy(() -> new BfdTimers(1, 1, 0)).hasMessageContaining("detect multiplier");
        assertThatThrownBy(() -> BfdTimers.ofMillis(5_000_000, 1, 3)).hasMessageContaining("ms");
    }
}
