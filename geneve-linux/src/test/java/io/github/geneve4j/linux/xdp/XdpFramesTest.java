package io.github.geneve4j.linux.xdp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** The batch a worker gets: frames where the kernel put them, replies marked in place. */
class XdpFramesTest {

    @Test
    void roomRunsToTheEndOfTheFramesChunk() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment umem = arena.allocate(4 * 2048);
            XdpFrames frames = new XdpFrames(4);
            frames.start(umem, 2048);
            frames.add(2048 + 256, 60); // the kernel's 256 bytes of headroom
            frames.add(3 * 2048 + 256, 1500);
            assertThat(frames.size()).isEqualTo(2);
            assertThat(frames.umem()).isSameAs(umem);
            assertThat(frames.offset(0)).isEqualTo(2304);
            assertThat(frames.length(1)).isEqualTo(1500);
            assertThat(frames.room(0)).isEqualTo(2048 - 256);
            assertThat(frames.replyLength(0)).as("dropped unless marked").isEqualTo(-1);
            frames.reply(0, 1792);
            assertThat(frames.replyLength(0)).isEqualTo(1792);
            frames.drop(0);
            assertThat(frames.replyLength(0)).isEqualTo(-1);
            assertThatThrownBy(() -> frames.reply(1, 1793)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("14..1792");
            assertThatThrownBy(() -> frames.reply(1, 13)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> frames.offset(2)).isInstanceOf(IndexOutOfBoundsException.class);
            frames.clear();
            assertThat(frames.size()).isZero();
        }
    }

    @Test
    void refusesCapacitiesOutOfRange() {
        assertThatThrownBy(() -> new XdpFrames(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new XdpFrames(4097)).isInstanceOf(IllegalArgumentException.class);
        assertThat(new XdpFrames(64).capacity()).isEqualTo(64);
    }

    @Test
    void optionsRefuseSizesTheKernelWouldRefuse() {
        assertThatThrownBy(() -> new XdpSocket.Options(4096, 3000, 2048, false)).hasMessageContaining("2048 or 4096");
        assertThatThrownBy(() -> new XdpSocket.Options(4096, 2048, 1000, false)).hasMessageContaining("power of two");
        assertThatThrownBy(() -> new XdpSocket.Options(100, 2048, 64, false)).hasMessageContaining("at least 128");
        assertThat(XdpSocket.Options.DEFAULT.frames()).isEqualTo(4096);
    }
}
