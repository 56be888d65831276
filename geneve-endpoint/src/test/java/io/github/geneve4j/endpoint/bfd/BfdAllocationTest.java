package io.github.geneve4j.endpoint.bfd;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The BFD per-packet path allocates nothing: writing a frame, classifying it, wrapping the view,
 * the session taking it in, its timers and a rejected frame. Two sessions exchange 200,000 frames
 * in native memory on a simulated clock; any per-packet object (16+ bytes) would show as megabytes.
 */
class BfdAllocationTest {

    private long now;

    @Test
    void exchangingPacketsAllocatesNothing() {
        var threads = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(threads instanceof com.sun.management.ThreadMXBean bean
                && bean.isThreadAllocatedMemorySupported(), "per-thread allocation counter unavailable");
        var bean = (com.sun.management.ThreadMXBean) threads;
        BfdTimers timers = BfdTimers.ofMillis(10, 10, 3);
        BfdSession a = BfdSession.builder().localDiscriminator(1).timers(timers).clock(() -> now).build();
        BfdSession b = BfdSession.builder().localDiscriminator(2).timers(timers).clock(() -> now).build();
        BfdEncapsulation encapA = BfdEncapsulation.defaults(0x02_00_00_00_00_01L, 49152);
        BfdEncapsulation encapB = BfdEncapsulation.defaults(0x02_00_00_00_00_02L, 49153).withUdpChecksum(false);
        BfdFrameClassifier classifier = new BfdFrameClassifier();
        BfdControlView view = new BfdControlView();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(128);
            MemorySegment bad = arena.allocate(128);
            long sink = loop(a, b, encapA, encapB, classifier, view, buffer, bad, 20_000);
            long before = bean.getCurrentThreadAllocatedBytes();
            sink += loop(a, b, encapA, encapB, classifier, view, buffer, bad, 200_000);
            long allocated = bean.getCurrentThreadAllocatedBytes() - before;
            assertThat(sink).isNotZero();
            assertThat(a.state()).isEqualTo(BfdState.UP);
            assertThat(b.state()).isEqualTo(BfdState.UP);
            assertThat(allocated).as("bytes allocated over 200,000 exchanges").isLessThan(50_000);
        }
    }

    private long loop(BfdSession a, BfdSession b, BfdEncapsulation encapA, BfdEncapsulation encapB,
            BfdFrameClassifier classifier, BfdControlView view, MemorySegment buffer, MemorySegment bad, int n) {
        long sink = 0;
        for (int i = 0; i < n; i++) {
            now += 1_000_000; // 1 ms
            sink += exchange(a, encapA, b, classifier, view, buffer);
            sink += exchange(b, encapB, a, classifier, view, buffer);
            MemorySegment.copy(buffer, 0, bad, 0, BfdEncapsulation.FRAME_LENGTH);
            bad.set(java.lang.foreign.ValueLayout.JAVA_BYTE, BfdEncapsulation.CONTROL_PACKET_OFFSET + 2, (byte) 0);
            if (classifier.classify(bad, 0, BfdEncapsulation.FRAME_LENGTH) == BfdFrameVerdict.CONTROL_PACKET
                    && !view.tryWrap(bad, classifier.payloadOffset(), classifier.payloadLength())) {
                sink += view.errorReason().ordinal() + view.errorOffset(); // Detect Mult 0
            }
        }
        return sink;
    }

    private long exchange(BfdSession from, BfdEncapsulation encap, BfdSession to, BfdFrameClassifier classifier,
            BfdControlView view, MemorySegment buffer) {
        long sink = 0;
        while (from.poll(now)) {
            sink += encap.writeFrame(buffer, 0, from);
            if (classifier.classify(buffer, 0, BfdEncapsulation.FRAME_LENGTH) == BfdFrameVerdict.CONTROL_PACKET
                    && view.tryWrap(buffer, classifier.payloadOffset(), classifier.payloadLength())) {
                BfdReception reception = to.onPacket(view, now);
                sink += reception.ordinal() + 1;
                if (reception == BfdReception.ACCEPTED_FINAL_DUE) {
                    to.poll(now);
                    encap.writeFrame(buffer, 0, to); // written, not delivered: its Final is lost
                }
            }
        }
        return sink + to.nextDeadline();
    }
}
