package io.github.geneve4j.codec.tso;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.TcpView;
import io.github.geneve4j.codec.tunnel.GeneveTunnel;
import io.github.geneve4j.testing.PcapTestWriter;
import io.github.geneve4j.testing.TestFrames;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link TcpCoalescer#finishInPlace} leaves in the caller's buffer what {@link TcpCoalescer#finish} copies out. */
class TcpCoalescerInPlaceTest {

    @Test
    void theFrameBuiltInTheCallersBufferIsTheOneFinishCopiesOut() throws Exception {
        for (boolean partial : new boolean[] {false, true}) {
            GeneveTunnel tunnel = TcpSegmenterTest.tunnel(IpVersion.IPV4, true, true);
            byte[] inner = TestFrames.tcp(IpVersion.IPV6, false, 12, TestFrames.payload(20_000, 3), TcpView.ACK | TcpView.PSH,
                    99, 7);
            List<byte[]> frames = new ArrayList<>();
            new TcpSegmenter(tunnel, 1400, 9000).segment(MemorySegment.ofArray(inner), 0, inner.length,
                    (b, o, l) -> frames.add(PcapTestWriter.bytes(b, o, l)));
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment merged = arena.allocate(64 + 30_000);
                merged.asSlice(0, 64).fill((byte) 0x77);
                TcpCoalescer inPlace = new TcpCoalescer(merged.asSlice(64), false);
                TcpCoalescer copying = new TcpCoalescer(30_000, false);
                for (byte[] f : frames) {
                    assertThat(inPlace.add(MemorySegment.ofArray(f), 0, f.length)).isTrue();
                    assertThat(copying.add(MemorySegment.ofArray(f), 0, f.length)).isTrue();
                }
                byte[] out = new byte[inner.length];
                long n = inPlace.finishInPlace(partial);
                assertThat(copying.finish(MemorySegment.ofArray(out), 0, partial)).isEqualTo(n).isEqualTo(inner.length);
                assertThat(merged.asSlice(64, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).isEqualTo(out);
                if (!partial) {
                    assertThat(out).isEqualTo(inner);
                }
                // the room in front is the caller's: untouched
                assertThat(merged.asSlice(0, 64).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))
                        .containsOnly((byte) 0x77);
                assertThat(inPlace.frameCount()).isZero();
                assertThat(inPlace.finishInPlace(partial)).isZero();
            }
        }
    }

    @Test
    void aReadOnlyBufferIsRefused() {
        assertThatThrownBy(() -> new TcpCoalescer(MemorySegment.ofArray(new byte[100]).asReadOnly(), true))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
