package io.github.geneve4j.tools.interop;

import static io.github.geneve4j.testing.GwlbWire.datagram;
import static io.github.geneve4j.testing.GwlbWire.ip;
import static io.github.geneve4j.testing.GwlbWire.ipv4;

import io.github.geneve4j.testing.GwlbWire;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The load generator of {@code geneve-bench/gwlb-load.sh}, a GWLB stand-in: sends small GWLB
 * datagrams (a 28-byte inner IPv4 UDP packet; 84-byte UDP payloads) of {@code FLOWS} flows, each
 * from its own outer source port as GWLB varies it per flow, at an offered rate for some seconds,
 * and counts the replies arriving on UDP 6081. Bounded in count and time; stops by itself.
 * Prints one line: offered, sent, replies, loss.
 *
 * <p>Arguments: {@code SELF APPLIANCE RATE SECONDS [FLOWS]} (RATE 0: as fast as it can).
 */
public final class GwlbLoad {

    public static void main(String[] args) throws Exception {
        InetAddress self = InetAddress.getByName(args[0]);
        InetSocketAddress appliance = new InetSocketAddress(InetAddress.getByName(args[1]), 6081);
        long rate = Long.parseLong(args[2]);
        double seconds = Double.parseDouble(args[3]);
        int flows = args.length > 4 ? Integer.parseInt(args[4]) : 16;
        DatagramChannel replies = DatagramChannel.open(StandardProtocolFamily.INET);
        replies.setOption(StandardSocketOptions.SO_RCVBUF, 8 << 20);
        replies.bind(new InetSocketAddress(self, 6081));
        DatagramChannel[] senders = new DatagramChannel[flows];
        ByteBuffer[] packets = new ByteBuffer[flows];
        for (int i = 0; i < flows; i++) {
            senders[i] = DatagramChannel.open(StandardProtocolFamily.INET).bind(new InetSocketAddress(self, 42000 + i));
            senders[i].setOption(StandardSocketOptions.SO_SNDBUF, 1 << 20);
            packets[i] = ByteBuffer.wrap(datagram(0x2b8ee1d4db0c51c4L + (i & 1), 7, i, GwlbWire.IPV4, false,
                    ipv4(ip(10, 0, 0, 1), ip(10, 0, 1, i), 17, GwlbWire.udp(30000 + i, 53, ""))));
        }
        AtomicLong received = new AtomicLong();
        Thread receiver = Thread.ofPlatform().daemon(true).start(() -> {
            ByteBuffer b = ByteBuffer.allocateDirect(2048);
            try {
                while (true) {
                    b.clear();
                    replies.receive(b);
                    received.incrementAndGet();
                }
            } catch (Exception closed) {
                // done
            }
        });
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        long sent = 0;
        long failed = 0;
        long now;
        while ((now = System.nanoTime()) < end) {
            long due = rate > 0 ? (now - start) * rate / 1_000_000_000L : sent + 64;
            while (sent < due) {
                int f = (int) (sent % flows);
                if (senders[f].send(packets[f].clear(), appliance) == 0) {
                    failed++;
                }
                sent++;
            }
            if (rate > 0) {
                LockSupport.parkNanos(50_000);
            }
        }
        double took = (System.nanoTime() - start) / 1e9;
        Thread.sleep(1000); // the last replies
        long got = received.get();
        replies.close();
        receiver.join(1000);
        System.out.printf("offered %s/s: sent %d in %.1f s (%.0f/s, %d refused), replies %d (%.0f/s), loss %.2f%%%n",
                rate == 0 ? "max" : Long.toString(rate), sent, took, sent / took, failed, got, got / took,
                sent == 0 ? 0.0 : 100.0 * (sent - got) / sent);
    }
}
