package io.github.geneve4j.tools.metrics;

import io.github.geneve4j.endpoint.GeneveEndpoint;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Two endpoints on loopback (no root, no namespace), {@code left} sending frames to {@code right}:
 * the engine {@code geneve vtep} runs, with handlers in place of TAPs.
 */
final class LoopbackPair implements AutoCloseable {

    final GeneveEndpoint left;
    final GeneveEndpoint right;

    LoopbackPair() throws Exception {
        InetSocketAddress a = free();
        InetSocketAddress b = free();
        left = GeneveEndpoint.builder().local(a).peer(b).vni(5000).handler(frame -> { }).start();
        try {
            right = GeneveEndpoint.builder().local(b).peer(a).vni(5000).handler(frame -> { }).start();
        } catch (RuntimeException e) {
            left.close();
            throw e;
        }
    }

    /** A loopback UDP port free a moment ago. */
    private static InetSocketAddress free() throws IOException {
        try (DatagramChannel c = DatagramChannel.open()) {
            c.bind(new InetSocketAddress("127.0.0.1", 0));
            return (InetSocketAddress) c.getLocalAddress();
        }
    }

    /**
     * Sends {@code count} broadcast frames of 60 bytes from left to right and waits until right has
     * delivered them all (loopback does not lose them; a lost one fails the wait).
     */
    void send(int count) throws InterruptedException {
        long before = right.stats().framesFromTunnel();
        byte[] frame = new byte[60];
        java.util.Arrays.fill(frame, 0, 6, (byte) 0xff);
        frame[12] = (byte) 0x88;
        frame[13] = (byte) 0xb5;
        for (int i = 0; i < count; i++) {
            left.send(ByteBuffer.wrap(frame));
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (right.stats().framesFromTunnel() < before + count) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("right delivered " + (right.stats().framesFromTunnel() - before) + " of "
                        + count + " frames: " + right.stats().format());
            }
            right.awaitStop(Duration.ofMillis(5));
        }
    }

    @Override
    public void close() throws io.github.geneve4j.endpoint.EndpointFailedException {
        try {
            right.close();
        } finally {
            left.close();
        }
    }
}
