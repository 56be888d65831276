package io.github.geneve4j.testing;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A small seeded property harness on plain JUnit. Not jqwik: from version 1.10 its maintainers
 * restrict how it may be used, and it stays on the JUnit Platform 1.x line while we build on JUnit 6
 * (the README's "Build and test" says the same).
 *
 * <pre>{@code
 * Property.forAll("decode inverts encode", Generators.headers(), h ->
 *         assertThat(GeneveHeader.decode(h.toBytes())).isEqualTo(h));
 * }</pre>
 *
 * <p>Runs {@code geneve.tries} cases (default 500) from a seed (default: a fresh one per run). A
 * failing case is shrunk by editing its recorded choices (dropping runs of them, lowering each) while
 * it keeps failing; the failure reports the seed, the case number and the minimal value, with the
 * minimal case's own failure as the cause. Replay with {@code -Dgeneve.seed=SEED}. Under mutation
 * testing ({@code -Dgeneve.shrinkRuns=0}) the first failing case is reported as it is.
 */
public final class Property {

    /**
     * Runs of the property spent shrinking a failure, from {@code geneve.shrinkRuns} (default 2000).
     * PIT sets 0: a mutant needs only to fail, and shrinking it costs more than the whole mutant.
     */
    private static final int MAX_SHRINK_RUNS = Integer.getInteger("geneve.shrinkRuns", 2_000);

    private Property() {
    }

    /** Default number of cases, from {@code -Dgeneve.tries}. */
    public static int defaultTries() {
        return Integer.getInteger("geneve.tries", 500);
    }

    public static <T> void forAll(String name, Gen<T> gen, Consumer<? super T> property) {
        forAll(name, defaultTries(), gen, property);
    }

    public static <T> void forAll(String name, int tries, Gen<T> gen, Consumer<? super T> property) {
        Long fixed = Long.getLong("geneve.seed");
        long seed = fixed != null ? fixed : System.nanoTime() ^ name.hashCode();
        SplittableRandom seeds = new SplittableRandom(seed);
        for (int i = 0; i < tries; i++) {
            Source source = Source.random(seeds.nextLong());
            T value = gen.generate(source);
            Throwable failure = run(property, value);
            if (failure != null) {
                Shrunk<T> minimal = shrink(gen, property, source.choices(), value, failure);
                AssertionError error = new AssertionError(String.format(
                        "property '%s' failed at case %d of %d (replay with -Dgeneve.seed=%d)%n"
                                + "original: %s%nminimal after %d shrinks: %s%nfailure: %s",
                        name, i + 1, tries, seed, describe(value), minimal.steps, describe(minimal.value),
                        minimal.failure), minimal.failure);
                throw error;
            }
        }
    }

    private static <T> Throwable run(Consumer<? super T> property, T value) {
        try {
            property.accept(value);
            return null;
        } catch (Throwable t) {
            if (t instanceof VirtualMachineError vme) {
                throw vme;
            }
            return t;
        }
    }

    private record Shrunk<T>(T value, Throwable failure, int steps) {
    }

    private static <T> Shrunk<T> shrink(Gen<T> gen, Consumer<? super T> property, int[] choices, T value,
            Throwable failure) {
        int[] best = choices;
        T bestValue = value;
        Throwable bestFailure = failure;
        int steps = 0;
        int runs = 0;
        boolean improved = true;
        while (improved && runs < MAX_SHRINK_RUNS) {
            improved = false;
            // 1. drop runs of choices, longest first
            for (int size = Math.max(1, best.length / 2); size >= 1 && runs < MAX_SHRINK_RUNS; size /= 2) {
                for (int from = 0; from + size <= best.length && runs < MAX_SHRINK_RUNS; ) {
                    int[] candidate = new int[best.length - size];
                    System.arraycopy(best, 0, candidate, 0, from);
                    System.arraycopy(best, from + size, candidate, from, best.length - from - size);
                    runs++;
                    Attempt<T> attempt = attempt(gen, property, candidate, best);
                    if (attempt == null && from > 0 && candidate[from - 1] > 0) {
                        // a deleted run is often counted by the choice before it (a list's size)
                        candidate[from - 1]--;
                        runs++;
                        attempt = attempt(gen, property, candidate, best);
                    }
                    if (attempt != null) {
                        best = attempt.choices;
                        bestValue = attempt.value;
                        bestFailure = attempt.failure;
                        steps++;
                        improved = true;
                    } else {
                        from++;
                    }
                }
            }
            // 2. lower each choice: to 0 if that still fails, else binary-search the lowest failing value
            for (int i = 0; i < best.length && runs < MAX_SHRINK_RUNS; i++) {
                int low = 0;
                int high = best[i];
                while (low < high && runs < MAX_SHRINK_RUNS && i < best.length) {
                    int candidateValue = low == 0 && high == best[i] ? 0 : low + (high - low) / 2;
                    int[] candidate = best.clone();
                    candidate[i] = candidateValue;
                    runs++;
                    Attempt<T> attempt = attempt(gen, property, candidate, best);
                    if (attempt != null) {
                        best = attempt.choices;
                        bestValue = attempt.value;
                        bestFailure = attempt.failure;
                        steps++;
                        improved = true;
                        high = candidateValue;
                        if (i >= best.length || best[i] != candidateValue) {
                            break; // the sequence changed shape; move on
                        }
                    } else {
                        low = candidateValue + 1;
                        if (candidateValue == 0 && high > 1) {
                            low = 1;
                        }
                    }
                }
            }
        }
        return new Shrunk<>(bestValue, bestFailure, steps);
    }

    private record Attempt<T>(int[] choices, T value, Throwable failure) {
    }

    private static <T> Attempt<T> attempt(Gen<T> gen, Consumer<? super T> property, int[] choices,
            int[] best) {
        Source source = Source.replay(choices);
        T value;
        try {
            value = gen.generate(source);
        } catch (RuntimeException generatorRejected) {
            return null;
        }
        int[] used = source.choices();
        // only strictly simpler choice sequences than the best so far, so shrinking always ends
        if (compare(used, best) >= 0) {
            return null;
        }
        Throwable failure = run(property, value);
        return failure == null ? null : new Attempt<>(used, value, failure);
    }

    /** Shortlex order: shorter is simpler, then lexicographically smaller. */
    private static int compare(int[] a, int[] b) {
        if (a.length != b.length) {
            return Integer.compare(a.length, b.length);
        }
        return Arrays.compare(a, b);
    }

    static String describe(Object value) {
        if (value instanceof byte[] bytes) {
            return "byte[" + bytes.length + "] " + HexFormat.of().formatHex(bytes);
        }
        return String.valueOf(value);
    }
}
