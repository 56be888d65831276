package io.github.geneve4j.pcap.testing;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;

/** Builds pcap and pcapng files byte by byte for reader tests, in either byte order. */
public final class CaptureBuilder {

    private CaptureBuilder() {
    }

    /** A pcap file; {@code nanos} picks the nanosecond magic. Timestamps are 1.5 s + frame index. */
    public static byte[] pcap(ByteOrder order, boolean nanos, int linkType, byte[]... frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer h = ByteBuffer.allocate(24).order(order);
        h.putInt(nanos ? 0xa1b23c4d : 0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0)
                .putInt(65535).putInt(linkType);
        out.writeBytes(h.array());
        int i = 0;
        for (byte[] frame : frames) {
            ByteBuffer r = ByteBuffer.allocate(16).order(order);
            r.putInt(1 + i).putInt(nanos ? 500_000_000 : 500_000).putInt(frame.length).putInt(frame.length + 4);
            out.writeBytes(r.array());
            out.writeBytes(frame);
            i++;
        }
        return out.toByteArray();
    }

    /** A pcapng section: SHB, one IDB (with if_tsresol when not 6), then one EPB per frame. */
    public static byte[] pcapng(ByteOrder order, int linkType, int tsresol, byte[]... frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(block(order, 0x0A0D0D0A, ByteBuffer.allocate(16).order(order)
                .putInt(0x1A2B3C4D).putShort((short) 1).putShort((short) 0).putLong(-1).array()));
        ByteBuffer idb = ByteBuffer.allocate(tsresol == 6 ? 8 : 20).order(order);
        idb.putShort((short) linkType).putShort((short) 0).putInt(0);
        if (tsresol != 6) {
            idb.putShort((short) 9).putShort((short) 1).put((byte) tsresol).put(new byte[3]).putShort((short) 0)
                    .putShort((short) 0);
        }
        out.writeBytes(block(order, 1, idb.array()));
        int i = 0;
        for (byte[] frame : frames) {
            int padded = (frame.length + 3) & ~3;
            ByteBuffer epb = ByteBuffer.allocate(20 + padded).order(order);
            long units = (1 + i) * 1_000_000L; // one second apart at microsecond resolution
            epb.putInt(0).putInt((int) (units >>> 32)).putInt((int) units).putInt(frame.length)
                    .putInt(frame.length).put(frame);
            out.writeBytes(block(order, 6, epb.array()));
            i++;
        }
        return out.toByteArray();
    }

    /** A simple packet block holding {@code frame}. */
    public static byte[] simplePacketBlock(ByteOrder order, byte[] frame) {
        int padded = (frame.length + 3) & ~3;
        ByteBuffer spb = ByteBuffer.allocate(4 + padded).order(order);
        spb.putInt(frame.length).put(frame);
        return block(order, 3, spb.array());
    }

    public static byte[] block(ByteOrder order, int type, byte[] body) {
        int length = 12 + body.length;
        ByteBuffer b = ByteBuffer.allocate(length).order(order);
        b.putInt(type).putInt(length).put(body).putInt(length);
        return b.array();
    }

    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /**
     * An Ethernet (02:00:0a:00:00:01 to 02:00:0a:00:00:02) + IPv4 (10.0.0.1 to 10.0.0.2) or IPv6 +
     * TCP (to port 5001, sequence 1000) frame carrying {@code payload}, PSH|ACK set; beyond 64 KiB the
     * IP length is 0 (BIG TCP). The TCP checksum is left 0: a segmenter computes it.
     */
    public static byte[] tcpFrame(boolean v4, byte[] payload, int sourcePort) {
        int ip = v4 ? 20 : 40;
        ByteBuffer b = ByteBuffer.allocate(14 + ip + 20 + payload.length);
        b.put(HexFormat.of().parseHex("02000a000002" + "02000a000001")).putShort((short) (v4 ? 0x0800 : 0x86DD));
        if (v4) {
            int total = 20 + 20 + payload.length;
            b.put((byte) 0x45).put((byte) 0).putShort((short) (total > 0xFFFF ? 0 : total)).putShort((short) 0x1234)
                    .putShort((short) 0x4000).put((byte) 64).put((byte) 6).putShort((short) 0)
                    .put(new byte[] {10, 0, 0, 1}).put(new byte[] {10, 0, 0, 2});
            int sum = 0;
            for (int i = 14; i < 34; i += 2) {
                sum += b.getShort(i) & 0xFFFF;
            }
            while ((sum >>> 16) != 0) {
                sum = (sum & 0xFFFF) + (sum >>> 16);
            }
            b.putShort(24, (short) ~sum);
        } else {
            int plen = 20 + payload.length;
            b.putInt(0x6000_0000).putShort((short) (plen > 0xFFFF ? 0 : plen)).put((byte) 6).put((byte) 64)
                    .put(HexFormat.of().parseHex("fd000000000000000000000000000001"))
                    .put(HexFormat.of().parseHex("fd000000000000000000000000000002"));
        }
        b.putShort((short) sourcePort).putShort((short) 5001).putInt(1000).putInt(1).put((byte) 0x50).put((byte) 0x18)
                .putShort((short) 65535).putShort((short) 0).putShort((short) 0);
        b.put(payload);
        return b.array();
    }
}
