package io.github.geneve4j.linux;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Assumptions;

/**
 * Bytes the current thread allocates over a loop, from HotSpot's per-thread counter (as
 * geneve-codec's {@code ViewAllocationTest} measures): any object per call over a thousand calls
 * shows as 16+ kilobytes, far above the bounds the tests set.
 *
 * <p>The measured loop runs three times after the warm-up and the least is returned: code still
 * running in the interpreter or C1 while C2 compiles in the background allocates (the downcall's
 * interpreted method-handle forms box; measured at about 80 bytes per call before C2), which says
 * nothing about the compiled path. A real per-call object shows in every round.
 */
final class ThreadAllocation {

    /** One pass of the measured loop; returns something that depends on the work, so it is not removed. */
    interface Loop {
        long run(int iterations) throws Exception;
    }

    private ThreadAllocation() {
    }

    /** Runs {@code warmUp} iterations, then returns the least bytes allocated by {@code measured} more, of three rounds. */
    static long of(Loop loop, int warmUp, int measured) throws Exception {
        var threads = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(threads instanceof com.sun.management.ThreadMXBean bean
                && bean.isThreadAllocatedMemorySupported(), "per-thread allocation counter unavailable");
        var bean = (com.sun.management.ThreadMXBean) threads;
        long sink = loop.run(warmUp);
        long allocated = Long.MAX_VALUE;
        for (int round = 0; round < 3; round++) {
            long before = bean.getCurrentThreadAllocatedBytes();
            sink += loop.run(measured);
            allocated = Math.min(allocated, bean.getCurrentThreadAllocatedBytes() - before);
        }
        if (sink == Long.MIN_VALUE) {
            System.out.println(sink); // never: keeps the loop's result alive
        }
        return allocated;
    }
}
