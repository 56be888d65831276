package io.github.geneve4j.endpoint;

import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.ProtocolType;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Loopback helpers for endpoint tests: addresses, plain UDP sockets that speak Geneve by hand, frames, waiting. */
final class Loopback {

    private Loopback() {
    }

    static InetSocketAddress address(String ip, int port) {
        try {
            return new InetSocketAddress(InetAddress.getByName(ip), port);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** A plain UDP socket bound to {@code ip} (any port), blocking. */
    static DatagramChannel socket(String ip) throws IOException {
        DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET);
        channel.bind(address(ip, 0));
        return channel;
    }

    /** A Geneve datagram: the header for {@code vni} with {@code options}, then {@code frame}. */
    static ByteBuffer datagram(int vni, byte[] frame, GeneveOption... options) {
        GeneveHeader header = GeneveHeader.of(ProtocolType.ETHERNET, vni, List.of(options));
        byte[] h = header.toBytes();
        ByteBuffer b = ByteBuffer.allocate(h.length + frame.length);
        b.put(h).put(frame).flip();
        return b;
    }

    /** An Ethernet frame of {@code length} bytes (at least 14): broadcast destination, a test EtherType, a pattern. */
    static byte[] frame(int length, int seed) {
        byte[] f = new byte[length];
        for (int i = 0; i < 6; i++) {
            f[i] = (byte) 0xFF;
        }
        f[6] = 2;
        f[11] = (byte) seed;
        f[12] = (byte) 0x88;
        f[13] = (byte) 0xB5; // IEEE local experimental EtherType
        for (int i = 14; i < length; i++) {
            f[i] = (byte) (i * 31 + seed);
        }
        return f;
    }

    /** Waits up to 10 s for {@code condition}. */
    static boolean await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(2);
        }
        return condition.getAsBoolean();
    }

    /** The endpoint's worker threads still alive. */
    static List<Thread> workers(GeneveEndpoint endpoint) {
        int port = endpoint.localAddress().getPort();
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("geneve-receive-" + port) && t.isAlive()).toList();
    }
}
