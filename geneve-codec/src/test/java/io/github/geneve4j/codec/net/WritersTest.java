package io.github.geneve4j.codec.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.codec.GeneveFormatException.Reason;
import io.github.geneve4j.testing.Hex;
import java.lang.foreign.MemorySegment;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** {@code TcpView.write} beside its siblings' writers, and {@code UdpView.tryWrap}. */
class WritersTest {

    @Test
    void tcpWriteLaysOutEveryFieldAndReadsBack() {
        MemorySegment s = MemorySegment.ofArray(new byte[2 + 24 + 3]);
        assertThat(TcpView.write(s, 2, 40000, 5201, 0xfedcba98L, 0x01020304L, TcpView.ACK | TcpView.PSH, 502, 24))
                .isEqualTo(24);
        assertThat(HexFormat.of().formatHex(s.asSlice(2, 20).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)))
                .isEqualTo("9c401451" + "fedcba98" + "01020304" + "6018" + "01f6" + "0000" + "0000");
        TcpView tcp = new TcpView().wrap(s, 2, 27);
        assertThat(tcp.sourcePort()).isEqualTo(40000);
        assertThat(tcp.destinationPort()).isEqualTo(5201);
        assertThat(tcp.sequence()).isEqualTo(0xfedcba98L);
        assertThat(tcp.acknowledgment()).isEqualTo(0x01020304L);
        assertThat(tcp.flags()).isEqualTo(TcpView.ACK | TcpView.PSH);
        assertThat(tcp.window()).isEqualTo(502);
        assertThat(tcp.headerLength()).isEqualTo(24);
        assertThat(tcp.payloadLength()).isEqualTo(3);
        // with a checksum over a pseudo-header, it verifies
        long pseudo = InternetChecksum.pseudoHeaderIpv4(0x0a000001L, 0x0a000002L, 6, 27);
        assertThat(tcp.updateChecksum(pseudo).checksumValid(pseudo)).isTrue();
    }

    @Test
    void tcpWriteRefusesWhatTheHeaderCannotHold() {
        MemorySegment s = MemorySegment.ofArray(new byte[64]);
        for (int bad : new int[] {16, 22, 64}) {
            assertThatThrownBy(() -> TcpView.write(s, 0, 1, 2, 0, 0, 0, 0, bad))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("TCP header length " + bad);
        }
        assertThatThrownBy(() -> TcpView.write(s, 0, 65536, 2, 0, 0, 0, 0, 20)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TcpView.write(s, 0, 1, 2, 1L << 32, 0, 0, 0, 20)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TcpView.write(s, 0, 1, 2, 0, -1, 0, 0, 20)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TcpView.write(s, 0, 1, 2, 0, 0, 0x100, 0, 20)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TcpView.write(s, 0, 1, 2, 0, 0, 0, 0x10000, 20)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TcpView.write(s, 50, 1, 2, 0, 0, 0, 0, 20)).isInstanceOf(IllegalArgumentException.class);
        assertThat(TcpView.write(s, 4, 65535, 65535, 0xffffffffL, 0xffffffffL, 0xff, 0xffff, 60)).isEqualTo(60);
        // over dirty bytes: the checksum and urgent pointer are written as 0, the smallest header taken
        MemorySegment dirty = MemorySegment.ofArray(new byte[20]).fill((byte) 0xee);
        assertThat(TcpView.write(dirty, 0, 1, 2, 3, 4, TcpView.SYN, 5, 20)).isEqualTo(20);
        assertThat(HexFormat.of().formatHex(dirty.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)))
                .isEqualTo("0001" + "0002" + "00000003" + "00000004" + "5002" + "0005" + "0000" + "0000");
    }

    @Test
    void udpTryWrapReportsWithoutThrowing() {
        UdpView udp = new UdpView();
        MemorySegment s = MemorySegment.ofArray(Hex.bytes("9c40 17c1 0010 0000 0102030405"));
        assertThat(udp.tryWrap(s, 0, 13)).isFalse();
        assertThat(udp.errorReason()).isEqualTo(Reason.BAD_LENGTH);
        assertThat(udp.errorOffset()).isEqualTo(4);
        assertThat(udp.errorMessage()).isEqualTo("UDP length 16 (expected: 8..13)");
        assertThat(udp.tryWrap(s, 0, 7)).isFalse();
        assertThat(udp.errorReason()).isEqualTo(Reason.TRUNCATED);
        assertThat(udp.errorMessage()).isEqualTo("UDP datagram of 7 bytes (expected: 8+ bytes)");
        Wire16.put(s, 4, 13);
        assertThat(udp.tryWrap(s, 0, 13)).isTrue();
        assertThat(udp.payloadLength()).isEqualTo(5);
    }

    private static final class Wire16 {
        static void put(MemorySegment s, long at, int v) {
            s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, at, (byte) (v >>> 8));
            s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, at + 1, (byte) v);
        }
    }
}
