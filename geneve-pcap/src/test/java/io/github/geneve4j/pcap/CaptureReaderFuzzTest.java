package io.github.geneve4j.pcap;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.foreign.MemorySegment;

/**
 * Fuzzing the capture reader: any file ends in packets and at most one
 * {@link CaptureFormatException}, never another exception, a hang or a read past the file.
 * Regression inputs live in {@code CaptureReaderFuzzTestInputs/}.
 */
class CaptureReaderFuzzTest {

    @FuzzTest(maxDuration = "10m")
    void readerIsTotal(byte[] file) {
        try (CaptureReader reader = CaptureReader.of(MemorySegment.ofArray(file))) {
            long frames = 0;
            long bytes = 0;
            for (CapturedPacket p; (p = reader.next()) != null; ) {
                frames++;
                assertThat(p.frame()).isEqualTo(frames);
                bytes += p.data().byteSize();
                assertThat(bytes).isLessThanOrEqualTo(file.length);
            }
        } catch (CaptureFormatException expected) {
            assertThat(expected.fileOffset()).isBetween(0L, (long) file.length);
        }
    }
}
