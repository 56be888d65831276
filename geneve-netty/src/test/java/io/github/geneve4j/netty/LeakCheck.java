package io.github.geneve4j.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test whose buffers leak: installs, before any buffer class is initialised, a leak
 * detector factory whose detectors record every leak report instead of only logging it, at the
 * PARANOID level (every buffer tracked); after each test it collects garbage and allocates, which
 * makes the detector report what was collected unreleased, and fails on any report.
 * {@code LeakCheckTest} proves that a leak is caught.
 */
public final class LeakCheck implements BeforeEachCallback, AfterEachCallback {

    private static final List<String> LEAKS = new ArrayList<>();

    static {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
            @Override
            @SuppressWarnings("deprecation")
            public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                    long maxActive) {
                return new ResourceLeakDetector<>(resource, samplingInterval) {
                    @Override
                    protected void reportTracedLeak(String resourceType, String records) {
                        record(resourceType + " leaked:" + records);
                    }

                    @Override
                    protected void reportUntracedLeak(String resourceType) {
                        record(resourceType + " leaked (untraced)");
                    }
                };
            }
        });
    }

    static synchronized void record(String leak) {
        LEAKS.add(leak);
    }

    /** The leaks reported since the last call, after a collection. */
    static synchronized List<String> collect() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(20);
            // the detector looks for collected, unreleased buffers when it tracks a new one
            for (int j = 0; j < 4; j++) {
                ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(16);
                b.release();
                ByteBuf u = UnpooledByteBufAllocator.DEFAULT.heapBuffer(16);
                u.release();
                io.netty.buffer.ByteBufAllocator.DEFAULT.directBuffer(16).release();
            }
        }
        List<String> found = new ArrayList<>(LEAKS);
        LEAKS.clear();
        return found;
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        collect(); // leaks of an earlier test are that test's
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        List<String> leaks = collect();
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " buffer leak(s) reported:\n" + String.join("\n", leaks));
        }
    }
}
