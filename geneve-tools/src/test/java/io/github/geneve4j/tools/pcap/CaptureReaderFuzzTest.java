package io.github.geneve4j.tools.pcap;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.foreign.MemorySegment;

/**
 * Fuzzing the capture reader and the outer-header walk of {@code dump}: any file ends in packets
 * and at most one {@link CaptureFormatException}, never another exception, a hang or a read past
 * the file. Regression inputs live in {@code CaptureReaderFuzzTestInputs/}.
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

    @FuzzTest(maxDuration = "10m")
    void outerHeaderWalkIsTotal(FuzzedDataProvider data) {
        int linkType = data.pickValue(new int[] {LinkType.ETHERNET, LinkType.RAW, LinkType.LINUX_SLL,
            LinkType.LINUX_SLL2, 0});
        byte[] packet = data.consumeRemainingAsBytes();
        io.github.geneve4j.tools.cli.DumpProbe.locate(linkType, packet);
    }
}
