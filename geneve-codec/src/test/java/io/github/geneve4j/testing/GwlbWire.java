package io.github.geneve4j.testing;

import java.nio.ByteBuffer;

/**
 * What a GWLB stand-in sends, written byte by byte from AWS's documented layout (not from our
 * encoder): the Geneve base header (version 0, Opt Len, protocol type, VNI 0), the three options of
 * class 0x0108 (type 1 endpoint ID 8 bytes, type 2 attachment ID 8 bytes, type 3 flow cookie 4 bytes,
 * C bit clear), optionally an extra option of another class, and an inner IPv4 or IPv6 packet with
 * its checksums (RFC 791, 793, 768, 792, 4443).
 */
public final class GwlbWire {

    public static final int IPV4 = 0x0800;
    public static final int IPV6 = 0x86DD;

    private GwlbWire() {
    }

    /** A GWLB datagram's UDP payload around {@code inner}; {@code extra} adds a class 0x7f01 option between type 1 and 2. */
    public static byte[] datagram(long endpoint, long attachment, int cookie, int protocolType, boolean extra, byte[] inner) {
        int options = 12 + 12 + 8 + (extra ? 8 : 0);
        ByteBuffer b = ByteBuffer.allocate(8 + options + inner.length);
        b.put((byte) (options / 4)).put((byte) 0).putShort((short) protocolType).putInt(0);
        b.putShort((short) 0x0108).put((byte) 1).put((byte) 2).putLong(endpoint);
        if (extra) {
            b.putShort((short) 0x7f01).put((byte) 0x42).put((byte) 1).putInt(0xcafebabe);
        }
        b.putShort((short) 0x0108).put((byte) 2).put((byte) 2).putLong(attachment);
        b.putShort((short) 0x0108).put((byte) 3).put((byte) 1).putInt(cookie);
        return b.put(inner).array();
    }

    /** A Geneve header with only the endpoint ID and attachment ID (no cookie): not GWLB's. */
    public static byte[] withoutCookie(long endpoint, byte[] inner) {
        ByteBuffer b = ByteBuffer.allocate(8 + 24 + inner.length);
        b.put((byte) 6).put((byte) 0).putShort((short) IPV4).putInt(0);
        b.putShort((short) 0x0108).put((byte) 1).put((byte) 2).putLong(endpoint);
        b.putShort((short) 0x0108).put((byte) 2).put((byte) 2).putLong(1);
        return b.put(inner).array();
    }

    /** A Geneve header without options. */
    public static byte[] bare(byte[] inner) {
        ByteBuffer b = ByteBuffer.allocate(8 + inner.length);
        b.put((byte) 0).put((byte) 0).putShort((short) IPV4).putInt(0);
        return b.put(inner).array();
    }

    public static int sum(byte[] b, int from, int to, long start) {
        long s = start;
        for (int i = from; i < to; i += 2) {
            s += ((b[i] & 0xFF) << 8) | (i + 1 < to ? b[i + 1] & 0xFF : 0);
        }
        while (s >>> 16 != 0) {
            s = (s & 0xFFFF) + (s >>> 16);
        }
        return (int) s;
    }

    /** An IPv4 packet from {@code src} to {@code dst} (a.b.c.d as ints) of {@code protocol} with {@code l4} (its checksum field zero; computed here). */
    public static byte[] ipv4(int src, int dst, int protocol, byte[] l4) {
        ByteBuffer b = ByteBuffer.allocate(20 + l4.length);
        b.put((byte) 0x45).put((byte) 0).putShort((short) (20 + l4.length)).putShort((short) 0x1234).putShort((short) 0x4000)
                .put((byte) 64).put((byte) protocol).putShort((short) 0).putInt(src).putInt(dst).put(l4);
        byte[] p = b.array();
        int h = ~sum(p, 0, 20, 0) & 0xFFFF;
        p[10] = (byte) (h >>> 8);
        p[11] = (byte) h;
        int at = checksumAt(protocol);
        long pseudo = protocol == 1 ? 0 : (src >>> 16) + (src & 0xFFFF) + (dst >>> 16) + (dst & 0xFFFF) + protocol + l4.length;
        int c = ~sum(p, 20, p.length, pseudo) & 0xFFFF;
        if (c == 0 && protocol == 17) {
            c = 0xFFFF;
        }
        p[20 + at] = (byte) (c >>> 8);
        p[21 + at] = (byte) c;
        return p;
    }

    /** An IPv6 packet (addresses 16 bytes each) of {@code protocol} with {@code l4}, checksum computed. */
    public static byte[] ipv6(byte[] src, byte[] dst, int protocol, byte[] l4) {
        ByteBuffer b = ByteBuffer.allocate(40 + l4.length);
        b.putInt(0x60000000).putShort((short) l4.length).put((byte) protocol).put((byte) 64).put(src).put(dst).put(l4);
        byte[] p = b.array();
        long pseudo = sum(p, 8, 40, 0) + (long) l4.length + protocol;
        int c = ~sum(p, 40, p.length, pseudo) & 0xFFFF;
        if (c == 0 && protocol == 17) {
            c = 0xFFFF;
        }
        int at = checksumAt(protocol);
        p[40 + at] = (byte) (c >>> 8);
        p[41 + at] = (byte) c;
        return p;
    }

    private static int checksumAt(int protocol) {
        return switch (protocol) {
            case 6 -> 16;
            case 17 -> 6;
            default -> 2; // ICMP, ICMPv6
        };
    }

    public static byte[] tcp(int sport, int dport, String payload) {
        byte[] data = payload.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(20 + data.length).putShort((short) sport).putShort((short) dport).putInt(1000).putInt(0)
                .put((byte) 0x50).put((byte) 0x18).putShort((short) 65535).putShort((short) 0).putShort((short) 0).put(data)
                .array();
    }

    public static byte[] udp(int sport, int dport, String payload) {
        byte[] data = payload.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(8 + data.length).putShort((short) sport).putShort((short) dport)
                .putShort((short) (8 + data.length)).putShort((short) 0).put(data).array();
    }

    /** An ICMP (type 8) or ICMPv6 (type 128) echo request. */
    public static byte[] echo(int type, int id, int seq) {
        return ByteBuffer.allocate(12).put((byte) type).put((byte) 0).putShort((short) 0).putShort((short) id)
                .putShort((short) seq).putInt(0x01020304).array();
    }

    public static int ip(int a, int b, int c, int d) {
        return a << 24 | b << 16 | c << 8 | d;
    }

    public static byte[] ip6(int last) {
        byte[] a = new byte[16];
        a[0] = 0x20;
        a[1] = 0x01;
        a[2] = 0x0d;
        a[3] = (byte) 0xb8;
        a[15] = (byte) last;
        return a;
    }

    /** Whether the inner IPv4 packet at {@code at} of {@code p} has a valid header and transport checksum. */
    public static boolean ipv4ChecksumsValid(byte[] p, int at) {
        int hl = (p[at] & 0xF) * 4;
        int total = ((p[at + 2] & 0xFF) << 8) | (p[at + 3] & 0xFF);
        if (sum(p, at, at + hl, 0) != 0xFFFF) {
            return false;
        }
        int protocol = p[at + 9] & 0xFF;
        long src = ((long) (p[at + 12] & 0xFF) << 24 | (p[at + 13] & 0xFF) << 16 | (p[at + 14] & 0xFF) << 8 | (p[at + 15] & 0xFF));
        long dst = ((long) (p[at + 16] & 0xFF) << 24 | (p[at + 17] & 0xFF) << 16 | (p[at + 18] & 0xFF) << 8 | (p[at + 19] & 0xFF));
        int l4 = total - hl;
        long pseudo = protocol == 1 ? 0 : (src >>> 16) + (src & 0xFFFF) + (dst >>> 16) + (dst & 0xFFFF) + protocol + l4;
        return sum(p, at + hl, at + total, pseudo) == 0xFFFF;
    }
}
