package io.github.geneve4j.bench;

import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * JMH's benchmark threads as Netty's {@code FastThreadLocalThread}s, like the event loop threads a
 * decoder runs on, so Netty's {@code Recycler} and thread-local caches behave as they do there (on
 * a plain thread every {@code Recycler.get()} makes a new object). Selected by a forked JVM's
 * {@code -Djmh.executor=CUSTOM -Djmh.executor.class=io.github.geneve4j.bench.NettyThreads}.
 */
public final class NettyThreads extends ThreadPoolExecutor {

    /** The constructor JMH calls: its thread count and thread name prefix. */
    public NettyThreads(int maxThreads, String prefix) {
        super(maxThreads, maxThreads, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                new DefaultThreadFactory(prefix, true));
    }
}
