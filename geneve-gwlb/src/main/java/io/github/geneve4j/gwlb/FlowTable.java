package io.github.geneve4j.gwlb;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The appliance's flows: one entry per endpoint ID and inner 5-tuple, the same for both directions
 * (the two address-and-port ends are stored in a fixed order), expiring after GWLB's idle timeouts.
 * Fixed capacity, allocated once: buckets of {@link #WAYS} slots in one {@code long[]}, each bucket
 * guarded by one of {@link #STRIPES} locks, so receive threads share it without allocating. A full
 * bucket does not stop traffic: the packet goes on untracked, and {@link #full} counts it.
 */
final class FlowTable {

    static final int WAYS = 8;
    static final int STRIPES = 256;
    // slot layout, in longs: endpoint ID, end A address (high, low), end B address (high, low),
    // meta (in-use bit, protocol, port A, port B), last seen (System.nanoTime)
    private static final int ENDPOINT = 0;
    private static final int A_HIGH = 1;
    private static final int A_LOW = 2;
    private static final int B_HIGH = 3;
    private static final int B_LOW = 4;
    private static final int META = 5;
    private static final int SEEN = 6;
    private static final int STRIDE = 7;
    private static final long IN_USE = 1L << 40;

    private final long[] slots;
    private final int bucketMask;
    private final Object[] locks = new Object[STRIPES];
    private final long tcpIdleNanos;
    private final long otherIdleNanos;
    final LongAdder created = new LongAdder();
    final LongAdder expired = new LongAdder();
    final LongAdder full = new LongAdder();
    final LongAdder activeTcp = new LongAdder();
    final LongAdder activeOther = new LongAdder();

    /** A table of at least {@code capacity} flows (rounded up to a power of two, at least {@link #WAYS}). */
    FlowTable(int capacity, long tcpIdleNanos, long otherIdleNanos) {
        int buckets = Integer.highestOneBit(Math.max(1, (Math.max(capacity, WAYS) + WAYS - 1) / WAYS) * 2 - 1);
        this.slots = new long[buckets * WAYS * STRIDE];
        this.bucketMask = buckets - 1;
        this.tcpIdleNanos = tcpIdleNanos;
        this.otherIdleNanos = otherIdleNanos;
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new Object();
        }
    }

    /** The number of slots. */
    int capacity() {
        return slots.length / STRIDE;
    }

    private long idle(long meta) {
        return ((meta >>> 32) & 0xFF) == GwlbPacket.TCP ? tcpIdleNanos : otherIdleNanos;
    }

    /** Flag on {@link #lookup}'s result: the flow was created by this lookup. */
    static final int CREATED = 1 << 30;

    /**
     * The slot of the flow of this packet, created if it is new or its slot expired (then
     * {@code packet.newFlow} is set); -1 if its bucket is full. Sets {@code packet.flow}.
     */
    int track(GwlbPacket packet, long now) {
        int r = lookup(packet.endpointId, packet.protocol, packet.sourceHigh, packet.sourceLow, packet.sourcePort,
                packet.destinationHigh, packet.destinationLow, packet.destinationPort, now, true);
        packet.newFlow = r >= 0 && (r & CREATED) != 0;
        return packet.flow = r < 0 ? -1 : r & ~CREATED;
    }

    /**
     * The slot of a live flow (either direction), or -1; refreshes its last-seen time when
     * {@code create} is false, creates it when true (the result then carries {@link #CREATED}).
     */
    int lookup(long endpoint, int protocol, long sourceHigh, long sourceLow, int sourcePort, long destinationHigh,
            long destinationLow, int destinationPort, long now, boolean create) {
        long aHigh = sourceHigh;
        long aLow = sourceLow;
        long bHigh = destinationHigh;
        long bLow = destinationLow;
        int aPort = sourcePort;
        int bPort = destinationPort;
        int order = Long.compareUnsigned(aHigh, bHigh);
        if (order == 0) {
            order = Long.compareUnsigned(aLow, bLow);
        }
        if (order > 0 || (order == 0 && aPort > bPort)) {
            aHigh = destinationHigh;
            aLow = destinationLow;
            bHigh = sourceHigh;
            bLow = sourceLow;
            aPort = destinationPort;
            bPort = sourcePort;
        }
        long meta = IN_USE | (long) protocol << 32 | (long) aPort << 16 | bPort;
        long hash = mix(endpoint ^ mix(aHigh ^ mix(aLow ^ mix(bHigh ^ mix(bLow ^ meta)))));
        int bucket = (int) hash & bucketMask;
        int base = bucket * WAYS * STRIDE;
        synchronized (locks[bucket & (STRIPES - 1)]) {
            int free = -1;
            for (int s = base, end = base + WAYS * STRIDE; s < end; s += STRIDE) {
                long m = slots[s + META];
                if (m == 0) {
                    if (free < 0) {
                        free = s;
                    }
                    continue;
                }
                boolean live = now - slots[s + SEEN] <= idle(m);
                if (m == meta && slots[s + ENDPOINT] == endpoint && slots[s + A_LOW] == aLow && slots[s + B_LOW] == bLow
                        && slots[s + A_HIGH] == aHigh && slots[s + B_HIGH] == bHigh) {
                    if (live) {
                        slots[s + SEEN] = now;
                        return s / STRIDE;
                    }
                    expire(s);
                    free = s;
                    break;
                }
                if (!live) {
                    expire(s);
                    if (free < 0) {
                        free = s;
                    }
                }
            }
            if (!create) {
                return -1;
            }
            if (free < 0) {
                full.increment();
                return -1;
            }
            slots[free + ENDPOINT] = endpoint;
            slots[free + A_HIGH] = aHigh;
            slots[free + A_LOW] = aLow;
            slots[free + B_HIGH] = bHigh;
            slots[free + B_LOW] = bLow;
            slots[free + META] = meta;
            slots[free + SEEN] = now;
            created.increment();
            (protocol == GwlbPacket.TCP ? activeTcp : activeOther).increment();
            return free / STRIDE | CREATED;
        }
    }

    /** Frees slot {@code s} (under its bucket's lock), counting it expired. */
    private void expire(int s) {
        (((slots[s + META] >>> 32) & 0xFF) == GwlbPacket.TCP ? activeTcp : activeOther).decrement();
        slots[s + META] = 0;
        expired.increment();
    }

    /** Frees every flow idle past its timeout at {@code now}; called about once a second. */
    void sweep(long now) {
        int buckets = bucketMask + 1;
        for (int bucket = 0; bucket < buckets; bucket++) {
            int base = bucket * WAYS * STRIDE;
            synchronized (locks[bucket & (STRIPES - 1)]) {
                for (int s = base, end = base + WAYS * STRIDE; s < end; s += STRIDE) {
                    long m = slots[s + META];
                    if (m != 0 && now - slots[s + SEEN] > idle(m)) {
                        expire(s);
                    }
                }
            }
        }
    }

    /** Live flows per endpoint ID (allocates: for statistics). */
    Map<Long, Long> flowsPerEndpoint(long now) {
        Map<Long, Long> counts = new TreeMap<>(Long::compareUnsigned);
        int buckets = bucketMask + 1;
        for (int bucket = 0; bucket < buckets; bucket++) {
            int base = bucket * WAYS * STRIDE;
            synchronized (locks[bucket & (STRIPES - 1)]) {
                for (int s = base, end = base + WAYS * STRIDE; s < end; s += STRIDE) {
                    long m = slots[s + META];
                    if (m != 0 && now - slots[s + SEEN] <= idle(m)) {
                        counts.merge(slots[s + ENDPOINT], 1L, Long::sum);
                    }
                }
            }
        }
        return counts;
    }

    /** The finalizer of MurmurHash3's 64-bit variant: every input bit reaches every output bit. */
    private static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        return h ^ (h >>> 33);
    }
}
