package io.github.geneve4j.codec;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.testing.Backing;
import io.github.geneve4j.testing.Hex;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The hot path allocates nothing per packet: wrap, every accessor, an option walk and the
 * non-throwing rejection of bad input. A guard in the unit suite; the JMH figures with
 * {@code -prof gc} are in geneve-bench. Any per-packet object (16+ bytes) over 200,000 packets
 * would show as megabytes, far above the bound.
 */
class ViewAllocationTest {

    private static final byte[] GWLB = Hex.bytes("08 00 08 00 00 00 00 00 | 01 08 01 02 11 22 33 44 55 66 77 88"
            + " | 01 08 02 02 99 aa bb cc dd ee ff 00 | 01 08 03 01 12 34 56 78 | 45 00 00 14");
    private static final byte[] BAD = Hex.bytes("01 00 65 58 00 13 88 00 | ff ff 01 01 | 00 00 00 00");

    @ParameterizedTest
    @EnumSource(Backing.class)
    void wrappingAndReadingAllocatesNothingPerPacket(Backing backing) {
        var threads = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(threads instanceof com.sun.management.ThreadMXBean bean
                && bean.isThreadAllocatedMemorySupported(), "per-thread allocation counter unavailable");
        var bean = (com.sun.management.ThreadMXBean) threads;
        Backing.Placed good = backing.place(GWLB, 9, 0);
        Backing.Placed bad = backing.place(BAD, 3, 0);
        GeneveView view = new GeneveView();
        long sink = loop(view, good, bad, backing, 20_000); // warm up, and let the ByteBuffer cache fill
        long before = bean.getCurrentThreadAllocatedBytes();
        sink += loop(view, good, bad, backing, 200_000);
        long allocated = bean.getCurrentThreadAllocatedBytes() - before;
        assertThat(sink).isNotZero();
        assertThat(allocated).as("bytes allocated over 200,000 packets").isLessThan(50_000);
    }

    private static long loop(GeneveView view, Backing.Placed good, Backing.Placed bad, Backing backing, int n) {
        long sink = 0;
        for (int i = 0; i < n; i++) {
            boolean ok = backing.isBuffer() ? view.tryWrap(good.buffer(), good.offset())
                    : view.tryWrap(good.memory(), good.offset());
            if (ok) {
                sink += view.vni() + view.protocolType() + view.payloadOffset() + (view.critical() ? 1 : 0);
                for (GeneveOptionCursor o = view.options(); o.next(); ) {
                    sink += o.optionClass() + o.type() + o.dataLength() + o.dataU8(0);
                }
            }
            boolean rejected = backing.isBuffer() ? !view.tryWrap(bad.buffer(), bad.offset())
                    : !view.tryWrap(bad.memory(), bad.offset());
            sink += rejected ? view.errorOffset() : 0;
        }
        return sink;
    }
}
