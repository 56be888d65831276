package io.github.geneve4j.endpoint.bfd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.foreign.MemorySegment;

/**
 * Coverage-guided fuzzing of the BFD receive path (Jazzer). Under the normal test command each
 * target runs its committed inputs ({@code src/test/resources/.../BfdControlViewFuzzTestInputs/}) as
 * regression tests; {@code JAZZER_FUZZ=1 mvn -pl geneve-endpoint test -Dtest=BfdControlViewFuzzTest}
 * fuzzes for real.
 */
class BfdControlViewFuzzTest {

    /**
     * Any bytes: a packet or a reason, never another exception; the throwing and non-throwing forms
     * agree; an accepted packet re-encodes to the same 24 bytes but for Length (always 24 when we
     * write), and decodes back to the same record.
     */
    @FuzzTest(maxDuration = "10m")
    void viewIsTotalAndStable(byte[] input) {
        MemorySegment segment = MemorySegment.ofArray(input);
        BfdControlView view = new BfdControlView();
        if (!view.tryWrap(segment, 0)) {
            BfdFormatException.Reason reason = view.errorReason();
            assertThat(reason).isNotNull();
            assertThat(view.errorOffset()).isBetween(0L, 23L);
            assertThat(view.errorMessage()).isNotBlank();
            assertThatThrownBy(() -> BfdControlPacket.decode(input))
                    .isInstanceOfSatisfying(BfdFormatException.class, e -> assertThat(e.reason()).isEqualTo(reason));
            return;
        }
        BfdControlPacket packet = view.toPacket();
        byte[] encoded = packet.toBytes();
        for (int i = 0; i < Bfd.CONTROL_PACKET_LENGTH; i++) {
            if (i != 3) {
                assertThat(encoded[i]).as("byte %d", i).isEqualTo(input[i]);
            }
        }
        assertThat(BfdControlPacket.decode(encoded)).isEqualTo(packet);
        assertThat(view.length()).isBetween(Bfd.CONTROL_PACKET_LENGTH, input.length);
    }

    /**
     * Any inner frame: a verdict, never an exception; a control packet lies inside the frame; a
     * session takes any valid packet and keeps its invariants (Poll and Final never together).
     */
    @FuzzTest(maxDuration = "10m")
    void classifierAndSessionAreTotal(byte[] frame) {
        MemorySegment segment = MemorySegment.ofArray(frame);
        BfdFrameClassifier classifier = new BfdFrameClassifier();
        BfdFrameVerdict verdict = classifier.classify(segment, 0, frame.length);
        if (verdict != BfdFrameVerdict.CONTROL_PACKET) {
            return;
        }
        assertThat(classifier.payloadOffset() + classifier.payloadLength()).isLessThanOrEqualTo(frame.length);
        BfdControlView view = new BfdControlView();
        if (!view.tryWrap(segment, classifier.payloadOffset(), classifier.payloadLength())) {
            return;
        }
        long[] now = {0};
        BfdSession session = BfdSession.builder().localDiscriminator(view.yourDiscriminator() == 0 ? 1
                : view.yourDiscriminator()).clock(() -> now[0]).build();
        byte[] out = new byte[Bfd.CONTROL_PACKET_LENGTH];
        for (int round = 0; round < 3; round++) {
            session.onPacket(view, now[0]);
            while (session.poll(now[0])) {
                session.writePacket(MemorySegment.ofArray(out), 0);
                BfdControlPacket.decode(out); // valid, so never Poll and Final together
            }
            long deadline = session.nextDeadline();
            if (deadline == Long.MAX_VALUE) {
                break;
            }
            now[0] = Math.max(now[0], deadline);
        }
    }
}
