package io.github.geneve4j.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The single-producer, single-consumer ring between the event loop and the engine's threads. */
class HandoffRingTest {

    @Test
    void handsOverInOrderUpToItsCapacityAndRefusesWhenFull() {
        HandoffRing<Integer> ring = new HandoffRing<>(4);
        assertThat(ring.isEmpty()).isTrue();
        assertThat(ring.peek()).isNull();
        assertThat(ring.poll()).isNull();
        for (int i = 0; i < 4; i++) {
            assertThat(ring.offer(i)).isTrue();
            assertThat(ring.size()).isEqualTo(i + 1);
            assertThat(ring.free()).isEqualTo(3 - i);
        }
        assertThat(ring.offer(4)).as("full").isFalse();
        assertThat(ring.peek()).isEqualTo(0);
        assertThat(ring.peek()).as("peek takes nothing").isEqualTo(0);
        assertThat(ring.poll()).isEqualTo(0);
        assertThat(ring.offer(4)).as("a slot freed").isTrue();
        assertThat(ring.poll()).isEqualTo(1);
        assertThat(ring.poll()).isEqualTo(2);
        assertThat(ring.poll()).isEqualTo(3);
        assertThat(ring.poll()).isEqualTo(4);
        assertThat(ring.isEmpty()).isTrue();
        assertThat(ring.free()).isEqualTo(4);
    }

    @Test
    void wrapsAroundManyTimes() {
        HandoffRing<Long> ring = new HandoffRing<>(8);
        long next = 0;
        long expected = 0;
        for (int round = 0; round < 10_000; round++) {
            int batch = round % 9; // 0..8: empty, partly full and full rings at every position
            for (int i = 0; i < batch; i++) {
                assertThat(ring.offer(next++)).isTrue();
            }
            for (Long v; (v = ring.poll()) != null; ) {
                assertThat(v).isEqualTo(expected++);
            }
        }
        assertThat(expected).isEqualTo(next);
    }

    @Test
    void refusesACapacityThatIsNoPowerOfTwo() {
        for (int capacity : new int[] {0, -4, 3, 1000}) {
            assertThatThrownBy(() -> new HandoffRing<>(capacity)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("found capacity " + capacity);
        }
        assertThat(new HandoffRing<>(1024).capacity()).isEqualTo(1024);
    }

    /** Two threads, 100,000 objects through a ring of 16: each arrives once, in order, whole. */
    @Test
    void oneProducerAndOneConsumerThreadLoseNothing() throws Exception {
        HandoffRing<int[]> ring = new HandoffRing<>(16);
        int count = 100_000;
        CompletableFuture<Void> producer = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < count; ) {
                if (ring.offer(new int[] {i, ~i})) {
                    i++;
                } else {
                    Thread.onSpinWait();
                }
            }
        });
        for (int expected = 0; expected < count; ) {
            int[] v = ring.poll();
            if (v == null) {
                Thread.onSpinWait();
                continue;
            }
            if (v[0] != expected || v[1] != ~expected) { // published whole, in order
                throw new AssertionError("found " + v[0] + "/" + v[1] + " (expected: " + expected + "/" + ~expected + ")");
            }
            expected++;
        }
        producer.get(60, TimeUnit.SECONDS); // a hang guard, not a timing window
        assertThat(ring.isEmpty()).isTrue();
    }
}
