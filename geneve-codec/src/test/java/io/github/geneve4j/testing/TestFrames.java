package io.github.geneve4j.testing;

import io.github.geneve4j.codec.internal.Wire;
import io.github.geneve4j.codec.net.EtherType;
import io.github.geneve4j.codec.net.EthernetView;
import io.github.geneve4j.codec.net.InternetChecksum;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.Ipv4View;
import io.github.geneve4j.codec.net.Ipv6View;
import java.lang.foreign.MemorySegment;

/** Builds valid inner Ethernet + IPv4/IPv6 + TCP frames for tests, checksums computed. */
public final class TestFrames {

    public static final byte[] V6_SRC = hex16("20010db8000000000000000000000a01");
    public static final byte[] V6_DST = hex16("20010db8000000000000000000000a02");

    private TestFrames() {
    }

    private static byte[] hex16(String s) {
        return java.util.HexFormat.of().parseHex(s);
    }

    /**
     * An Ethernet frame carrying TCP; above 64 KiB of IP payload the IP length field is 0 (BIG TCP).
     *
     * @param tcpOptionsLength a multiple of 4, 0..40; filled with NOPs and a timestamp-like pattern
     */
    public static byte[] tcp(IpVersion version, boolean vlan, int tcpOptionsLength, byte[] payload, int flags,
            long seq, int ipId) {
        int eth = vlan ? 18 : 14;
        int ipHeader = version.headerLength();
        int tcpHeader = 20 + tcpOptionsLength;
        byte[] frame = new byte[eth + ipHeader + tcpHeader + payload.length];
        MemorySegment s = MemorySegment.ofArray(frame);
        EthernetView.write(s, 0, 0x0200000000bbL, 0x0200000000aaL, vlan ? 0x0064 : -1, version.etherType());
        long tcpLength = tcpHeader + payload.length;
        long pseudo;
        if (version == IpVersion.IPV4) {
            long total = ipHeader + tcpLength;
            Ipv4View.write(s, eth, 0, total > 0xFFFF ? 0 : (int) total, ipId, true, 64, EtherType.PROTOCOL_TCP,
                    0x0a000001L, 0x0a000002L);
            pseudo = InternetChecksum.pseudoHeaderIpv4(0x0a000001L, 0x0a000002L, 6, tcpLength);
        } else {
            Ipv6View.write(s, eth, 0, 0x12345, tcpLength > 0xFFFF ? 0 : (int) tcpLength, 6, 64, V6_SRC, V6_DST);
            pseudo = InternetChecksum.pseudoHeaderIpv6(s, eth + 8, 6, tcpLength);
        }
        long t = eth + ipHeader;
        Wire.putU16(s, t, 40000);
        Wire.putU16(s, t + 2, 5201);
        Wire.putU32(s, t + 4, seq);
        Wire.putU32(s, t + 8, 0x01020304L);
        Wire.putU8(s, t + 12, (tcpHeader / 4) << 4);
        Wire.putU8(s, t + 13, flags);
        Wire.putU16(s, t + 14, 502);
        for (int i = 0; i < tcpOptionsLength; i++) {
            frame[(int) t + 20 + i] = i < tcpOptionsLength - 10 || tcpOptionsLength < 10 ? (byte) 1 : 0;
        }
        if (tcpOptionsLength >= 12) {
            // NOP NOP timestamp(8, 10 bytes) at the end
            int at = (int) t + 20 + tcpOptionsLength - 12;
            frame[at] = 1;
            frame[at + 1] = 1;
            frame[at + 2] = 8;
            frame[at + 3] = 10;
            Wire.putU32(s, at + 4, 123456L);
            Wire.putU32(s, at + 8, 654321L);
        }
        System.arraycopy(payload, 0, frame, (int) t + tcpHeader, payload.length);
        Wire.putU16(s, t + 16, InternetChecksum.finish(pseudo + InternetChecksum.sum(s, t, tcpLength)));
        return frame;
    }

    /** {@code length} bytes of a recognisable pattern. */
    public static byte[] payload(int length, int seed) {
        byte[] p = new byte[length];
        for (int i = 0; i < length; i++) {
            p[i] = (byte) (i * 31 + seed + (i >>> 8));
        }
        return p;
    }
}
