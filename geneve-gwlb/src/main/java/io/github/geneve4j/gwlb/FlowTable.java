package io.github.geneve4j.gwlb;

import java.security.SecureRandom;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The appliance's flows: one entry per endpoint ID and inner 5-tuple, the same for both directions
 * (the two address-and-port ends are stored in a fixed order), expiring after GWLB's idle timeouts.
 * Fixed capacity, allocated once: buckets of {@link #WAYS} slots in one {@code long[]}, each bucket
 * guarded by one of {@link #STRIPES} locks, so receive threads share it without allocating. A full
 * bucket does not stop traffic: the packet goes on untracked, and {@link #full} counts it.
 *
 * <p>Two defences against a sender who shapes flows. The bucket comes from SipHash-1-3 over the whole
 * key with a random 128-bit key drawn once per process, so nobody can craft flows that share a bucket
 * (an unkeyed hash of the XORed fields let 20,000 crafted flows share 400 of 1,024 slots). And each flow
 * is owned by the outer IPv4 source address of the datagram that created it: while it lives, a datagram of
 * the same flow from another outer source is refused ({@link #OTHER_SOURCE}), so nobody can replay one
 * packet of a live flow to take over where its answers go (in kernel-inspection mode, the kernel's
 * packets go back to the flow's GWLB address). The owner, not a key part: the kernel's packets carry no
 * outer address, so a flow must be one entry whatever sent it; and GWLB sends a flow from one address.
 */
final class FlowTable {

    static final int WAYS = 8;
    static final int STRIPES = 256;
    // slot layout, in longs: endpoint ID, end A address (high, low), end B address (high, low),
    // meta (in-use bit, protocol, port A, port B), last seen (System.nanoTime), owner (outer IPv4 source)
    private static final int ENDPOINT = 0;
    private static final int A_HIGH = 1;
    private static final int A_LOW = 2;
    private static final int B_HIGH = 3;
    private static final int B_LOW = 4;
    private static final int META = 5;
    private static final int SEEN = 6;
    private static final int OWNER = 7;
    private static final int STRIDE = 8;
    private static final long IN_USE = 1L << 40;
    /** {@link #lookup}'s result when a live flow belongs to another outer source. */
    static final int OTHER_SOURCE = -2;
    /** The per-process SipHash key: flows hash to buckets no sender can predict. */
    private static final long K0;
    private static final long K1;

    static {
        SecureRandom random = new SecureRandom();
        K0 = random.nextLong();
        K1 = random.nextLong();
    }

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
     * The slot of the flow of this packet from the outer IPv4 source {@code outerSource}, created if it is
     * new or its slot expired (then {@code packet.newFlow} is set); -1 if its bucket is full,
     * {@link #OTHER_SOURCE} if the live flow belongs to another outer source (not refreshed). Sets
     * {@code packet.flow} (-1 unless a slot).
     */
    int track(GwlbPacket packet, int outerSource, long now) {
        int r = lookup(packet.endpointId, packet.protocol, packet.sourceHigh, packet.sourceLow, packet.sourcePort,
                packet.destinationHigh, packet.destinationLow, packet.destinationPort, now, true, outerSource);
        packet.newFlow = r >= 0 && (r & CREATED) != 0;
        packet.flow = r < 0 ? -1 : r & ~CREATED;
        return r < 0 ? r : packet.flow;
    }

    /**
     * The slot of a live flow (either direction), or -1; refreshes its last-seen time. For the kernel's
     * packets, which have no outer source: any owner's.
     */
    int lookup(long endpoint, int protocol, long sourceHigh, long sourceLow, int sourcePort, long destinationHigh,
            long destinationLow, int destinationPort, long now) {
        return lookup(endpoint, protocol, sourceHigh, sourceLow, sourcePort, destinationHigh, destinationLow,
                destinationPort, now, false, 0);
    }

    /**
     * The slot of a live flow (either direction), or -1; when {@code create}, a flow owned by
     * {@code outerSource}: created if new (the result then carries {@link #CREATED}), {@link #OTHER_SOURCE}
     * if the live one has another owner. Refreshes the last-seen time of a flow it returns.
     */
    private int lookup(long endpoint, int protocol, long sourceHigh, long sourceLow, int sourcePort, long destinationHigh,
            long destinationLow, int destinationPort, long now, boolean create, int outerSource) {
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
        long hash = sipHash(endpoint, aHigh, aLow, bHigh, bLow, meta);
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
                        if (create && slots[s + OWNER] != (outerSource & 0xFFFF_FFFFL)) {
                            return OTHER_SOURCE; // a replay from elsewhere neither refreshes nor takes it over
                        }
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
            slots[free + OWNER] = outerSource & 0xFFFF_FFFFL;
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

    /**
     * SipHash-1-3 (Aumasson and Bernstein; the rounds Rust's standard hash maps use) of six 64-bit words
     * with the per-process key: a keyed function, so no sender can predict which flows share a bucket.
     */
    static long sipHash(long w0, long w1, long w2, long w3, long w4, long w5) {
        return sipHash(K0, K1, w0, w1, w2, w3, w4, w5);
    }

    /** SipHash-1-3 of six words, 48 bytes, with the key {@code k0}, {@code k1}. */
    static long sipHash(long k0, long k1, long w0, long w1, long w2, long w3, long w4, long w5) {
        return sipHash(1, 3, k0, k1, w0, w1, w2, w3, w4, w5);
    }

    /**
     * SipHash-c-d of six words (48 bytes, each word the little-endian reading of 8 of them) with the key
     * {@code k0}, {@code k1} (its two little-endian halves).
     */
    static long sipHash(int c, int d, long k0, long k1, long w0, long w1, long w2, long w3, long w4, long w5) {
        long v0 = k0 ^ 0x736f6d6570736575L;
        long v1 = k1 ^ 0x646f72616e646f6dL;
        long v2 = k0 ^ 0x6c7967656e657261L;
        long v3 = k1 ^ 0x7465646279746573L;
        for (int i = 0; i < 7; i++) {
            // the six words, then the last block: the length (48 bytes) in its top byte
            long m = switch (i) {
                case 0 -> w0;
                case 1 -> w1;
                case 2 -> w2;
                case 3 -> w3;
                case 4 -> w4;
                case 5 -> w5;
                default -> 48L << 56;
            };
            v3 ^= m;
            for (int r = 0; r < c; r++) {
                v0 += v1;
                v1 = Long.rotateLeft(v1, 13) ^ v0;
                v0 = Long.rotateLeft(v0, 32);
                v2 += v3;
                v3 = Long.rotateLeft(v3, 16) ^ v2;
                v0 += v3;
                v3 = Long.rotateLeft(v3, 21) ^ v0;
                v2 += v1;
                v1 = Long.rotateLeft(v1, 17) ^ v2;
                v2 = Long.rotateLeft(v2, 32);
            }
            v0 ^= m;
        }
        v2 ^= 0xFF;
        for (int i = 0; i < d; i++) {
            v0 += v1;
            v1 = Long.rotateLeft(v1, 13) ^ v0;
            v0 = Long.rotateLeft(v0, 32);
            v2 += v3;
            v3 = Long.rotateLeft(v3, 16) ^ v2;
            v0 += v3;
            v3 = Long.rotateLeft(v3, 21) ^ v0;
            v2 += v1;
            v1 = Long.rotateLeft(v1, 17) ^ v2;
            v2 = Long.rotateLeft(v2, 32);
        }
        return v0 ^ v1 ^ v2 ^ v3;
    }
}
