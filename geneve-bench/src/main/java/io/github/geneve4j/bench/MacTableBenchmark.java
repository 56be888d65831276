package io.github.geneve4j.bench;

import io.github.geneve4j.endpoint.MacTable;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The MAC table on the hot path: the send path's {@code lookup} of a destination MAC and the receive
 * path's {@code learn} of a source MAC already known (the steady state of a flow). Each cycles
 * through a power-of-two table of MACs (7 in 8 learned, 1 in 8 unknown) with a mask, so branch
 * prediction does not flatter it. Baseline beside each: a {@code HashMap<Long, Integer>} as one would
 * write it (the key boxed per call, unless escape analysis removes it: {@code -prof gc} says). The
 * table's time is ticked once per 64 operations, as the endpoint's receive thread ticks it once per
 * receive call (a clock reading costs more than a lookup on a virtual machine).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MacTableBenchmark {

    private static final int KEYS = 4096;

    /** Entries learned: a small segment's worth, and the default bound. */
    @Param({"1024", "65536"})
    public int entries;

    private final long[] macs = new long[KEYS];
    private final int[] peers = new int[KEYS];
    private int next;
    private MacTable table;
    private Map<Long, Integer> hashMap;

    @Setup
    public void setUp() {
        // room for the unknown MACs too once learned: the steady state, not a table at its bound evicting
        table = new MacTable(entries * 2, Duration.ofSeconds(300), System::nanoTime);
        hashMap = new HashMap<>();
        SplittableRandom random = new SplittableRandom(11);
        long[] learned = new long[entries];
        for (int i = 0; i < entries; i++) {
            long mac = (random.nextLong() & 0xFEFF_FFFF_FFFFL) | 0x0200_0000_0000L;
            learned[i] = mac;
            int peer = random.nextInt(16);
            table.learn(mac, peer);
            hashMap.put(mac, peer);
        }
        for (int i = 0; i < KEYS; i++) {
            boolean known = random.nextInt(8) != 0;
            macs[i] = known ? learned[random.nextInt(entries)] : (random.nextLong() & 0xFEFF_FFFF_FFFFL) | 0x0200_0000_0000L;
            Integer p = hashMap.get(macs[i]);
            peers[i] = p != null ? p : random.nextInt(16);
        }
    }

    /** Ours: a set of 8 keys read, no lock, no allocation. */
    @Benchmark
    public int lookup() {
        int i = next++ & (KEYS - 1);
        if ((i & 63) == 0) {
            table.tick();
        }
        return table.lookup(macs[i]);
    }

    /** Baseline: {@code HashMap<Long, Integer>.get}. */
    @Benchmark
    public int hashMapLookup() {
        Integer p = hashMap.get(macs[next++ & (KEYS - 1)]);
        return p != null ? p : -1;
    }

    /** Ours: learning a source MAC, on the receive path; for a known one, a lookup and no write. */
    @Benchmark
    public MacTable.Learned learn() {
        int i = next++ & (KEYS - 1);
        if ((i & 63) == 0) {
            table.tick();
        }
        return table.learn(macs[i], peers[i]);
    }

    /** Baseline: {@code HashMap<Long, Integer>.put} of the same. */
    @Benchmark
    public Integer hashMapLearn() {
        int i = next++ & (KEYS - 1);
        return hashMap.put(macs[i], peers[i]);
    }
}
