package io.github.geneve4j.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.testing.Backing;
import io.github.geneve4j.testing.Hex;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The codec's contract, written once and run over heap/direct buffers and heap/native segments. */
class CodecContractTest {

    private static final byte[] GWLB = Hex.bytes("08 00 08 00 00 00 00 00 | 01 08 01 02 11 22 33 44 55 66 77 88"
            + " | 01 08 02 02 99 aa bb cc dd ee ff 00 | 01 08 03 01 12 34 56 78 | 45 00 00 14");

    @ParameterizedTest
    @EnumSource(Backing.class)
    void viewWalksOptionsInPlace(Backing backing) {
        Backing.Placed placed = backing.place(GWLB, 11, 0);
        GeneveView view = new GeneveView();
        GoldenVectorsTest.wrap(view, placed, backing);
        assertThat(view.optionCount()).isEqualTo(3);
        assertThat(view.optionsLength()).isEqualTo(32);
        assertThat(view.hasCriticalOption()).isFalse();
        List<String> seen = new ArrayList<>();
        for (GeneveOptionCursor o = view.options(); o.next(); ) {
            seen.add(o.offset() + ":" + o.type() + ":" + o.dataLength() + ":" + (o.dataOffset() - placed.offset()));
        }
        assertThat(seen).containsExactly("8:1:8:12", "20:2:8:24", "32:3:4:36");
        GeneveOptionCursor o = view.options();
        assertThat(o.next()).isTrue();
        assertThat(o.dataLong(0)).isEqualTo(0x1122334455667788L);
        assertThat(o.dataInt(4)).isEqualTo(0x55667788);
        assertThat(o.dataU16(6)).isEqualTo(0x7788);
        assertThat(o.dataU8(7)).isEqualTo(0x88);
        assertThat(o.dataEquals(Hex.bytes("1122334455667788"))).isTrue();
        assertThat(o.dataEquals(Hex.bytes("1122334455667789"))).isFalse();
        assertThat(o.dataEquals(Hex.bytes("11223344"))).isFalse();
        assertThatThrownBy(() -> o.dataInt(5)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(o.next()).isTrue();
        assertThat(o.next()).isTrue();
        assertThat(o.optionClass()).isEqualTo(0x0108);
        assertThat(o.critical()).isFalse();
        assertThat(o.toOption()).isEqualTo(new GeneveOption(0x0108, 3, Hex.bytes("12345678")));
        assertThat(o.next()).isFalse();
        assertThat(o.next()).isFalse();
        assertThatThrownBy(o::type).isInstanceOf(IllegalStateException.class);
        assertThat(view.payloadOffset()).isEqualTo(11 + 40);
        assertThat(view.payloadLength()).isEqualTo(4);
    }

    @ParameterizedTest
    @EnumSource(Backing.class)
    void payloadSliceSharesTheBytes(Backing backing) {
        Backing.Placed placed = backing.place(GWLB, 7, 0);
        GeneveView view = new GeneveView();
        GoldenVectorsTest.wrap(view, placed, backing);
        if (backing.isBuffer()) {
            ByteBuffer payload = view.payloadBuffer();
            assertThat(payload.remaining()).isEqualTo(4);
            assertThat(payload.get(0)).isEqualTo((byte) 0x45);
            placed.buffer().put(7 + 40, (byte) 0x46);
            assertThat(payload.get(0)).as("a slice, not a copy").isEqualTo((byte) 0x46);
        } else {
            MemorySegment payload = view.payloadSegment();
            assertThat(payload.byteSize()).isEqualTo(4);
            placed.memory().set(java.lang.foreign.ValueLayout.JAVA_BYTE, 7 + 40, (byte) 0x46);
            assertThat(payload.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 0x46);
            assertThatThrownBy(view::payloadBuffer).isInstanceOf(IllegalStateException.class);
        }
    }

    @ParameterizedTest
    @EnumSource(Backing.class)
    void encodeRefusesATargetTooSmallWithoutWritingAnything(Backing backing) {
        GeneveHeader header = GeneveHeader.decode(GWLB);
        Backing.Placed target = backing.allocate(6 + header.encodedLength() - 1);
        assertThatThrownBy(() -> encode(header, target, 6))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("target too small: 39 bytes available from offset 6 (needed: 40 bytes)");
        assertThat(target.bytes(0, (int) (6 + header.encodedLength() - 1))).containsOnly(0);
        assertThatThrownBy(() -> encode(header, target, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> encode(header, target, 1000)).hasMessageContaining("outside the buffer");
    }

    @ParameterizedTest
    @EnumSource(Backing.class)
    void decodeRejectsOffsetsOutsideTheInput(Backing backing) {
        Backing.Placed placed = backing.place(GWLB, 0, 0);
        GeneveView view = new GeneveView();
        assertThatThrownBy(() -> wrapAt(view, placed, backing, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> wrapAt(view, placed, backing, GWLB.length + 1))
                .isInstanceOf(IllegalArgumentException.class);
        // at the very end: zero bytes, which is a truncated header, not a programming error
        assertThatThrownBy(() -> wrapAt(view, placed, backing, GWLB.length))
                .isInstanceOfSatisfying(GeneveFormatException.class,
                        e -> assertThat(e.reason()).isEqualTo(GeneveFormatException.Reason.TRUNCATED));
    }

    @ParameterizedTest
    @EnumSource(Backing.class)
    void viewRewrapsAcrossPacketsAndAfterErrors(Backing backing) {
        GeneveView view = new GeneveView();
        Backing.Placed good = backing.place(GWLB, 3, 0);
        Backing.Placed bad = backing.place(Hex.bytes("40 00 65 58 00 13 88 00"), 1, 0);
        Backing.Placed other = backing.place(Hex.bytes("00 00 65 58 00 13 88 00"), 2, 0);
        GoldenVectorsTest.wrap(view, good, backing);
        assertThat(view.vni()).isZero();
        assertThat(GoldenVectorsTest.tryWrap(view, bad, backing)).isFalse();
        assertThat(view.errorReason()).isEqualTo(GeneveFormatException.Reason.UNSUPPORTED_VERSION);
        assertThatThrownBy(view::protocolType).isInstanceOf(IllegalStateException.class);
        GoldenVectorsTest.wrap(view, other, backing);
        assertThat(view.vni()).isEqualTo(5000);
        assertThat(view.optionCount()).isZero();
        assertThat(view.toString()).contains("vni=5000");
    }

    @ParameterizedTest
    @EnumSource(Backing.class)
    void readOnlyTargetsAreRefused(Backing backing) {
        GeneveHeader header = GeneveHeader.of(ProtocolType.ETHERNET, 1);
        Backing.Placed target = backing.allocate(16);
        if (backing.isBuffer()) {
            assertThatThrownBy(() -> header.encode(target.buffer().asReadOnlyBuffer(), 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("read-only");
            // but read-only input decodes
            ByteBuffer in = ByteBuffer.wrap(header.toBytes()).asReadOnlyBuffer();
            assertThat(GeneveHeader.decode(in, 0)).isEqualTo(header);
        } else {
            assertThatThrownBy(() -> header.encode(target.memory().asReadOnly(), 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("read-only");
            assertThat(GeneveHeader.decode(MemorySegment.ofArray(header.toBytes()).asReadOnly(), 0)).isEqualTo(header);
        }
    }

    @org.junit.jupiter.api.Test
    void bufferDecodeIgnoresPositionAndOrderAndStopsAtTheLimit() {
        ByteBuffer buffer = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(4, Hex.bytes("00 00 65 58 00 13 88 00 aa bb"));
        buffer.position(9).limit(14);
        GeneveView view = new GeneveView().wrap(buffer, 4);
        assertThat(view.vni()).isEqualTo(5000);
        assertThat(view.payloadLength()).as("ends at the limit").isEqualTo(2);
        assertThat(buffer.position()).isEqualTo(9);
        assertThat(buffer.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
        buffer.limit(10);
        assertThat(view.tryWrap(buffer, 4)).as("the same buffer re-wrapped with a shorter limit").isFalse();
        assertThat(view.errorReason()).isEqualTo(GeneveFormatException.Reason.TRUNCATED);
        assertThat(view.errorOffset()).isEqualTo(6);
    }

    @org.junit.jupiter.api.Test
    void encodeIntoBufferLeavesPositionLimitAndOrderAlone() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(32).order(ByteOrder.LITTLE_ENDIAN);
        buffer.position(5).limit(30);
        int written = GeneveHeader.of(ProtocolType.ETHERNET, 5000).encode(buffer, 2);
        assertThat(written).isEqualTo(8);
        assertThat(buffer.position()).isEqualTo(5);
        assertThat(buffer.limit()).isEqualTo(30);
        byte[] out = new byte[8];
        buffer.get(2, out);
        assertThat(out).isEqualTo(Hex.bytes("00 00 65 58 00 13 88 00"));
        assertThatThrownBy(() -> GeneveHeader.of(ProtocolType.ETHERNET, 1).encode(buffer, 23))
                .as("the limit, not the capacity, bounds the write").isInstanceOf(IllegalArgumentException.class);
    }

    @org.junit.jupiter.api.Test
    void nativeSegmentFromAConfinedArena() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate(300);
            GeneveHeader header = GeneveHeader.decode(GWLB);
            int written = header.encode(segment, 100);
            assertThat(GeneveHeader.decode(segment.asSlice(0, 100 + written), 100)).isEqualTo(header);
        }
    }

    private static int encode(GeneveHeader header, Backing.Placed target, int offset) {
        return target.buffer() != null ? header.encode(target.buffer(), offset) : header.encode(target.memory(), offset);
    }

    private static void wrapAt(GeneveView view, Backing.Placed placed, Backing backing, int offset) {
        if (backing.isBuffer()) {
            view.wrap(placed.buffer(), offset);
        } else {
            view.wrap(placed.memory(), offset);
        }
    }
}
