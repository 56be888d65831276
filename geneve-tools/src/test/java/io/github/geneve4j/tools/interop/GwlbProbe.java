package io.github.geneve4j.tools.interop;

import static io.github.geneve4j.testing.GwlbWire.datagram;
import static io.github.geneve4j.testing.GwlbWire.ip;
import static io.github.geneve4j.testing.GwlbWire.ip6;
import static io.github.geneve4j.testing.GwlbWire.ipv4;
import static io.github.geneve4j.testing.GwlbWire.ipv6;

import io.github.geneve4j.testing.GwlbWire;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A GWLB stand-in that records, run in its own namespace by {@link GwlbXdpNetnsTest}: sends a fixed
 * series of GWLB datagrams (IPv4 and IPv6 inner packets of 0 to about 1,400 bytes of data, from two
 * source ports, and two without GWLB's options) to the appliance, and prints one line per datagram:
 * where its reply came from and its bytes in hex, or "none". Two runs against two appliances print
 * the same lines when their replies are byte-equal.
 *
 * <p>Arguments: {@code SELF APPLIANCE}.
 */
public final class GwlbProbe {

    private GwlbProbe() {
    }

    public static void main(String[] args) throws Exception {
        InetAddress self = InetAddress.getByName(args[0]);
        InetSocketAddress appliance = new InetSocketAddress(InetAddress.getByName(args[1]), 6081);
        int a = ip(10, 0, 0, 1);
        int b = ip(10, 0, 0, 2);
        String[] sizes = {"", "x", "hello", "0123456789".repeat(30), "abcdefghij".repeat(137)};
        java.util.List<byte[]> series = new java.util.ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            series.add(datagram(0x2b8ee1d4db0c51c4L, 0x11, 0x100 + i, GwlbWire.IPV4, i % 2 == 0,
                    ipv4(a, b, 17, GwlbWire.udp(5353, 53, sizes[i]))));
            series.add(datagram(0x8000000000000abcL, 0x22, 0x200 + i, GwlbWire.IPV4, i % 2 == 1,
                    ipv4(b, a, 6, GwlbWire.tcp(443, 40000 + i, sizes[i]))));
            series.add(datagram(0x8000000000000abcL, 0x22, 0x300 + i, GwlbWire.IPV6, true,
                    ipv6(ip6(1), ip6(2), 17, GwlbWire.udp(1234, 5678, sizes[i]))));
        }
        series.add(GwlbWire.bare(ipv4(a, b, 17, GwlbWire.udp(1, 2, "no options"))));
        series.add(GwlbWire.withoutCookie(0x2b8ee1d4db0c51c4L, ipv4(a, b, 17, GwlbWire.udp(1, 2, "no cookie"))));
        try (DatagramChannel replies = DatagramChannel.open(StandardProtocolFamily.INET).bind(new InetSocketAddress(self, 6081));
                DatagramChannel first = DatagramChannel.open(StandardProtocolFamily.INET).bind(new InetSocketAddress(self, 40101));
                DatagramChannel second = DatagramChannel.open(StandardProtocolFamily.INET).bind(new InetSocketAddress(self, 40102))) {
            replies.configureBlocking(false);
            ByteBuffer in = ByteBuffer.allocate(70_000);
            for (int i = 0; i < series.size(); i++) {
                byte[] d = series.get(i);
                (i % 2 == 0 ? first : second).send(ByteBuffer.wrap(d), appliance);
                String line = "none";
                long end = System.nanoTime() + (i >= series.size() - 2 ? 300 : 3000) * 1_000_000L;
                while (System.nanoTime() < end) {
                    InetSocketAddress from = (InetSocketAddress) replies.receive(in.clear());
                    if (from != null) {
                        line = "from " + from.getAddress().getHostAddress() + ":" + from.getPort() + " "
                                + HexFormat.of().formatHex(Arrays.copyOf(in.array(), in.position()));
                        break;
                    }
                    Thread.sleep(1);
                }
                System.out.println("datagram " + i + " (" + d.length + " bytes): " + line);
            }
        }
        System.out.println("probe done");
    }
}
