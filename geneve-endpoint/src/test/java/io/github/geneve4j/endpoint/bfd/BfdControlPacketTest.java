package io.github.geneve4j.endpoint.bfd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.endpoint.bfd.BfdFormatException.Reason;
import io.github.geneve4j.testing.Hex;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The control packet codec against RFC 5880 §4.1 (layout) and §6.8.6 (what a receiver discards). */
class BfdControlPacketTest {

    // Hand-assembled from the field rules of OVS 3.1's bfd_put_packet (lib/bfd.c): a session not yet Up, so Desired Min TX is the 1 s floor (§6.8.3), no Your
    // Discriminator yet, Detect Mult 3.
    static final byte[] OVS_DOWN = Hex.bytes("20 40 03 18 | 12 34 56 78 | 00 00 00 00 | 00 0f 42 40 | 00 0f 42 40"
            + " | 00 00 00 00");
    // Up with Poll, after the slow rate was lifted: 300 ms each way, diag 3 left from an earlier Down.
    static final byte[] UP_POLL = Hex.bytes("23 e0 03 18 | 12 34 56 78 | 9a bc de f0 | 00 04 93 e0 | 00 04 93 e0"
            + " | 00 00 00 00");

    @Test
    void decodesEveryFieldOfADownPacket() {
        BfdControlView view = new BfdControlView().wrap(MemorySegment.ofArray(OVS_DOWN), 0);
        assertThat(view.version()).isEqualTo(1);
        assertThat(view.diagnostic()).isEqualTo(BfdDiagnostic.NONE);
        assertThat(view.state()).isEqualTo(BfdState.DOWN);
        assertThat(view.poll()).isFalse();
        assertThat(view.finalFlag()).isFalse();
        assertThat(view.controlPlaneIndependent()).isFalse();
        assertThat(view.demand()).isFalse();
        assertThat(view.detectMult()).isEqualTo(3);
        assertThat(view.length()).isEqualTo(24);
        assertThat(view.myDiscriminator()).isEqualTo(0x12345678L);
        assertThat(view.yourDiscriminator()).isZero();
        assertThat(view.desiredMinTxMicros()).isEqualTo(1_000_000);
        assertThat(view.requiredMinRxMicros()).isEqualTo(1_000_000);
        assertThat(view.requiredMinEchoRxMicros()).isZero();
    }

    @Test
    void decodesPollUpAndUnsignedDiscriminators() {
        BfdControlPacket packet = BfdControlPacket.decode(UP_POLL);
        assertThat(packet).isEqualTo(new BfdControlPacket(3, BfdState.UP, true, false, false, false, 3,
                0x12345678L, 0x9abcdef0L, 300_000, 300_000, 0));
        assertThat(packet.diagnostic()).isEqualTo(BfdDiagnostic.NEIGHBOR_SIGNALED_SESSION_DOWN);
        assertThat(packet.toBytes()).isEqualTo(UP_POLL);
    }

    @Test
    void encodesAtAnOffsetAndRoundTrips() {
        BfdControlPacket packet = new BfdControlPacket(31, BfdState.INIT, false, true, true, true, 255,
                0xFFFF_FFFFL, 1, 0xFFFF_FFFFL, 0, 7);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate(40);
            assertThat(packet.encode(segment, 9)).isEqualTo(24);
            assertThat(BfdControlPacket.decode(segment, 9, 24)).isEqualTo(packet);
            assertThat(new BfdControlView().wrap(segment, 9, 24).diagnostic()).isEqualTo(BfdDiagnostic.RESERVED);
        }
    }

    @Test
    void acceptsLengthAboveTwentyFourAndExtraBytesAfterIt() {
        byte[] bytes = new byte[30];
        System.arraycopy(OVS_DOWN, 0, bytes, 0, 24);
        bytes[3] = 26;
        assertThat(new BfdControlView().wrap(MemorySegment.ofArray(bytes), 0).length()).isEqualTo(26);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        // reason, byte index, new value, offset reported
        "UNSUPPORTED_VERSION, 0, 0x00, 0",
        "UNSUPPORTED_VERSION, 0, 0x40, 0",
        "BAD_LENGTH, 3, 23, 3",
        "BAD_LENGTH, 3, 25, 3",
        "AUTHENTICATION_UNSUPPORTED, 1, 0x44, 1",
        "MULTIPOINT, 1, 0x41, 1",
        "ZERO_DETECT_MULT, 2, 0, 2",
        "POLL_AND_FINAL, 1, 0x70, 1",
    })
    void discardsWhatSection686Discards(Reason reason, int index, String value, long offset) {
        byte[] bytes = OVS_DOWN.clone();
        bytes[index] = (byte) Integer.decode(value).intValue();
        assertRejected(bytes, reason, offset);
    }

    @Test
    void discardsZeroMyDiscriminator() {
        byte[] bytes = OVS_DOWN.clone();
        bytes[4] = bytes[5] = bytes[6] = bytes[7] = 0;
        assertRejected(bytes, Reason.ZERO_MY_DISCRIMINATOR, 4);
    }

    @ParameterizedTest
    @CsvSource({"0x80, false", "0xc0, false", "0x40, true", "0x00, true"})
    void takesYourDiscriminatorZeroOnlyInDownAndAdminDown(String stateByte, boolean accepted) {
        byte[] bytes = OVS_DOWN.clone();
        bytes[1] = (byte) Integer.decode(stateByte).intValue();
        BfdControlView view = new BfdControlView();
        assertThat(view.tryWrap(MemorySegment.ofArray(bytes), 0)).isEqualTo(accepted);
        if (!accepted) {
            assertThat(view.errorReason()).isEqualTo(Reason.ZERO_YOUR_DISCRIMINATOR);
            assertThat(view.errorOffset()).isEqualTo(8);
            assertThat(view.errorMessage()).contains("Your Discriminator 0 in state");
        }
    }

    @Test
    void discardsFewerThanTwentyFourBytesAndALengthBeyondThePayload() {
        MemorySegment segment = MemorySegment.ofArray(OVS_DOWN);
        BfdControlView view = new BfdControlView();
        assertThat(view.tryWrap(segment, 0, 23)).isFalse();
        assertThat(view.errorReason()).isEqualTo(Reason.TRUNCATED);
        assertThat(view.errorMessage()).isEqualTo("BFD control packet truncated: 23 bytes (expected: at least 24 bytes)");
        byte[] bytes = new byte[25];
        System.arraycopy(OVS_DOWN, 0, bytes, 0, 24);
        bytes[3] = 26;
        assertRejected(bytes, Reason.BAD_LENGTH, 3);
        assertThatThrownBy(() -> new BfdControlView().wrap(MemorySegment.ofArray(bytes), 0))
                .hasMessage("BAD_LENGTH at offset 3: BFD Length 26 beyond the 25 bytes carried");
    }

    @Test
    void aFailedWrapLeavesTheViewUnreadableAndASuccessfulOneClearsTheError() {
        BfdControlView view = new BfdControlView();
        byte[] bad = OVS_DOWN.clone();
        bad[2] = 0;
        assertThat(view.tryWrap(MemorySegment.ofArray(bad), 0)).isFalse();
        assertThat(view.isValid()).isFalse();
        assertThatThrownBy(view::state).isInstanceOf(IllegalStateException.class);
        assertThat(view.tryWrap(MemorySegment.ofArray(OVS_DOWN), 0)).isTrue();
        assertThat(view.errorReason()).isNull();
        assertThat(view.errorMessage()).isNull();
    }

    @Test
    void regionsOutsideTheSegmentAreTheCallersMistake() {
        MemorySegment segment = MemorySegment.ofArray(OVS_DOWN);
        assertThatThrownBy(() -> new BfdControlView().tryWrap(segment, 1, 24))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new BfdControlView().tryWrap(segment, -1, 2))
                .isInstanceOf(IllegalArgumentException.class);
        BfdControlPacket packet = BfdControlPacket.decode(OVS_DOWN);
        assertThatThrownBy(() -> packet.encode(MemorySegment.ofArray(new byte[30]), 7))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needed: 24 bytes");
    }

    @Test
    void recordRejectsWhatAReceiverWouldDiscard() {
        assertThatThrownBy(() -> packet(0, BfdState.UP, true, true, 3, 1, 1))
                .hasMessageContaining("Poll and Final");
        assertThatThrownBy(() -> packet(0, BfdState.UP, false, false, 0, 1, 1))
                .hasMessage("Detect Mult 0 (expected: 1..255)");
        assertThatThrownBy(() -> packet(0, BfdState.UP, false, false, 256, 1, 1)).hasMessageContaining("Detect Mult");
        assertThatThrownBy(() -> packet(0, BfdState.DOWN, false, false, 3, 0, 0))
                .hasMessageContaining("My Discriminator 0");
        assertThatThrownBy(() -> packet(0, BfdState.INIT, false, false, 3, 1, 0))
                .hasMessageContaining("Your Discriminator 0 in state INIT");
        assertThatThrownBy(() -> packet(32, BfdState.DOWN, false, false, 3, 1, 0)).hasMessageContaining("diagnostic");
        assertThatThrownBy(() -> packet(0, BfdState.DOWN, false, false, 3, 1L << 32, 0))
                .hasMessageContaining("My Discriminator");
        assertThatThrownBy(() -> new BfdControlPacket(0, BfdState.DOWN, false, false, false, false, 3, 1, 0,
                -1, 0, 0)).hasMessageContaining("Desired Min TX");
        assertThatThrownBy(() -> new BfdControlPacket(0, null, false, false, false, false, 3, 1, 0, 0, 0, 0))
                .isInstanceOf(NullPointerException.class);
        assertThat(packet(0, BfdState.ADMIN_DOWN, false, true, 1, 1, 0).state()).isEqualTo(BfdState.ADMIN_DOWN);
    }

    @Test
    void statesAndDiagnosticsMapTheirCodes() {
        for (BfdState state : BfdState.values()) {
            assertThat(BfdState.ofCode(state.code())).isSameAs(state);
        }
        assertThatThrownBy(() -> BfdState.ofCode(4)).isInstanceOf(IllegalArgumentException.class);
        for (int code = 0; code <= 8; code++) {
            assertThat(BfdDiagnostic.ofCode(code).code()).isEqualTo(code);
        }
        assertThat(BfdDiagnostic.ofCode(9)).isEqualTo(BfdDiagnostic.RESERVED);
        assertThat(BfdDiagnostic.ofCode(31)).isEqualTo(BfdDiagnostic.RESERVED);
        assertThatThrownBy(() -> BfdDiagnostic.ofCode(32)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(BfdDiagnostic.RESERVED::code).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void toStringShowsTheFields() {
        assertThat(BfdControlPacket.decode(UP_POLL).toString()).isEqualTo("BfdControlPacket[UP diag 3 "
                + "(NEIGHBOR_SIGNALED_SESSION_DOWN) P mult 3 my 0x12345678 your 0x9abcdef0 minTx 300000us "
                + "minRx 300000us minEchoRx 0us]");
    }

    private static BfdControlPacket packet(int diag, BfdState state, boolean poll, boolean fin, int mult, long my,
            long your) {
        return new BfdControlPacket(diag, state, poll, fin, false, false, mult, my, your, 1_000_000, 1_000_000, 0);
    }

    private static void assertRejected(byte[] bytes, Reason reason, long offset) {
        BfdControlView view = new BfdControlView();
        assertThat(view.tryWrap(MemorySegment.ofArray(bytes), 0)).isFalse();
        assertThat(view.errorReason()).isEqualTo(reason);
        assertThat(view.errorOffset()).isEqualTo(offset);
        assertThatThrownBy(() -> BfdControlPacket.decode(bytes))
                .isInstanceOfSatisfying(BfdFormatException.class, e -> {
                    assertThat(e.reason()).isEqualTo(reason);
                    assertThat(e.offset()).isEqualTo(offset);
                    assertThat(e.getMessage()).startsWith(reason + " at offset " + offset + ": ");
                });
    }
}
