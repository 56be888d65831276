package io.github.geneve4j.bench;

import io.github.geneve4j.options.OptionDescriptor;
import io.github.geneve4j.options.OptionRegistry;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Registry lookups. They cycle through a power-of-two table of
 * (class, type) keys — known and unknown mixed — with a mask, so branch prediction does not
 * flatter them. Baseline: the same lookups in a {@code HashMap<Integer, ...>} as a user would write.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RegistryBenchmark {

    private static final int KEYS = 1024;
    private final int[] classes = new int[KEYS];
    private final int[] types = new int[KEYS];
    private int next;
    private OptionRegistry registry;
    private Map<Integer, OptionDescriptor> hashMap;

    @Setup
    public void setUp() {
        registry = OptionRegistry.defaults();
        hashMap = new HashMap<>();
        for (OptionDescriptor d : registry.descriptors()) {
            hashMap.put(d.optionClass() << 8 | d.type(), d);
        }
        java.util.SplittableRandom random = new java.util.SplittableRandom(7);
        int known = registry.descriptors().size();
        for (int i = 0; i < KEYS; i++) {
            if (random.nextBoolean()) {
                OptionDescriptor d = registry.descriptors().get(random.nextInt(known));
                classes[i] = d.optionClass();
                types[i] = d.type();
            } else {
                classes[i] = random.nextInt(0x10000);
                types[i] = random.nextInt(0x100);
            }
        }
    }

    /** Ours: open-addressing lookup, no allocation. */
    @Benchmark
    public OptionDescriptor lookup() {
        int i = next++ & (KEYS - 1);
        return registry.lookup(classes[i], types[i]);
    }

    /** Baseline: the straightforward {@code HashMap<Integer, OptionDescriptor>} (boxes the key). */
    @Benchmark
    public OptionDescriptor straightforward() {
        int i = next++ & (KEYS - 1);
        return hashMap.get(classes[i] << 8 | types[i]);
    }
}
