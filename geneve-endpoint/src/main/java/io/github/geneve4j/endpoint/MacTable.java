package io.github.geneve4j.endpoint;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Where the MAC addresses of one VNI live: each inner source MAC seen in a frame from a peer is
 * learned as behind that peer (a Linux bridge's forwarding database, per VNI). Bounded, and
 * allocation-free to look up and to learn.
 *
 * <pre>{@code
 * MacTable table = new MacTable(65_536, Duration.ofSeconds(300), System::nanoTime);
 * table.learn(0x0200_0000_0001L, 3);      // behind peer 3
 * int peer = table.lookup(0x0200_0000_0001L); // 3; -1 for a MAC not known (flood it)
 * }</pre>
 *
 * <p><b>Layout.</b> A set-associative table over two {@code long} arrays: the 48-bit MAC hashes to
 * a set of {@link #WAYS} slots that lie side by side (one cache line of keys), and a MAC can only
 * ever be in its own set. A lookup reads at most those 8 keys, whatever the table holds: no chain,
 * no probe sequence that a flood could lengthen. Each slot is a key word ({@code MAC | 1 << 48},
 * 0 when empty) and a value word (peer id in bits 0..23, static flag in bit 24, last seen in
 * milliseconds since the table was made in bits 25..63).
 *
 * <p><b>Bound.</b> At most {@code maxEntries} entries (the slots are that rounded up to a power of
 * two). A new MAC takes an empty or aged slot of its set; else, or when the table is at its bound,
 * the least recently seen non-static entry of its set is evicted ({@link #evictions()}); a set
 * whose slots are all static refuses it ({@link #refusals()}). A flood of random source MACs
 * therefore replaces entries, never grows memory nor slows lookups.
 *
 * <p><b>Shares.</b> With a share ({@code maxPerPeer} below the bound; the endpoint gives each peer
 * half of it), one peer holds at most {@code maxPerPeer} entries: past its share, a new MAC of that
 * peer takes the place of that peer's own least recently seen entry in the set, or is refused
 * ({@link #shareRefusals()}). And a peer never evicts the entry of a peer that holds fewer entries
 * than itself: a new MAC evicts its own peer's oldest entry of the set, else the oldest entry of a
 * peer holding as many or more. So a peer that floods random source MACs replaces its own entries,
 * never those of a peer with fewer ({@link #held(int)}). Without a share, the set's least recently
 * seen entry is evicted, whoever's it is.
 *
 * <p><b>Aging.</b> A non-static entry not seen for the age (300 s by default, as a Linux bridge's
 * {@code ageing_time}) is gone: lookups treat it as unknown (lazily, no timer), and its slot is
 * reused by the next MAC of its set or by {@link #sweep()}. The table's time is the clock's at the
 * last {@link #tick()}: reading a clock costs more than a lookup (20 ns on a virtual machine, where a
 * lookup takes a few), so the caller ticks it often enough for the age (the endpoint: after every
 * receive call, and at least every half second when idle).
 *
 * <p><b>Moves.</b> A known MAC seen behind another peer moves there at once when the frame was
 * unicast. A broadcast or multicast frame moves it only if its entry was not refreshed within the
 * hold time (2 s, or half the age if shorter): in a full mesh with a peer that floods between its
 * own tunnels (Open vSwitch's NORMAL action has no split horizon between tunnel ports), every
 * broadcast arrives twice, straight from its sender and again through that peer a moment later;
 * without the hold its source MAC would move to the flooding peer and the hosts' unicast would
 * hairpin through it. A host that really moved is followed at its first unicast frame, or once
 * its old entry is two seconds quiet ({@link #heldMoves()} counts the moves held back).
 *
 * <p><b>Concurrency.</b> Any number of readers, one writer at a time. {@link #lookup} takes no lock:
 * it reads a slot's key, value and key again (acquire reads), and takes the value only if the key
 * did not change; a writer that replaces a slot clears its key first and writes the new key last
 * (release writes), so a reader sees an old pair, a new pair, or a miss; never a torn one. Writers
 * ({@link #learn} when it must write, {@link #putStatic}, {@link #remove}, {@link #sweep}) hold the
 * table's monitor. {@link #learn} of a MAC already known behind the same peer writes nothing (and
 * takes no lock) unless its last-seen time is older than a second, so the steady state of a flow
 * costs a lookup per frame.
 */
public final class MacTable {

    /** Slots per set: a lookup reads at most this many keys. */
    public static final int WAYS = 8;
    /** The default bound: 65,536 entries. */
    public static final int DEFAULT_MAX_ENTRIES = 65_536;
    /** The default age: 300 s, as a Linux bridge's. */
    public static final Duration DEFAULT_AGE = Duration.ofSeconds(300);
    /** The largest peer id an entry can hold. */
    public static final int MAX_PEER = (1 << 24) - 1;

    /** What {@link #learn} did. */
    public enum Learned {
        /** Known behind that peer already (its last-seen time refreshed). */
        KNOWN,
        /** A new entry, in a free slot. */
        NEW,
        /** Known behind another peer: it moved. */
        MOVED,
        /** Known behind another peer, seen there within the hold time, and the frame was group-addressed: not moved. */
        HELD,
        /** A new entry that evicted the least recently seen one of its set. */
        EVICTED,
        /** Not learned: its set is full of static entries, or the address is static behind another peer, or not unicast. */
        REFUSED
    }

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle NOW;

    static {
        try {
            NOW = MethodHandles.lookup().findVarHandle(MacTable.class, "now", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
    private static final long OCCUPIED = 1L << 48;
    private static final long MAC_MASK = 0xFFFF_FFFF_FFFFL;
    private static final long PEER_MASK = MAX_PEER;
    private static final long STATIC = 1L << 24;
    private static final int TIME_SHIFT = 25;
    /** A known entry's last-seen time is rewritten at most this often (ms). */
    private static final long REFRESH_MILLIS = 1_000;

    private final long[] keys;
    private final long[] values;
    private final int setMask;
    private final int maxEntries;
    private final int maxPerPeer;
    /** Occupied slots (live or aged, not yet reused or swept) behind each peer id; grown under the monitor. */
    private int[] held = new int[16];
    private long shareRefusals;
    private final long ageMillis;
    private final long refreshMillis;
    private final LongSupplier clock;
    private final long epoch;
    // written under the monitor; read racily by statistics
    private int size;
    private long learned;
    private long moves;
    private long evictions;
    private long refusals;
    private long aged;
    private long heldMoves;
    private final long holdMillis;
    private long lastSweep;
    /** Milliseconds since the table was made, at the last tick. */
    private volatile long now;

    /**
     * A table of at most {@code maxEntries} entries that age after {@code age}, with time from
     * {@code clock} (nanoseconds, as {@link System#nanoTime}; tests give their own).
     *
     * @throws IllegalArgumentException if {@code maxEntries} is not 1..2^24 or the age is not positive
     */
    public MacTable(int maxEntries, Duration age, LongSupplier clock) {
        this(maxEntries, maxEntries, age, clock);
    }

    /**
     * A table of at most {@code maxEntries} entries, at most {@code maxPerPeer} of them behind any one
     * peer (see "Shares" above), that age after {@code age}, with time from {@code clock}.
     *
     * @param maxEntries the bound on entries, 1..2^24
     * @param maxPerPeer the bound on one peer's entries, 1..maxEntries
     * @param age how long an entry lives unseen
     * @param clock nanoseconds, as {@link System#nanoTime}
     * @throws IllegalArgumentException if a bound is out of range or the age is not positive
     */
    public MacTable(int maxEntries, int maxPerPeer, Duration age, LongSupplier clock) {
        if (maxEntries < 1 || maxEntries > 1 << 24) {
            throw new IllegalArgumentException("MAC table of " + maxEntries + " entries (expected: 1.." + (1 << 24) + ")");
        }
        Objects.requireNonNull(age, "age");
        if (age.isNegative() || age.isZero() || age.toMillis() > (1L << 38)) {
            throw new IllegalArgumentException("MAC age " + age + " (expected: 1 ms to 8 years)");
        }
        this.clock = Objects.requireNonNull(clock, "clock");
        int slots = Math.max(WAYS, maxEntries == 1 ? 1 : Integer.highestOneBit(maxEntries - 1) << 1);
        this.keys = new long[slots];
        this.values = new long[slots];
        this.setMask = slots / WAYS - 1;
        this.maxEntries = maxEntries;
        if (maxPerPeer < 1 || maxPerPeer > maxEntries) {
            throw new IllegalArgumentException("MAC share of " + maxPerPeer + " entries per peer (expected: 1.."
                    + maxEntries + ", the table's bound)");
        }
        this.maxPerPeer = maxPerPeer;
        this.ageMillis = age.toMillis();
        this.refreshMillis = Math.min(REFRESH_MILLIS, Math.max(1, ageMillis / 4));
        this.holdMillis = Math.min(2 * REFRESH_MILLIS, Math.max(1, ageMillis / 2));
        this.epoch = clock.getAsLong();
    }

    /** A table with the defaults: 65,536 entries, 300 s, {@link System#nanoTime}. */
    public MacTable() {
        this(DEFAULT_MAX_ENTRIES, DEFAULT_AGE, System::nanoTime);
    }

    private long now() {
        return now;
    }

    /** Reads the clock: lookups and learning age entries by this time until the next tick. */
    public void tick() {
        tick(clock.getAsLong());
    }

    /**
     * As {@link #tick()} with a reading of the table's clock the caller made (one reading for several
     * tables). A time before the last one is ignored.
     */
    public void tick(long clockNanos) {
        long t = (clockNanos - epoch) / 1_000_000;
        // several receive threads tick one table: the time only moves forward
        for (long seen = now; t > seen; seen = now) {
            if (NOW.compareAndSet(this, seen, t)) {
                return;
            }
        }
    }

    private int set(long mac) {
        // Fibonacci hashing: the high bits of the product mix every bit of the MAC (OUIs share the top)
        long h = mac * 0x9E37_79B9_7F4A_7C15L;
        return ((int) (h >>> 32) & setMask) * WAYS;
    }

    private boolean live(long value, long now) {
        return (value & STATIC) != 0 || now - (value >>> TIME_SHIFT) <= ageMillis;
    }

    /**
     * The peer a unicast MAC was learned behind, or -1 when it is not known (or aged). No lock, no
     * allocation, at most {@link #WAYS} keys read.
     */
    public int lookup(long mac) {
        long key = (mac & MAC_MASK) | OCCUPIED;
        int base = set(mac & MAC_MASK);
        for (int i = base; i < base + WAYS; i++) {
            if ((long) LONGS.getAcquire(keys, i) == key) {
                long value = (long) LONGS.getAcquire(values, i);
                if ((long) LONGS.getAcquire(keys, i) != key) {
                    return -1; // replaced as we read: as good as unknown (the frame is flooded)
                }
                return live(value, now()) ? (int) (value & PEER_MASK) : -1;
            }
        }
        return -1;
    }

    /**
     * Learns that {@code mac} is behind {@code peer} from a unicast frame (a frame from that peer had
     * it as its source). Group addresses (bit 0 of the first octet set) and 0 are never learned.
     * Allocates nothing.
     */
    public Learned learn(long mac, int peer) {
        return learn(mac, peer, false);
    }

    /**
     * As {@link #learn(long, int)}, for a frame whose destination was a group address when
     * {@code groupFrame} (broadcast or multicast: see the class comment on moves).
     */
    public Learned learn(long mac, int peer, boolean groupFrame) {
        mac &= MAC_MASK;
        if ((mac & 0x0100_0000_0000L) != 0 || mac == 0 || peer < 0 || peer > MAX_PEER) {
            return Learned.REFUSED;
        }
        long key = mac | OCCUPIED;
        int base = set(mac);
        long now = now();
        for (int i = base; i < base + WAYS; i++) {
            if ((long) LONGS.getAcquire(keys, i) == key) {
                long value = (long) LONGS.getAcquire(values, i);
                if ((value & PEER_MASK) == peer && ((value & STATIC) != 0 || now - (value >>> TIME_SHIFT) < refreshMillis)) {
                    return Learned.KNOWN; // the common case: nothing to write
                }
                break;
            }
        }
        synchronized (this) {
            return write(mac, key, base, peer, now, false, groupFrame);
        }
    }

    /** Under the monitor: puts {@code key} in its set at {@code base}. */
    private Learned write(long mac, long key, int base, int peer, long now, boolean isStatic, boolean groupFrame) {
        long value = ((long) peer) | (isStatic ? STATIC : 0) | (now << TIME_SHIFT);
        int free = -1;
        int oldest = -1;
        long oldestTime = Long.MAX_VALUE;
        int own = -1;
        long ownTime = Long.MAX_VALUE;
        int mine = heldBy(peer);
        for (int i = base; i < base + WAYS; i++) {
            long k = keys[i];
            if (k == key) {
                long old = values[i];
                if ((old & STATIC) != 0 && !isStatic && (old & PEER_MASK) != peer) {
                    refusals++;
                    return Learned.REFUSED; // a static entry does not move
                }
                if ((old & STATIC) != 0 && !isStatic) {
                    return Learned.KNOWN; // static behind this very peer: nothing to refresh
                }
                boolean wasLive = live(old, now);
                if (wasLive && groupFrame && !isStatic && (old & PEER_MASK) != peer
                        && now - (old >>> TIME_SHIFT) < holdMillis) {
                    heldMoves++;
                    return Learned.HELD;
                }
                if (!wasLive) {
                    aged++;
                }
                int from = (int) (old & PEER_MASK);
                if (from != peer && !isStatic && heldBy(peer) >= maxPerPeer) {
                    shareRefusals++;
                    return Learned.REFUSED; // a move would take the peer past its share
                }
                LONGS.setRelease(values, i, value);
                if (from != peer) {
                    held[from]--;
                    held[peer]++;
                }
                if (!wasLive) {
                    learned++;
                    return Learned.NEW;
                }
                if (from != peer) {
                    moves++;
                    return Learned.MOVED;
                }
                return Learned.KNOWN;
            }
            if (k == 0) {
                if (free < 0) {
                    free = i;
                }
            } else {
                long v = values[i];
                if (!live(v, now)) {
                    if (free < 0 || keys[free] == 0) {
                        free = i; // an aged slot first: it frees one of the bound
                    }
                } else if ((v & STATIC) == 0) {
                    int owner = (int) (v & PEER_MASK);
                    if (owner == peer) {
                        if ((v >>> TIME_SHIFT) < ownTime) {
                            ownTime = v >>> TIME_SHIFT;
                            own = i;
                        }
                    } else if ((maxPerPeer == maxEntries || held[owner] >= mine) && (v >>> TIME_SHIFT) < oldestTime) {
                        oldestTime = v >>> TIME_SHIFT; // with shares, only a peer holding as many or more yields
                        oldest = i;
                    }
                }
            }
        }
        if (!isStatic && mine >= maxPerPeer) {
            // at its share: only in place of this peer's own entries (an aged one first)
            if (free >= 0 && keys[free] != 0 && (values[free] & PEER_MASK) == peer) {
                return take(free, key, value, peer, Learned.NEW);
            }
            if (own >= 0) {
                evictions++;
                return take(own, key, value, peer, Learned.EVICTED);
            }
            shareRefusals++;
            return Learned.REFUSED;
        }
        if (free >= 0 && keys[free] != 0) {
            aged++; // an aged entry's slot, reused: the size stays
            return take(free, key, value, peer, Learned.NEW);
        }
        if (free >= 0 && size < maxEntries) {
            size++;
            held[peer]++;
            replace(free, key, value);
            learned++;
            return Learned.NEW;
        }
        if (free >= 0 && sweepIfDue(now)) {
            return write(mac, key, base, peer, now, isStatic, groupFrame);
        }
        // with shares, this peer's own oldest first; without, the set's least recently seen, whoever's
        int victim = own >= 0 && (maxPerPeer < maxEntries || oldest < 0 || ownTime <= oldestTime) ? own : oldest;
        if (victim < 0) {
            refusals++;
            return Learned.REFUSED;
        }
        evictions++;
        return take(victim, key, value, peer, Learned.EVICTED);
    }

    /** Under the monitor: slot {@code i}'s entry (aged or evicted) gives way to {@code key} behind {@code peer}. */
    private Learned take(int i, long key, long value, int peer, Learned what) {
        held[(int) (values[i] & PEER_MASK)]--;
        held[peer]++;
        replace(i, key, value);
        learned++;
        return what;
    }

    /** Under the monitor: the slots behind {@code peer}, the per-peer array grown to hold its id. */
    private int heldBy(int peer) {
        if (peer >= held.length) {
            held = java.util.Arrays.copyOf(held, Math.max(peer + 1, Math.min(held.length * 2, MAX_PEER + 1)));
        }
        return held[peer];
    }

    /** Replaces slot {@code i}: key cleared first, value, then the new key, so readers never pair them wrongly. */
    private void replace(int i, long key, long value) {
        LONGS.setRelease(keys, i, 0L);
        LONGS.setRelease(values, i, value);
        LONGS.setRelease(keys, i, key);
    }

    /** At the bound with a free slot in the set: sweep the aged entries, at most once a second. */
    private boolean sweepIfDue(long now) {
        if (now - lastSweep < 1_000 && lastSweep != 0) {
            return false;
        }
        lastSweep = Math.max(1, now);
        return sweepLocked(now) > 0;
    }

    /**
     * Puts a static entry: {@code mac} is behind {@code peer} until removed (it never ages, never
     * moves, is never evicted).
     *
     * @return false if its set is full of static entries
     * @throws IllegalArgumentException if {@code mac} is not a 48-bit unicast address or the peer id is out of range
     */
    public synchronized boolean putStatic(long mac, int peer) {
        if (mac <= 0 || mac > MAC_MASK || (mac & 0x0100_0000_0000L) != 0 || peer < 0 || peer > MAX_PEER) {
            throw new IllegalArgumentException("static MAC 0x" + Long.toHexString(mac) + " behind peer " + peer
                    + " (expected: a unicast 48-bit address, a peer id 0.." + MAX_PEER + ")");
        }
        return write(mac, mac | OCCUPIED, set(mac), peer, now(), true, false) != Learned.REFUSED;
    }

    /** Removes {@code mac}, static or learned; whether it was there. */
    public synchronized boolean remove(long mac) {
        long key = (mac & MAC_MASK) | OCCUPIED;
        int base = set(mac & MAC_MASK);
        for (int i = base; i < base + WAYS; i++) {
            if (keys[i] == key) {
                LONGS.setRelease(keys, i, 0L);
                size--;
                held[(int) (values[i] & PEER_MASK)]--;
                return true;
            }
        }
        return false;
    }

    /** Removes every entry behind {@code peer} (it left the peer set); how many. */
    public synchronized int removePeer(int peer) {
        int removed = 0;
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != 0 && (values[i] & PEER_MASK) == peer) {
                LONGS.setRelease(keys, i, 0L);
                size--;
                removed++;
            }
        }
        if (peer < held.length) {
            held[peer] = 0;
        }
        return removed;
    }

    /** Frees the slots of aged entries now (lookups already ignore them); how many. */
    public synchronized int sweep() {
        return sweepLocked(now());
    }

    private int sweepLocked(long now) {
        int freed = 0;
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != 0 && !live(values[i], now)) {
                LONGS.setRelease(keys, i, 0L);
                size--;
                held[(int) (values[i] & PEER_MASK)]--;
                freed++;
            }
        }
        aged += freed;
        return freed;
    }

    /** Live entries (not aged) behind each peer id below {@code counts.length}, added into {@code counts}; the total. */
    public synchronized int countByPeer(long[] counts) {
        long now = now();
        int total = 0;
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != 0 && live(values[i], now)) {
                total++;
                int peer = (int) (values[i] & PEER_MASK);
                if (peer < counts.length) {
                    counts[peer]++;
                }
            }
        }
        return total;
    }

    /** Live entries: a scan of the table (for statistics, not for a packet path). */
    public int size() {
        return countByPeer(new long[0]);
    }

    /** The bound on entries. */
    public int maxEntries() {
        return maxEntries;
    }

    /** The bound on one peer's entries. */
    public int maxPerPeer() {
        return maxPerPeer;
    }

    /**
     * Slots held behind {@code peer}: its live entries and those aged but not yet reused or swept
     * (what its share counts).
     *
     * @param peer a peer id
     * @return the slots it holds
     */
    public synchronized int held(int peer) {
        return peer >= 0 && peer < held.length ? held[peer] : 0;
    }

    /** New MACs and moves refused because their peer was at its share and had no entry of its own to give up. */
    public synchronized long shareRefusals() {
        return shareRefusals;
    }

    /** Slots in the table: {@link #maxEntries()} rounded up to a power of two, at least {@link #WAYS}. */
    public int capacity() {
        return keys.length;
    }

    /** How long an entry lives unseen. */
    public Duration age() {
        return Duration.ofMillis(ageMillis);
    }

    /** Entries learned (new MACs, and MACs seen again after they aged). */
    public synchronized long learned() {
        return learned;
    }

    /** Moves: a known MAC seen behind another peer. */
    public synchronized long moves() {
        return moves;
    }

    /** Moves held back: a group-addressed frame from another peer within the hold time. */
    public synchronized long heldMoves() {
        return heldMoves;
    }

    /** Live entries evicted to make room for a new MAC. */
    public synchronized long evictions() {
        return evictions;
    }

    /** MACs not learned (their set full of static entries, or static behind another peer). */
    public synchronized long refusals() {
        return refusals;
    }

    /** Entries that aged out (counted when their slot is reused or swept). */
    public synchronized long aged() {
        return aged;
    }
}
