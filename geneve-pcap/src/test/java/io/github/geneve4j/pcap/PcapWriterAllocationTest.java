package io.github.geneve4j.pcap;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The segment and buffer forms of {@link PcapWriter} make no array per record. 1000 records of
 * 1500 bytes are written to a sink that keeps nothing; an array per record would be 1.5 MB, the
 * bound is 16 bytes a record (a stray small object per record would still fit; an array cannot).
 */
class PcapWriterAllocationTest {

    private static final int RECORDS = 1000;
    private static final int FRAME = 1500;

    enum Form { HEAP_SEGMENT, NATIVE_SEGMENT, HEAP_BUFFER, DIRECT_BUFFER, TRY_WRITE }

    @ParameterizedTest
    @EnumSource(Form.class)
    void writesNoArrayPerRecord(Form form) throws IOException {
        var threads = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(threads instanceof com.sun.management.ThreadMXBean bean
                && bean.isThreadAllocatedMemorySupported(), "per-thread allocation counter unavailable");
        var bean = (com.sun.management.ThreadMXBean) threads;
        long thread = Thread.currentThread().threadId();
        try (Arena arena = Arena.ofConfined();
                PcapWriter pcap = PcapWriter.to(OutputStream.nullOutputStream(), LinkType.ETHERNET)) {
            MemorySegment segment = form == Form.NATIVE_SEGMENT ? arena.allocate(FRAME + 8)
                    : MemorySegment.ofArray(new byte[FRAME + 8]);
            ByteBuffer buffer = (form == Form.DIRECT_BUFFER ? ByteBuffer.allocateDirect(FRAME + 8)
                    : ByteBuffer.allocate(FRAME + 8)).position(8);
            write(pcap, form, segment, buffer, 20 * RECORDS); // warm up: compiled, and the buffer drained often
            long before = bean.getThreadAllocatedBytes(thread);
            write(pcap, form, segment, buffer, RECORDS);
            long allocated = bean.getThreadAllocatedBytes(thread) - before;
            assertThat(allocated).as("bytes allocated writing %d records of %d bytes", RECORDS, FRAME)
                    .isLessThan(16L * RECORDS);
        }
    }

    private static void write(PcapWriter pcap, Form form, MemorySegment segment, ByteBuffer buffer, int n)
            throws IOException {
        for (int i = 0; i < n; i++) {
            switch (form) {
                case HEAP_SEGMENT, NATIVE_SEGMENT -> pcap.write(i, segment, 8, FRAME);
                case HEAP_BUFFER, DIRECT_BUFFER -> pcap.write(i, buffer);
                case TRY_WRITE -> {
                    if (!pcap.tryWrite(i, segment, 8, FRAME)) {
                        throw new AssertionError("tryWrite to a null stream failed");
                    }
                }
            }
        }
    }
}
