package io.github.geneve4j.codec.tso;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.TcpView;
import io.github.geneve4j.codec.tunnel.GeneveTunnel;
import io.github.geneve4j.testing.TestFrames;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's segmentation example, compiled and run; and a check that segmentation does not allocate per segment. */
class DocsExampleTest {

    private final List<MemorySegment> sent = new ArrayList<>();

    private void send(MemorySegment frame) {
        sent.add(MemorySegment.ofArray(frame.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
    }

    @Test
    void readmeExampleRuns() throws Exception {
        MemorySegment superFrame = MemorySegment.ofArray(
                TestFrames.tcp(IpVersion.IPV4, false, 12, TestFrames.payload(65_536, 1), TcpView.ACK, 1, 1));
        // --- example from the README, "Segmentation (software TSO)" ---
        GeneveTunnel tunnel = GeneveTunnel.builder()
                .macs(0x020000000001L, 0x020000000002L)
                .addresses(InetAddress.getByName("192.0.2.1"), InetAddress.getByName("192.0.2.2"))
                .header(GeneveHeader.of(ProtocolType.ETHERNET, 5000))
                .build();
        TcpSegmenter segmenter = new TcpSegmenter(tunnel, 1448, 1500);   // MSS, outer MTU
        int frames = segmenter.segment(superFrame, 0, superFrame.byteSize(),
                (buffer, offset, length) -> send(buffer.asSlice(offset, length)));
        // ---
        // the MTU governs here: 1500 - 36 (outer IPv4, UDP, Geneve) - 66 (inner headers) = 1398 bytes a segment
        assertThat(frames).isEqualTo(sent.size()).isEqualTo((65_536 + 1397) / 1398);
    }

    @Test
    void readmeGatherExampleWritesTheSameBytesAsCopyMode(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        MemorySegment superFrame = MemorySegment.ofArray(
                TestFrames.tcp(IpVersion.IPV4, false, 12, TestFrames.payload(65_536, 1), TcpView.ACK, 1, 1));
        GeneveTunnel.Builder builder = GeneveTunnel.builder()
                .macs(0x020000000001L, 0x020000000002L)
                .addresses(InetAddress.getByName("192.0.2.1"), InetAddress.getByName("192.0.2.2"))
                .header(GeneveHeader.of(ProtocolType.ETHERNET, 5000));
        java.io.ByteArrayOutputStream copied = new java.io.ByteArrayOutputStream();
        new TcpSegmenter(builder.build(), 1448, 1500).segment(superFrame, 0, superFrame.byteSize(),
                (buffer, offset, length) -> copied.writeBytes(buffer.asSlice(offset, length)
                        .toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
        java.nio.file.Path file = dir.resolve("frames");
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file,
                java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
            TcpSegmenter segmenter = new TcpSegmenter(builder.build(), 1448, 1500);
            // --- example from the README, "Segmentation (software TSO)", gather mode ---
            for (SegmentCursor s = segmenter.gather(superFrame, 0, superFrame.byteSize()); s.next(); ) {
                channel.write(s.buffers());      // headers from a small buffer, then the payload in place
            }
            // ---
        }
        assertThat(java.nio.file.Files.readAllBytes(file)).isEqualTo(copied.toByteArray());
    }

    @Test
    void segmentationDoesNotAllocatePerSegment() throws Exception {
        // reflection: the test class is compiled into the codec module, which does not read jdk.management
        Object threads = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
        java.lang.reflect.Method allocated = Class.forName("com.sun.management.ThreadMXBean")
                .getMethod("getThreadAllocatedBytes", long.class);
        GeneveTunnel tunnel = GeneveTunnel.builder()
                .addresses(InetAddress.getByName("2001:db8::1"), InetAddress.getByName("2001:db8::2"))
                .header(GeneveHeader.of(ProtocolType.ETHERNET, 5000))
                .build();
        MemorySegment superFrame = MemorySegment.ofArray(
                TestFrames.tcp(IpVersion.IPV4, false, 12, TestFrames.payload(65_536, 1), TcpView.ACK, 1, 1));
        TcpSegmenter segmenter = new TcpSegmenter(tunnel, 1448, 1500);
        long[] checksum = new long[1];
        TcpSegmenter.FrameWriter<RuntimeException> sink = (b, o, l) -> checksum[0] += l;
        for (int i = 0; i < 2_000; i++) { // warm up: JIT and the scratch buffer
            segmenter.segment(superFrame, 0, superFrame.byteSize(), sink);
        }
        long thread = Thread.currentThread().threadId();
        long before = (long) allocated.invoke(threads, thread);
        int rounds = 1_000;
        for (int i = 0; i < rounds; i++) {
            segmenter.segment(superFrame, 0, superFrame.byteSize(), sink);
        }
        long perCall = ((long) allocated.invoke(threads, thread) - before) / rounds;
        // 46 segments per call: a per-segment allocation would show as well over 46 * 16 bytes
        assertThat(perCall).as("bytes allocated per 64 KiB segment() call").isLessThan(256);
        assertThat(checksum[0]).isPositive();
    }
}
