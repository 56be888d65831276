package io.github.geneve4j.endpoint;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.codec.net.InternetChecksum;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.TcpView;
import io.github.geneve4j.endpoint.spi.FrameOffload;
import io.github.geneve4j.testing.TestFrames;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** Completing the partial checksums a device hands over (virtio-net NEEDS_CSUM, Linux CHECKSUM_PARTIAL). */
class PartialChecksumTest {

    /** A frame as the kernel hands it with NEEDS_CSUM: the TCP checksum field holds the pseudo-header sum. */
    @Test
    void completesAPartialChecksumAsTheKernelLeftIt() {
        for (IpVersion version : IpVersion.values()) {
            byte[] frame = TestFrames.tcp(version, false, 12, TestFrames.payload(3001, 7), TcpView.ACK | TcpView.PSH, 5, 1);
            int tcpAt = 14 + version.headerLength();
            MemorySegment original = MemorySegment.ofArray(frame);
            int good = new TcpView().wrap(original, tcpAt, frame.length - tcpAt).checksum();
            long pseudo = version == IpVersion.IPV4
                    ? InternetChecksum.pseudoHeaderIpv4(0x0a000001L, 0x0a000002L, 6, frame.length - tcpAt)
                    : InternetChecksum.pseudoHeaderIpv6(original, 14 + 8, 6, frame.length - tcpAt);
            MemorySegment buffer = Arena.ofAuto().allocate(frame.length + 13);
            long at = 13;
            MemorySegment.copy(frame, 0, buffer, ValueLayout.JAVA_BYTE, at, frame.length);
            buffer.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), at + tcpAt + 16,
                    (short) InternetChecksum.fold(pseudo));
            FrameOffload offload = new FrameOffload().partialChecksum(tcpAt, 16);
            assertThat(Sender.completeChecksum(buffer, at, frame.length, offload)).isTrue();
            assertThat(new TcpView().wrap(buffer, at + tcpAt, frame.length - tcpAt).checksum()).as("%s", version)
                    .isEqualTo(good);
        }
    }

    @Test
    void aChecksumThatComesOutZeroIsSentAsAllOnes() {
        MemorySegment buffer = Arena.ofAuto().allocate(100);
        // the field (at 88) holds a pseudo-header sum of 0; the one data word 0xffff sums to 0xffff
        buffer.set(ValueLayout.JAVA_SHORT_UNALIGNED, 90, (short) 0xFFFF);
        assertThat(Sender.completeChecksum(buffer, 0, 100, new FrameOffload().partialChecksum(88, 0))).isTrue();
        assertThat(buffer.get(ValueLayout.JAVA_SHORT_UNALIGNED, 88) & 0xFFFF).as("RFC 768: 0 means none")
                .isEqualTo(0xFFFF);
    }

    @Test
    void refusesChecksumOffsetsOutsideTheFrame() {
        MemorySegment buffer = Arena.ofAuto().allocate(100);
        assertThat(Sender.completeChecksum(buffer, 0, 100, new FrameOffload().partialChecksum(90, 8))).isTrue(); // 98..99
        assertThat(Sender.completeChecksum(buffer, 0, 100, new FrameOffload().partialChecksum(90, 9))).isFalse();
        assertThat(Sender.completeChecksum(buffer, 0, 100, new FrameOffload().partialChecksum(0xFFFF, 0xFFFF))).isFalse();
    }
}
