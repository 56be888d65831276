package io.github.geneve4j.tools.demo;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * Synthesizes the outer Ethernet/IP/UDP headers around a datagram as it crossed the wire, so that a
 * pcap of a socket-level tunnel dissects like a capture of the real thing. Addresses and ports are
 * the real ones; the UDP checksum is computed (mandatory over IPv6).
 */
final class OuterFrames {

    private static final byte[] SOURCE_MAC = {2, 0, 0, 0, 0, 0x0a};
    private static final byte[] DESTINATION_MAC = {2, 0, 0, 0, 0, 0x0b};

    private OuterFrames() {
    }

    static byte[] udp(InetSocketAddress from, InetSocketAddress to, byte[] payload) {
        boolean v4 = from.getAddress() instanceof Inet4Address;
        byte[] src = from.getAddress().getAddress();
        byte[] dst = to.getAddress().getAddress();
        int ipHeader = v4 ? 20 : 40;
        int udpLength = 8 + payload.length;
        ByteBuffer b = ByteBuffer.allocate(14 + ipHeader + udpLength);
        Frames.ethernet(b, DESTINATION_MAC, SOURCE_MAC, v4 ? 0x0800 : 0x86DD);
        int ip = 14;
        if (v4) {
            b.put(ip, (byte) 0x45).putShort(ip + 2, (short) (20 + udpLength)).putShort(ip + 6, (short) 0x4000)
                    .put(ip + 8, (byte) 64).put(ip + 9, (byte) 17).put(ip + 12, src).put(ip + 16, dst);
            b.putShort(ip + 10, (short) Frames.checksum(b, ip, 20));
        } else {
            b.putInt(ip, 0x6000_0000).putShort(ip + 4, (short) udpLength).put(ip + 6, (byte) 17)
                    .put(ip + 7, (byte) 64).put(ip + 8, src).put(ip + 24, dst);
        }
        int udp = ip + ipHeader;
        b.putShort(udp, (short) from.getPort()).putShort(udp + 2, (short) to.getPort())
                .putShort(udp + 4, (short) udpLength).put(udp + 8, payload);
        // checksum over the pseudo-header (addresses, protocol, length) and the datagram
        ByteBuffer pseudo = ByteBuffer.allocate(2 * src.length + 4 + udpLength + 1);
        pseudo.put(src).put(dst).putShort((short) 17).putShort((short) udpLength).put(b.array(), udp, udpLength);
        int sum = Frames.checksum(pseudo, 0, pseudo.position());
        b.putShort(udp + 6, (short) (sum == 0 ? 0xFFFF : sum));
        return b.array();
    }
}
