package io.github.geneve4j.linux.xdp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * One of an XDP socket's four single-producer single-consumer rings, from user space's side
 * ({@code Documentation/networking/af_xdp.rst}): a power-of-two array of entries with a 32-bit
 * producer and consumer index, each counting up forever and wrapping at 2<sup>32</sup>; entry
 * {@code i} lives at slot {@code i & (size - 1)}, and {@code producer - consumer} (as unsigned
 * 32-bit arithmetic) is how many are filled.
 *
 * <p>We produce on the fill and TX rings and consume the RX and completion rings. The index the
 * other side writes is read with acquire semantics (so the entries it published before are seen),
 * ours is written with release semantics (so the entries we wrote are seen before the index that
 * publishes them) — libbpf's {@code smp_load_acquire}/{@code smp_store_release}. The other side's
 * index is cached and read again only when the cached value says there is not enough: one
 * acquire load per batch at most.
 *
 * <p>A batch: {@link #reserve(int)} (or {@link #peek(int)}), then fill (or read) that many entries at
 * {@link #writeOffset(int)} (or {@link #readOffset(int)}), then {@link #submit(int)} (or {@link #release(int)}). Not thread-safe:
 * one thread owns each ring, as the kernel assumes.
 */
final class XdpRing {

    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();
    /** {@code XDP_RING_NEED_WAKEUP} in the ring's flags. */
    static final int NEED_WAKEUP = 1;

    private final MemorySegment memory;
    private final long producerOffset;
    private final long consumerOffset;
    private final long flagsOffset;
    private final long entriesOffset;
    private final int entrySize;
    private final int size;
    private final int mask;
    /** Ours on a producing ring, the kernel's last seen on a consuming one. */
    private int producer;
    /** The kernel's last seen on a producing ring, ours on a consuming one. */
    private int consumer;

    /**
     * @param memory the mapped ring
     * @param producerOffset where the producer index is ({@code struct xdp_ring_offset}'s)
     * @param consumerOffset where the consumer index is
     * @param flagsOffset where the flags are
     * @param entriesOffset where the first entry is
     * @param entrySize 8 (fill, completion: a UMEM address) or 16 (RX, TX: {@code struct xdp_desc})
     * @param size the number of entries, a power of two
     */
    XdpRing(MemorySegment memory, long producerOffset, long consumerOffset, long flagsOffset, long entriesOffset,
            int entrySize, int size) {
        if (size <= 0 || Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException("found a ring of " + size + " entries (expected: a power of two)");
        }
        if (entriesOffset + (long) entrySize * size > memory.byteSize()) {
            throw new IllegalArgumentException("found a ring of " + size + " entries of " + entrySize + " bytes at "
                    + entriesOffset + " (expected: within " + memory.byteSize() + " mapped bytes)");
        }
        this.memory = memory;
        this.producerOffset = producerOffset;
        this.consumerOffset = consumerOffset;
        this.flagsOffset = flagsOffset;
        this.entriesOffset = entriesOffset;
        this.entrySize = entrySize;
        this.size = size;
        this.mask = size - 1;
        this.producer = (int) INT.getAcquire(memory, producerOffset);
        this.consumer = (int) INT.getAcquire(memory, consumerOffset);
    }

    /** The mapped ring. */
    MemorySegment memory() {
        return memory;
    }

    int size() {
        return size;
    }

    // ---- producing (fill, TX) ----

    /**
     * How many of {@code wanted} entries can be written now, at most the free slots: reads the
     * kernel's consumer index again only when the cached one leaves fewer than {@code wanted}.
     */
    int reserve(int wanted) {
        int free = size - (producer - consumer);
        if (free < wanted) {
            consumer = (int) INT.getAcquire(memory, consumerOffset);
            free = size - (producer - consumer);
        }
        return Math.min(free, wanted);
    }

    /** Where the {@code i}-th entry {@link #reserve(int)} granted is. */
    long writeOffset(int i) {
        return entriesOffset + (long) ((producer + i) & mask) * entrySize;
    }

    /** Publishes {@code count} reserved entries to the kernel. */
    void submit(int count) {
        producer += count;
        INT.setRelease(memory, producerOffset, producer);
    }

    // ---- consuming (RX, completion) ----

    /**
     * How many of {@code wanted} entries can be read now: reads the kernel's producer index again
     * only when the cached one shows fewer than {@code wanted}.
     */
    int peek(int wanted) {
        int filled = producer - consumer;
        if (filled < wanted) {
            producer = (int) INT.getAcquire(memory, producerOffset);
            filled = producer - consumer;
        }
        return Math.min(filled, wanted);
    }

    /** Where the {@code i}-th entry {@link #peek(int)} showed is. */
    long readOffset(int i) {
        return entriesOffset + (long) ((consumer + i) & mask) * entrySize;
    }

    /** Hands {@code count} read entries back to the kernel. */
    void release(int count) {
        consumer += count;
        INT.setRelease(memory, consumerOffset, consumer);
    }

    /** Whether the kernel asked to be woken ({@code XDP_RING_NEED_WAKEUP}): a plain-order read, as libbpf's {@code READ_ONCE}. */
    boolean needsWakeup() {
        return ((int) INT.getOpaque(memory, flagsOffset) & NEED_WAKEUP) != 0;
    }

    /** Entries filled and not yet consumed, as last seen from this side. */
    int filled() {
        return producer - consumer;
    }
}
