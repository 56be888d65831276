package io.github.geneve4j.linux.xdp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link XdpRing} over an in-memory fake of the kernel's side: the same layout the kernel maps
 * (producer, consumer and flags on their own cache lines, then the entries), with the fake
 * reading our index with acquire and writing its own with release, as the kernel does. Indices
 * start where a test says, so the wrap at 2<sup>32</sup> comes within a few entries.
 */
class XdpRingTest {

    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    private static final long PRODUCER = 0;
    private static final long CONSUMER = 64;
    private static final long FLAGS = 128;
    private static final long ENTRIES = 192;

    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void close() {
        arena.close();
    }

    /** The kernel's end of one ring. */
    private static final class FakeKernel {
        final MemorySegment memory;
        final int size;

        FakeKernel(MemorySegment memory, int size) {
            this.memory = memory;
            this.size = size;
        }

        /** Consumes up to {@code max} entries we produced (fill or TX ring); returns them. */
        List<Long> consume(int max) {
            int producer = (int) INT.getAcquire(memory, PRODUCER);
            int consumer = (int) INT.get(memory, CONSUMER);
            List<Long> got = new ArrayList<>();
            while (consumer != producer && got.size() < max) {
                got.add(memory.get(ValueLayout.JAVA_LONG, ENTRIES + 8L * (consumer & (size - 1))));
                consumer++;
            }
            INT.setRelease(memory, CONSUMER, consumer);
            return got;
        }

        /** Produces {@code values} for us to consume (RX or completion ring); returns how many fitted. */
        int produce(long... values) {
            int producer = (int) INT.get(memory, PRODUCER);
            int consumer = (int) INT.getAcquire(memory, CONSUMER);
            int n = 0;
            while (n < values.length && producer - consumer < size) {
                memory.set(ValueLayout.JAVA_LONG, ENTRIES + 8L * (producer & (size - 1)), values[n++]);
                producer++;
            }
            INT.setRelease(memory, PRODUCER, producer);
            return n;
        }
    }

    private MemorySegment ringMemory(int size, int startIndex) {
        MemorySegment memory = arena.allocate(ENTRIES + 8L * size, 64);
        memory.set(ValueLayout.JAVA_INT, PRODUCER, startIndex);
        memory.set(ValueLayout.JAVA_INT, CONSUMER, startIndex);
        return memory;
    }

    private static XdpRing ring(MemorySegment memory, int size) {
        return new XdpRing(memory, PRODUCER, CONSUMER, FLAGS, ENTRIES, 8, size);
    }

    private static void produce(XdpRing ring, long... values) {
        int n = ring.reserve(values.length);
        assertThat(n).isEqualTo(values.length);
        for (int i = 0; i < n; i++) {
            ring.memory().set(ValueLayout.JAVA_LONG, ring.writeOffset(i), values[i]);
        }
        ring.submit(n);
    }

    @Test
    void producedEntriesReachTheKernelInOrderAcrossTheWrap() {
        int start = 0xFFFF_FFF0; // 16 entries before the index wraps to 0
        MemorySegment memory = ringMemory(16, start);
        XdpRing ring = ring(memory, 16);
        FakeKernel kernel = new FakeKernel(memory, 16);
        List<Long> seen = new ArrayList<>();
        long next = 0;
        while (next < 100) {
            int n = ring.reserve((int) Math.min(7, 100 - next));
            for (int i = 0; i < n; i++) {
                memory.set(ValueLayout.JAVA_LONG, ring.writeOffset(i), next++);
            }
            ring.submit(n);
            seen.addAll(kernel.consume(5));
        }
        seen.addAll(kernel.consume(100));
        assertThat(seen).hasSize(100);
        for (int i = 0; i < 100; i++) {
            assertThat(seen.get(i)).isEqualTo(i);
        }
        assertThat(memory.get(ValueLayout.JAVA_INT, PRODUCER)).as("the index wrapped").isEqualTo(start + 100).isEqualTo(84);
    }

    @Test
    void consumedEntriesComeInOrderAcrossTheWrap() {
        int start = -3;
        MemorySegment memory = ringMemory(8, start);
        XdpRing ring = ring(memory, 8);
        FakeKernel kernel = new FakeKernel(memory, 8);
        List<Long> seen = new ArrayList<>();
        long next = 1000;
        while (seen.size() < 50) {
            long[] batch = new long[5];
            for (int i = 0; i < batch.length; i++) {
                batch[i] = next + i;
            }
            next += kernel.produce(batch);
            int n = ring.peek(3);
            for (int i = 0; i < n; i++) {
                seen.add(memory.get(ValueLayout.JAVA_LONG, ring.readOffset(i)));
            }
            ring.release(n);
        }
        for (int i = 0; i < seen.size(); i++) {
            assertThat(seen.get(i)).isEqualTo(1000 + i);
        }
    }

    @Test
    void reserveStopsAtAFullRingUntilTheKernelConsumes() {
        MemorySegment memory = ringMemory(16, 0x7FFF_FFFA); // also across the sign change of an int
        XdpRing ring = ring(memory, 16);
        FakeKernel kernel = new FakeKernel(memory, 16);
        assertThat(ring.reserve(20)).as("a batch is bounded by the ring").isEqualTo(16);
        produce(ring, new long[16]);
        assertThat(ring.reserve(1)).as("full").isZero();
        assertThat(kernel.consume(5)).hasSize(5);
        assertThat(ring.reserve(10)).isEqualTo(5);
        assertThat(ring.reserve(3)).isEqualTo(3);
    }

    @Test
    void peekSeesNothingOnAnEmptyRingAndAtMostWhatWasProduced() {
        MemorySegment memory = ringMemory(16, -1);
        XdpRing ring = ring(memory, 16);
        FakeKernel kernel = new FakeKernel(memory, 16);
        assertThat(ring.peek(64)).as("empty").isZero();
        kernel.produce(1, 2, 3);
        assertThat(ring.peek(2)).as("a batch limit below what is there").isEqualTo(2);
        assertThat(ring.peek(64)).isEqualTo(3);
        ring.release(3);
        assertThat(ring.peek(64)).isZero();
        assertThat(kernel.produce(new long[20])).as("the fake stops at the ring's size too").isEqualTo(16);
        assertThat(ring.peek(64)).isEqualTo(16);
    }

    @Test
    void oneAcquireLoadServesAWholeBatch() {
        MemorySegment memory = ringMemory(16, 0);
        XdpRing ring = ring(memory, 16);
        FakeKernel kernel = new FakeKernel(memory, 16);
        kernel.produce(1, 2, 3, 4);
        assertThat(ring.peek(2)).isEqualTo(2);
        kernel.produce(5, 6);
        // the cached producer index (4) still covers a batch of 2: not read again
        ring.release(2);
        assertThat(ring.peek(2)).isEqualTo(2);
        ring.release(2);
        // the cache is exhausted now: read again, and the newer entries appear
        assertThat(ring.peek(8)).isEqualTo(2);
    }

    @Test
    void needsWakeupFollowsTheFlag() {
        MemorySegment memory = ringMemory(16, 0);
        XdpRing ring = ring(memory, 16);
        assertThat(ring.needsWakeup()).isFalse();
        memory.set(ValueLayout.JAVA_INT, FLAGS, XdpRing.NEED_WAKEUP);
        assertThat(ring.needsWakeup()).isTrue();
    }

    @Test
    void refusesSizesThatAreNotPowersOfTwoOrDoNotFit() {
        MemorySegment memory = ringMemory(16, 0);
        assertThatThrownBy(() -> new XdpRing(memory, PRODUCER, CONSUMER, FLAGS, ENTRIES, 8, 12))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("power of two");
        assertThatThrownBy(() -> new XdpRing(memory, PRODUCER, CONSUMER, FLAGS, ENTRIES, 8, 32))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("within");
    }
}
