package io.github.geneve4j.endpoint.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** The gather list: what it records is what a {@code struct iovec} array holds, datagram by datagram. */
class GatherListTest {

    @Test
    void recordsEachPieceAsAnIovecAndEachDatagramsBounds() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment headers = arena.allocate(256);
            MemorySegment frame = arena.allocate(4096);
            GatherList list = new GatherList(8, 3);
            list.add(headers, 0, 62).add(frame, 100, 1388).endDatagram();
            list.add(headers, 62, 62).add(frame, 1488, 0).add(frame, 1488, 500).endDatagram(); // an empty piece is left out
            assertThat(list.datagrams()).isEqualTo(2);
            assertThat(list.pieces()).isEqualTo(4);
            assertThat(list.bytes()).isEqualTo(62 + 1388 + 62 + 500);
            assertThat(list.datagramLength(0)).isEqualTo(1450);
            assertThat(list.datagramLength(1)).isEqualTo(562);
            assertThat(list.firstPiece(0)).isZero();
            assertThat(list.endPiece(0)).isEqualTo(2);
            assertThat(list.firstPiece(1)).isEqualTo(2);
            assertThat(list.endPiece(1)).isEqualTo(4);
            assertThat(list.address(1)).isEqualTo(frame.address() + 100);
            assertThat(list.length(1)).isEqualTo(1388);
            assertThat(list.iovecs().get(ValueLayout.JAVA_LONG, 3 * GatherList.IOVEC_SIZE)).isEqualTo(frame.address() + 1488);
            assertThat(list.iovecs().get(ValueLayout.JAVA_LONG, 3 * GatherList.IOVEC_SIZE + 8)).isEqualTo(500);
            assertThat(list.hasRoom(4)).isTrue();
            assertThat(list.hasRoom(5)).isFalse();
            list.clear();
            assertThat(list.datagrams()).isZero();
            assertThat(list.pieces()).isZero();
            assertThat(list.bytes()).isZero();
        }
    }

    @Test
    void refusesHeapMemoryOutOfBoundsPiecesEmptyDatagramsAndOverflow() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment native16 = arena.allocate(16);
            GatherList list = new GatherList(2, 1);
            assertThatThrownBy(() -> list.add(MemorySegment.ofArray(new byte[16]), 0, 8))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("heap");
            assertThatThrownBy(() -> list.add(native16, 10, 7)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> list.add(native16, -1, 2)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(list::endDatagram).isInstanceOf(IllegalStateException.class).hasMessageContaining("empty");
            list.add(native16, 0, 8).add(native16, 8, 8);
            assertThatThrownBy(() -> list.add(native16, 0, 1)).isInstanceOf(IllegalStateException.class);
            list.endDatagram();
            assertThat(list.hasRoom(0)).as("no room for another datagram").isFalse();
            assertThatThrownBy(() -> new GatherList(1, 2)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> new GatherList(1, 0)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
