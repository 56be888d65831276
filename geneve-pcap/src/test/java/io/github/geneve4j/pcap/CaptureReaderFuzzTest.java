package io.github.geneve4j.pcap;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;

/**
 * Fuzzing the capture reader: any file ends in packets and at most one
 * {@link CaptureFormatException}, never another exception, a hang or a read past the file; the
 * iterator gives the same packets and the same error (as the cause of an
 * {@link UncheckedIOException}). Regression inputs live in {@code CaptureReaderFuzzTestInputs/}.
 */
class CaptureReaderFuzzTest {

    @FuzzTest(maxDuration = "10m")
    void readerIsTotal(byte[] file) {
        long frames = 0;
        String error = null;
        try (CaptureReader reader = CaptureReader.of(MemorySegment.ofArray(file))) {
            long bytes = 0;
            for (CapturedPacket p; (p = reader.next()) != null; ) {
                frames++;
                assertThat(p.frame()).isEqualTo(frames);
                bytes += p.data().byteSize();
                assertThat(bytes).isLessThanOrEqualTo(file.length);
            }
        } catch (CaptureFormatException expected) {
            assertThat(expected.fileOffset()).isBetween(0L, (long) file.length);
            error = expected.getMessage();
        }
        long iterated = 0;
        String iteratorError = null;
        try (CaptureReader reader = CaptureReader.of(MemorySegment.ofArray(file))) {
            for (CapturedPacket p : reader) {
                assertThat(p.frame()).isEqualTo(++iterated);
            }
        } catch (CaptureFormatException e) {
            iteratorError = e.getMessage(); // from of(), as the first pass's was
        } catch (UncheckedIOException e) {
            assertThat(e.getCause()).isInstanceOf(CaptureFormatException.class);
            iteratorError = e.getCause().getMessage();
        }
        assertThat(iterated).isEqualTo(frames);
        assertThat(iteratorError).isEqualTo(error);
    }
}
