package io.github.geneve4j.tools.cli;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * The statistics loop of a command that runs a service until stopped ({@code vtep}, and meant for
 * {@code gwlb}): print every {@code --stats} period, stop after {@code --duration} or when the service
 * stops, print once more at the end. It only waits and prints: the service runs on its own threads.
 *
 * <pre>{@code
 * new StatsLoop(statsSeconds, durationSeconds).run(endpoint::awaitStop, () -> out.println(endpoint.stats()));
 * }</pre>
 */
public final class StatsLoop {

    /** How the loop waits for the service. */
    @FunctionalInterface
    public interface Wait {
        /**
         * Waits at most {@code atMost} (it may return earlier) and says whether the service has stopped.
         *
         * @throws InterruptedException if interrupted while waiting
         */
        boolean stopped(Duration atMost) throws InterruptedException;
    }

    /** The longest single wait, so that a clock step or a missed wake-up costs at most this. */
    private static final long MAX_WAIT = 1_000_000_000L;

    private final long period;
    private final long duration;
    private final LongSupplier nanoTime;

    /**
     * A loop that prints every {@code everySeconds} (0: only at the end) and stops after
     * {@code durationSeconds} (0: when the service stops).
     *
     * @throws IllegalArgumentException if either is negative or not a number
     */
    public StatsLoop(double everySeconds, double durationSeconds) {
        this(everySeconds, durationSeconds, System::nanoTime);
    }

    /** As {@link #StatsLoop(double, double)}, on the clock {@code nanoTime} (for tests). */
    StatsLoop(double everySeconds, double durationSeconds, LongSupplier nanoTime) {
        if (!(everySeconds >= 0) || !(durationSeconds >= 0)) {
            throw new IllegalArgumentException("--stats " + everySeconds + ", --duration " + durationSeconds
                    + " (expected: 0 or more seconds)");
        }
        this.period = nanos(everySeconds);
        this.duration = nanos(durationSeconds);
        this.nanoTime = nanoTime;
    }

    private static long nanos(double seconds) {
        return seconds == 0 ? 0 : Math.max(1, (long) Math.min(seconds * 1e9, Long.MAX_VALUE / 4));
    }

    /**
     * Runs until the duration has passed or {@code wait} says the service stopped; calls
     * {@code print} every period and once at the end.
     *
     * @throws InterruptedException if interrupted while waiting
     */
    public void run(Wait wait, Runnable print) throws InterruptedException {
        long start = nanoTime.getAsLong();
        long end = start + duration;
        long next = start + period;
        while (true) {
            long now = nanoTime.getAsLong();
            if (duration > 0 && now - end >= 0) {
                break;
            }
            if (period > 0 && now - next >= 0) {
                print.run();
                // after a long pause, one line now and the next a period later, not a burst of lines
                next = now - next >= period ? now + period : next + period;
                continue;
            }
            long wake = MAX_WAIT;
            if (duration > 0) {
                wake = Math.min(wake, end - now);
            }
            if (period > 0) {
                wake = Math.min(wake, next - now);
            }
            if (wait.stopped(Duration.ofNanos(Math.max(1, wake)))) {
                break;
            }
        }
        print.run();
    }
}
