package io.github.geneve4j.testing;

import java.nio.ByteBuffer;

/**
 * Minimal Ethernet + IPv4 + UDP framing for tests that must hand a UDP payload to a dissector.
 * Written independently of the library's own L2–L4 code, so that tests of one do not lean on the
 * other. The UDP checksum is zero, which
 * IPv4 allows (RFC 768).
 */
public final class UdpFrames {

    private UdpFrames() {
    }

    /** An Ethernet frame 172.31.0.1:{@code srcPort} → 172.31.0.2:{@code dstPort} carrying {@code payload}. */
    public static byte[] ipv4(int srcPort, int dstPort, byte[] payload) {
        int udpLength = 8 + payload.length;
        int ipLength = 20 + udpLength;
        ByteBuffer b = ByteBuffer.allocate(14 + ipLength);
        b.put(Hex.bytes("02 00 00 00 00 02 02 00 00 00 00 01 08 00"));
        int ip = b.position();
        b.put((byte) 0x45).put((byte) 0).putShort((short) ipLength).putShort((short) 1)
                .putShort((short) 0x4000).put((byte) 64).put((byte) 17).putShort((short) 0)
                .put(new byte[] {(byte) 172, 31, 0, 1}).put(new byte[] {(byte) 172, 31, 0, 2});
        b.putShort(ip + 10, (short) ipv4HeaderChecksum(b.array(), ip));
        b.putShort((short) srcPort).putShort((short) dstPort).putShort((short) udpLength).putShort((short) 0);
        b.put(payload);
        return b.array();
    }

    private static int ipv4HeaderChecksum(byte[] bytes, int from) {
        int sum = 0;
        for (int i = from; i < from + 20; i += 2) {
            sum += ((bytes[i] & 0xFF) << 8) | (bytes[i + 1] & 0xFF);
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return ~sum & 0xFFFF;
    }
}
