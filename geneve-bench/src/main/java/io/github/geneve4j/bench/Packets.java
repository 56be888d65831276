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
}
