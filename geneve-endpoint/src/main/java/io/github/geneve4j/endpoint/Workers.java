package io.github.geneve4j.endpoint;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * An endpoint's threads and its stop: runs each worker on a platform thread of its own, turns the
 * first throwable that ends one into the endpoint's failure (the others end as the transports and
 * devices close), and runs the I/O loops with one rule for errors: an {@link IOException} is counted,
 * said once and retried after a back-off that doubles while it repeats; a closed channel ends the
 * loop (a failure unless the endpoint is closing).
 */
final class Workers {

    /** A worker's whole body (the BFD thread's loop). */
    @FunctionalInterface
    interface Body {
        void run() throws Exception;
    }

    /** One pass of an I/O worker: a blocking call that may fail, then what is done with its result. */
    interface Loop {
        /** The receive or read of one pass. */
        int io() throws IOException;

        /** What the pass does with {@link #io()}'s result; anything it throws stops the endpoint. */
        void handle(int result) throws Exception;
    }

    /** The longest back-off after I/O errors in a row: 512 ms. */
    static final int MAX_BACK_OFF_SHIFT = 9;

    private final List<Thread> threads = new ArrayList<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Consumer<Throwable> onFailure;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final List<Runnable> wakers = new ArrayList<>();
    private final Forwarder forwarder;
    private volatile boolean closing;

    Workers(Forwarder forwarder, Consumer<Throwable> onFailure) {
        this.forwarder = forwarder;
        this.onFailure = onFailure;
    }

    /** Closes {@code resource} when the endpoint stops: the transports and devices the workers wait on. */
    void closeOnStop(AutoCloseable resource) {
        resources.add(resource);
    }

    /** Runs {@code waker} when the endpoint stops: for a worker that parks rather than waits on a resource. */
    void wakeOnStop(Runnable waker) {
        wakers.add(waker);
    }

    /** Adds a worker (started by {@link #start()}); its thread, for whom it must wake. */
    Thread add(String name, Body body) {
        Thread t = Thread.ofPlatform().name(name).daemon().unstarted(() -> run(body));
        threads.add(t);
        return t;
    }

    void start() {
        threads.forEach(Thread::start);
    }

    /** Whether the endpoint is stopping or stopped. */
    boolean closing() {
        return closing;
    }

    /**
     * Runs {@code loop} until the endpoint closes; I/O errors of its {@link Loop#io() io} are counted
     * under {@code errors}, said once, and retried after 1, 2, 4 ... 512 ms while they repeat, so that
     * an error that repeats does not spin.
     */
    void loop(Loop loop, DropReason errors) throws Exception {
        int errorsInARow = 0;
        while (!closing) {
            int result;
            try {
                result = loop.io();
            } catch (ClosedChannelException stopped) {
                if (closing) {
                    return;
                }
                throw stopped;
            } catch (IOException e) {
                if (closing) {
                    return;
                }
                forwarder.counters.drop(errors);
                forwarder.warnOnce(errors, e);
                errorsInARow = Math.min(errorsInARow + 1, MAX_BACK_OFF_SHIFT + 1);
                Thread.sleep(1L << (errorsInARow - 1));
                continue;
            }
            errorsInARow = 0;
            loop.handle(result);
        }
    }

    /** A worker's body: any throwable that ends it while the endpoint is running stops the endpoint. */
    private void run(Body body) {
        try {
            body.run();
            if (!closing) {
                fail(new IllegalStateException("a worker stopped"));
            }
        } catch (Throwable t) {
            if (!closing) {
                fail(t);
            }
        }
    }

    /** Records the first failure and stops the endpoint; the listener hears it before {@link #awaitStop} returns. */
    void fail(Throwable t) {
        if (failure.compareAndSet(null, t)) {
            stop();
            if (onFailure != null) {
                try {
                    onFailure.accept(t);
                } catch (RuntimeException ignored) {
                    // a listener's own failure must not hide the endpoint's
                }
            }
        }
        stopped.countDown();
    }

    /**
     * Marks the endpoint closing, wakes the workers that park and closes what the others wait on,
     * once; false if it was closing already.
     */
    boolean stop() {
        synchronized (this) {
            if (closing) {
                return false;
            }
            closing = true;
        }
        wakers.forEach(Runnable::run);
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception ignored) {
                // closing is best effort; the workers end either way
            }
        }
        return true;
    }

    /**
     * Stops the workers and waits for them (5 s each at most).
     *
     * @return whether every worker has ended
     */
    boolean close() {
        stop();
        if (failure.get() == null) {
            stopped.countDown();
        }
        for (Thread worker : threads) {
            if (worker != Thread.currentThread()) {
                try {
                    worker.join(5_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        return threads.stream().noneMatch(Thread::isAlive);
    }

    Optional<Throwable> failure() {
        return Optional.ofNullable(failure.get());
    }

    boolean awaitStop(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }
}
