package io.github.geneve4j.codec;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * Coverage-guided fuzzing of the Geneve decoders (Jazzer). Under the normal test command each
 * target runs its committed inputs ({@code src/test/resources/.../GeneveDecodeFuzzTestInputs/})
 * as regression tests; {@code JAZZER_FUZZ=1 mvn -pl geneve-codec test -Dtest=GeneveDecodeFuzzTest}
 * fuzzes for real (see README, "Robustness").
 */
class GeneveDecodeFuzzTest {

    /**
     * Any bytes: our exception or a header; view and record agree field by field; a decoded header
     * re-encodes to bytes that decode to the same header (stable), equal to the input with the
     * reserved bits cleared.
     */
    @FuzzTest(maxDuration = "10m")
    void decodeIsTotalAndStable(byte[] input) {
        GeneveProperties.decodesOrRejectsCleanly(input);
        GeneveView view = new GeneveView();
        if (!view.tryWrap(ByteBuffer.wrap(input), 0)) {
            return;
        }
        GeneveHeader header = view.toHeader();
        byte[] encoded = header.toBytes();
        assertThat(GeneveHeader.decode(MemorySegment.ofArray(encoded), 0)).isEqualTo(header);
        assertThat(encoded.length).isEqualTo(view.headerLength());
        for (int i = 0; i < encoded.length; i++) {
            int reservedMask = i == 1 ? 0x3F : i == 7 ? 0xFF : 0;
            assertThat(encoded[i] & ~reservedMask & 0xFF).as("byte %d", i).isEqualTo(input[i] & ~reservedMask & 0xFF
                    & (isOptionLengthByte(input, i) ? 0x1F : 0xFF));
        }
    }

    private static boolean isOptionLengthByte(byte[] header, int index) {
        int end = 8 + 4 * (header[0] & 0x3F);
        for (int at = 8; at < end; at += 4 + 4 * (header[at + 3] & 0x1F)) {
            if (index == at + 3) {
                return true;
            }
        }
        return false;
    }
}
