package io.github.geneve4j.testing;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The stream of random choices a generator draws from.
 *
 * <p>Every choice is a non-negative int below a bound, recorded as it is drawn. Replaying a recorded
 * (and then shortened or lowered) sequence regenerates a value, so the harness shrinks by editing
 * choices, not values: generators only have to map smaller choices to simpler values, with 0 the
 * simplest. Past the end of a replayed sequence every choice is 0.
 */
public final class Source {

    private final SplittableRandom random;
    private final int[] replay;
    private int[] drawn = new int[64];
    private int count;

    private Source(SplittableRandom random, int[] replay) {
        this.random = random;
        this.replay = replay;
    }

    static Source random(long seed) {
        return new Source(new SplittableRandom(seed), null);
    }

    static Source replay(int[] choices) {
        return new Source(null, choices);
    }

    /** A choice in {@code [0, bound)}; {@code bound} must be positive. */
    public int choice(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive: " + bound);
        }
        int value;
        if (replay == null) {
            value = random.nextInt(bound);
        } else {
            value = count < replay.length ? Math.min(replay[count], bound - 1) : 0;
        }
        if (count == drawn.length) {
            drawn = Arrays.copyOf(drawn, count * 2);
        }
        drawn[count++] = value;
        return value;
    }

    /** An int in {@code [min, max]}, with {@code min} the simplest. */
    public int between(int min, int max) {
        long span = (long) max - min + 1;
        if (span > Integer.MAX_VALUE) {
            // two choices for wide ranges: high and low halves
            long high = choice(1 << 16);
            long low = choice(1 << 16);
            return (int) (min + ((high << 16 | low) % span));
        }
        return min + choice((int) span);
    }

    /** A boolean, {@code false} the simplest. */
    public boolean bool() {
        return choice(2) == 1;
    }

    /** {@code length} bytes, zeros the simplest. */
    public byte[] bytes(int length) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) choice(256);
        }
        return bytes;
    }

    int[] choices() {
        return Arrays.copyOf(drawn, count);
    }
}
