package io.github.geneve4j.netty;

/**
 * A bounded ring that hands objects from one producer thread to one consumer thread, without a
 * lock and without allocating: between Netty's event loop and the engine's receiving thread, and
 * between the engine's sending thread and the event loop.
 *
 * <p>The producer writes a slot, then publishes it by moving {@code tail} (a volatile write); the
 * consumer reads {@code tail} (a volatile read) before the slot, takes it, clears it and moves
 * {@code head}, which frees the slot for the producer. So each slot is written by one thread at a
 * time and the other sees it whole. {@link #size()} and {@link #free()} are snapshots from either
 * side: exact for the side that calls them about its own end, at most stale in the safe direction
 * about the other's (fewer queued for the consumer, fewer free for the producer).
 *
 * @param <E> what the ring holds
 */
final class HandoffRing<E> {

    private final Object[] slots;
    private final int mask;
    private volatile long head; // the next slot to take; written by the consumer only
    private volatile long tail; // the next slot to fill; written by the producer only

    /**
     * @throws IllegalArgumentException unless {@code capacity} is a power of two (slots are found by a mask)
     */
    HandoffRing(int capacity) {
        if (capacity <= 0 || Integer.bitCount(capacity) != 1) {
            throw new IllegalArgumentException("found capacity " + capacity + " (expected: a power of two)");
        }
        slots = new Object[capacity];
        mask = capacity - 1;
    }

    int capacity() {
        return slots.length;
    }

    /** Producer: queues {@code e} (not null); false when the ring is full. */
    boolean offer(E e) {
        long t = tail;
        if (t - head >= slots.length) {
            return false;
        }
        slots[(int) t & mask] = e;
        tail = t + 1;
        return true;
    }

    /** Consumer: the next object without taking it, or null when none is queued. */
    @SuppressWarnings("unchecked")
    E peek() {
        long h = head;
        return h == tail ? null : (E) slots[(int) h & mask];
    }

    /** Consumer: takes the next object, or null when none is queued. */
    @SuppressWarnings("unchecked")
    E poll() {
        long h = head;
        if (h == tail) {
            return null;
        }
        int slot = (int) h & mask;
        E e = (E) slots[slot];
        slots[slot] = null; // the ring keeps nothing alive that it handed out
        head = h + 1;
        return e;
    }

    /** Whether nothing is queued. */
    boolean isEmpty() {
        return head == tail;
    }

    /** Objects queued. */
    int size() {
        long h = head;
        return (int) (tail - h);
    }

    /** Slots free. */
    int free() {
        return slots.length - size();
    }
}
