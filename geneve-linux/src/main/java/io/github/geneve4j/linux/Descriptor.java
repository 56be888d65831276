package io.github.geneve4j.linux;

import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A file descriptor that is released only once no call is inside it. A worker blocked in a system
 * call on descriptor 7 while another thread closes it would otherwise go on using "7" after the
 * kernel has handed that number to the next {@code open} in the process, reading or writing a file
 * that is not ours. So {@link #close()} only marks the descriptor closing and wakes the calls inside;
 * the last call out (or {@code close} itself, when none is inside) releases it.
 *
 * <p>One {@code int} holds both: the {@link #CLOSING} bit and the number of calls inside. Two atomic
 * operations per system call, no lock, no allocation.
 */
final class Descriptor {

    private static final int CLOSING = 1 << 30;
    /** How long {@link #close()} waits for the calls inside to leave: longer than any poll or receive timeout. */
    private static final long CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final int fd;
    private final Runnable wake;
    private final Runnable release;
    private final AtomicInteger state = new AtomicInteger();
    private volatile boolean released;

    /**
     * @param fd the descriptor
     * @param wake makes a call waiting inside return soon (best effort, must not release anything)
     * @param release closes the descriptor and whatever goes with it; run exactly once
     */
    Descriptor(int fd, Runnable wake, Runnable release) {
        this.fd = fd;
        this.wake = wake;
        this.release = release;
    }

    /** Enters a call: returns the descriptor, which stays valid until {@link #exit()}. */
    int enter() throws ClosedChannelException {
        while (true) {
            int s = state.get();
            if ((s & CLOSING) != 0) {
                throw new ClosedChannelException();
            }
            if (state.compareAndSet(s, s + 1)) {
                return fd;
            }
        }
    }

    /** Leaves a call; the last one out of a closing descriptor releases it. */
    void exit() {
        if (state.decrementAndGet() == CLOSING) {
            releaseNow();
        }
    }

    /** Whether {@link #close()} has been called. */
    boolean isClosing() {
        return (state.get() & CLOSING) != 0;
    }

    /**
     * Marks the descriptor closing, wakes the calls inside and waits (up to two seconds) until the
     * last of them has left and the descriptor is released.
     */
    void close() {
        while (true) {
            int s = state.get();
            if ((s & CLOSING) != 0) {
                awaitRelease();
                return;
            }
            // count ourselves in while waking, so the descriptor cannot be released under the wake-up
            if (state.compareAndSet(s, (s | CLOSING) + 1)) {
                break;
            }
        }
        try {
            wake.run();
        } finally {
            exit();
        }
        awaitRelease();
    }

    private void releaseNow() {
        try {
            release.run();
        } finally {
            released = true;
        }
    }

    private void awaitRelease() {
        long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
        while (!released && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }
}
