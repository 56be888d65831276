package io.github.geneve4j.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.testing.Hex;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Behaviour that mutation testing showed no other test pinned down. */
class MutationGapsTest {

    @Test
    void everyAccessorRefusesAViewThatHoldsNoValidHeader() {
        GeneveView fresh = new GeneveView();
        GeneveView failed = new GeneveView();
        assertThat(failed.tryWrap(MemorySegment.ofArray(new byte[3]), 0)).isFalse();
        List<Consumer<GeneveView>> accessors = List.of(GeneveView::version, GeneveView::optionsLength,
                GeneveView::headerLength, GeneveView::oam, GeneveView::critical, GeneveView::protocolType,
                GeneveView::vni, GeneveView::offset, GeneveView::payloadOffset, GeneveView::payloadLength,
                GeneveView::segment, GeneveView::payloadSegment, GeneveView::payloadBuffer, GeneveView::options,
                GeneveView::optionCount, GeneveView::hasCriticalOption, GeneveView::toHeader);
        for (GeneveView view : List.of(fresh, failed)) {
            for (Consumer<GeneveView> accessor : accessors) {
                assertThatThrownBy(() -> accessor.accept(view)).isInstanceOf(IllegalStateException.class);
            }
        }
        assertThat(fresh.toString()).isEqualTo("GeneveView[unwrapped]");
        // an unwrapped view says so, before saying which kind of memory it would need
        assertThatThrownBy(fresh::payloadBuffer).hasMessage("view is not wrapped around a valid Geneve header");
        assertThatThrownBy(failed::payloadBuffer).hasMessage("view is not wrapped around a valid Geneve header");
    }

    @Test
    void viewReportsCriticalOptionsWhateverTheCBit() {
        GeneveView view = new GeneveView();
        view.wrap(MemorySegment.ofArray(Hex.bytes("02 00 65 58 00 00 00 00 | ff ff 01 00 | ff ff 80 00")), 0);
        assertThat(view.hasCriticalOption()).isTrue();
        assertThat(view.critical()).isFalse();
        view.wrap(MemorySegment.ofArray(Hex.bytes("01 40 65 58 00 00 00 00 | ff ff 7f 00")), 0);
        assertThat(view.hasCriticalOption()).isFalse();
        assertThat(view.critical()).isTrue();
    }

    @Test
    void recordsAcceptTheLargestFieldValues() {
        GeneveHeader header = new GeneveHeader(3, true, true, 0xFFFF, 0xFFFFFF, List.of());
        assertThat(header.toBytes()).isEqualTo(Hex.bytes("c0 c0 ff ff ff ff ff 00"));
        assertThat(new GeneveHeader(0, false, false, 0, 0, List.of()).toBytes()).isEqualTo(new byte[8]);
        assertThat(new GeneveHeader(2, false, false, 0, 0, List.of()).toBytes()[0]).isEqualTo((byte) 0x80);
    }

    @Test
    void encodeOverwritesReservedBytesInADirtyTarget() {
        GeneveHeader header = GeneveHeader.of(ProtocolType.ETHERNET, 5000, new GeneveOption(0x0101, 5, new byte[4]));
        byte[] dirty = new byte[header.encodedLength()];
        Arrays.fill(dirty, (byte) 0xFF);
        header.encode(ByteBuffer.wrap(dirty), 0);
        assertThat(dirty).isEqualTo(Hex.bytes("02 00 65 58 00 13 88 00 | 01 01 05 01 00 00 00 00"));
    }

    @Test
    void optionLengthsAndHashesFollowTheData() {
        assertThat(new GeneveOption(1, 1, new byte[8]).dataLength()).isEqualTo(8);
        GeneveOption a = new GeneveOption(0x0108, 1, Hex.bytes("01020304"));
        assertThat(a.hashCode()).isEqualTo(((0x0108 * 31 + 1) * 31) + Arrays.hashCode(Hex.bytes("01020304")));
        assertThat(a.hashCode()).isNotEqualTo(new GeneveOption(0x0108, 2, Hex.bytes("01020304")).hashCode());
    }
}
