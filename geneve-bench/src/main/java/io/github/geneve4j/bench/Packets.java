package io.github.geneve4j.bench;

import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.ProtocolType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** The Geneve headers the benchmarks decode, and the kinds of memory they sit in. */
public final class Packets {

    private Packets() {
    }

    /** Header layouts: no options; the AWS GWLB three options; the worst case of 63 empty options. */
    public enum Layout {
        BASE, GWLB, OPTIONS63;

        public GeneveHeader header() {
            return switch (this) {
                case BASE -> GeneveHeader.of(ProtocolType.ETHERNET, 5000);
                case GWLB -> GeneveHeader.of(ProtocolType.IPV4, 0,
                        new GeneveOption(0x0108, 1, new byte[] {1, 2, 3, 4, 5, 6, 7, 8}),
                        new GeneveOption(0x0108, 2, new byte[] {9, 10, 11, 12, 13, 14, 15, 16}),
                        new GeneveOption(0x0108, 3, new byte[] {17, 18, 19, 20}));
                case OPTIONS63 -> {
                    List<GeneveOption> options = new ArrayList<>();
                    for (int i = 0; i < 63; i++) {
                        options.add(GeneveOption.of(0xFFFF, i));
                    }
                    yield GeneveHeader.of(ProtocolType.ETHERNET, 42, options);
                }
            };
        }
    }

    /** Where the bytes live. */
    public enum Kind { HEAP_BUFFER, DIRECT_BUFFER, HEAP_SEGMENT, NATIVE_SEGMENT }

    /** A packet's bytes (header plus a 64-byte payload) in memory of one kind, at offset 0. */
    public record Placed(Kind kind, ByteBuffer buffer, MemorySegment segment, int length) {

        public static Placed of(Kind kind, byte[] bytes) {
            return switch (kind) {
                case HEAP_BUFFER -> new Placed(kind, ByteBuffer.wrap(bytes.clone()), null, bytes.length);
                case DIRECT_BUFFER -> new Placed(kind, ByteBuffer.allocateDirect(bytes.length).put(0, bytes), null, bytes.length);
                case HEAP_SEGMENT -> new Placed(kind, null, MemorySegment.ofArray(bytes.clone()), bytes.length);
                case NATIVE_SEGMENT -> {
                    MemorySegment s = Arena.global().allocate(bytes.length, 8);
                    MemorySegment.copy(bytes, 0, s, ValueLayout.JAVA_BYTE, 0, bytes.length);
                    yield new Placed(kind, null, s, bytes.length);
                }
            };
        }
    }

    /** The header's bytes followed by 64 payload bytes. */
    public static byte[] packet(Layout layout) {
        byte[] header = layout.header().toBytes();
        byte[] packet = new byte[header.length + 64];
        System.arraycopy(header, 0, packet, 0, header.length);
        return packet;
    }

    /**
     * An inner Ethernet + IPv4/IPv6 + TCP frame (no options, ACK|PSH, checksum field 0) with a random
     * payload; above 64 KiB the IP length field is 0 (Linux BIG TCP). The payload starts at
     * {@code 14 + 20 + 20} (IPv4) or {@code 14 + 40 + 20} (IPv6).
     */
    public static byte[] tcpFrame(boolean v4, int payload) {
        byte[] data = new byte[payload];
        new java.util.SplittableRandom(payload).nextBytes(data);
        int ipLength = v4 ? 20 : 40;
        ByteBuffer b = ByteBuffer.allocate(14 + ipLength + 20 + payload);
        b.put(new byte[] {2, 0, 10, 0, 0, 2, 2, 0, 10, 0, 0, 1}).putShort((short) (v4 ? 0x0800 : 0x86DD));
        if (v4) {
            int total = 40 + payload;
            b.put((byte) 0x45).put((byte) 0).putShort((short) (total > 0xFFFF ? 0 : total)).putShort((short) 1)
                    .putShort((short) 0x4000).put((byte) 64).put((byte) 6).putShort((short) 0)
                    .put(new byte[] {10, 0, 0, 1}).put(new byte[] {10, 0, 0, 2});
        } else {
            int plen = 20 + payload;
            b.putInt(0x6000_0000).putShort((short) (plen > 0xFFFF ? 0 : plen)).put((byte) 6).put((byte) 64)
                    .put(new byte[16]).put(new byte[16]);
            b.put(14 + 8 + 15, (byte) 1).put(14 + 24 + 15, (byte) 2);
        }
        b.putShort((short) 40000).putShort((short) 5001).putInt(1).putInt(1).put((byte) 0x50).put((byte) 0x18)
                .putShort((short) 65535).putInt(0);
        b.put(data);
        return b.array();
    }
}
