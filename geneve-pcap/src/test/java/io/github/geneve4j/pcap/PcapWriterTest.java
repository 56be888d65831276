package io.github.geneve4j.pcap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PcapWriterTest {

    /**
     * A stand-in for geneve-codec's {@code TcpSegmenter.FrameWriter<RuntimeException>}, which this
     * module cannot see: same shape, no checked exception.
     */
    @FunctionalInterface
    interface FrameWriter {
        void frame(MemorySegment buffer, long offset, int length);
    }

    /** A stream that fails on its {@code failAt}-th write and then on every call; records close(). */
    static final class FailingStream extends OutputStream {
        final IOException error = new IOException("disk full");
        final int failAt;
        int writes;
        boolean closed;

        FailingStream(int failAt) {
            this.failAt = failAt;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (++writes >= failAt) {
                throw error;
            }
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    private static byte[] frame(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed + i * 7);
        }
        return b;
    }

    private static List<CapturedPacket> read(byte[] file) throws IOException {
        List<CapturedPacket> packets = new ArrayList<>();
        try (CaptureReader reader = CaptureReader.of(MemorySegment.ofArray(file))) {
            reader.forEach(packets::add);
        }
        return packets;
    }

    private static byte[] bytes(CapturedPacket p) {
        return p.data().toArray(ValueLayout.JAVA_BYTE);
    }

    @Test
    void writesTheFileHeaderAndRecordHeadersByteForByte() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PcapWriter pcap = PcapWriter.to(out, LinkType.LINUX_SLL2)) {
            pcap.write(1_700_000_000_123_456_789L, new byte[] {(byte) 0xab, (byte) 0xcd});
        }
        // little-endian a1b2c3d4, version 2.4, zone 0, sigfigs 0, snap 262144, link type 276;
        // then seconds 1700000000, microseconds 123456 (the nanoseconds cut), captured 2, original 2
        assertThat(HexFormat.of().formatHex(out.toByteArray())).isEqualTo(
                "d4c3b2a1" + "0200" + "0400" + "00000000" + "00000000" + "00000400" + "14010000"
                + "00f15365" + "40e20100" + "02000000" + "02000000" + "abcd");
    }

    @Test
    void timestampsBeforeTheEpochRoundDownToTheMicrosecond() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (PcapWriter pcap = PcapWriter.to(out, LinkType.ETHERNET)) {
            pcap.write(-1, new byte[1]);
        }
        assertThat(read(out.toByteArray()).getFirst().timestampNanos())
                .isEqualTo(0xFFFF_FFFFL * 1_000_000_000L + 999_999_000L); // seconds -1 as u32, 999999 us
    }

    @Test
    void everyFormWritesTheSameRecordsAndLeavesItsInputAlone(@TempDir Path dir) throws IOException {
        byte[] a = frame(1500, 1);
        byte[] b = frame(60, 2);
        Path file = dir.resolve("forms.pcap");
        ByteBuffer heap = ByteBuffer.allocate(200).order(ByteOrder.LITTLE_ENDIAN);
        heap.position(40).put(b).position(40).limit(100).mark();
        ByteBuffer direct = ByteBuffer.allocateDirect(1600).put(7, a, 0, 1500).position(7).limit(1507);
        try (Arena arena = Arena.ofConfined(); PcapWriter pcap = PcapWriter.create(file, LinkType.ETHERNET)) {
            MemorySegment around = arena.allocate(1600);
            MemorySegment.copy(a, 0, around, ValueLayout.JAVA_BYTE, 33, 1500);
            pcap.write(1_000, a);
            pcap.write(2_000, MemorySegment.ofArray(b));
            pcap.write(3_000, around, 33, 1500);
            pcap.write(4_000, heap);
            pcap.write(5_000, direct);
            assertThat(pcap.tryWrite(6_000, MemorySegment.ofArray(a), 1400, 100)).isTrue();
            pcap.write(7_000, around, 33, 0);
        }
        assertThat(heap.position()).isEqualTo(40);
        assertThat(heap.limit()).isEqualTo(100);
        assertThat(heap.reset().position()).as("mark kept").isEqualTo(40);
        assertThat(direct.position()).isEqualTo(7);
        List<CapturedPacket> packets = read(Files.readAllBytes(file));
        assertThat(packets).extracting(CaptureReaderTest::bytes).containsExactly(a, b, a, b, a,
                java.util.Arrays.copyOfRange(a, 1400, 1500), new byte[0]);
        assertThat(packets).extracting(CapturedPacket::timestampNanos)
                .containsExactly(1_000L, 2_000L, 3_000L, 4_000L, 5_000L, 6_000L, 7_000L);
        assertThat(packets).extracting(CapturedPacket::originalLength)
                .containsExactly(1500L, 60L, 1500L, 60L, 1500L, 100L, 0L);
    }

    @Test
    void recordsLargerThanTheBufferAndRecordsAcrossItsEdgeArriveWhole() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] big = frame(3 * PcapWriter.BUFFER_SIZE + 11, 3);
        List<byte[]> frames = new ArrayList<>();
        try (PcapWriter pcap = PcapWriter.to(out, LinkType.ETHERNET)) {
            pcap.write(1, ByteBuffer.wrap(big));
            for (int i = 0; i < 200; i++) {       // 200 records of 1..1400 bytes cross the buffer's edge often
                byte[] f = frame(1 + (i * 617) % 1400, i);
                frames.add(f);
                pcap.write(i, MemorySegment.ofArray(f), 0, f.length);
            }
            pcap.write(2, MemorySegment.ofArray(big), 0, big.length);
        }
        List<CapturedPacket> packets = read(out.toByteArray());
        assertThat(packets).hasSize(202);
        assertThat(bytes(packets.getFirst())).isEqualTo(big);
        assertThat(bytes(packets.getLast())).isEqualTo(big);
        for (int i = 0; i < 200; i++) {
            assertThat(bytes(packets.get(i + 1))).as("record %d", i + 1).isEqualTo(frames.get(i));
        }
    }

    @Test
    void bytesReachTheStreamOnFlush() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PcapWriter pcap = PcapWriter.to(out, LinkType.RAW);
        pcap.write(0, new byte[] {0x45});
        assertThat(out.size()).as("buffered").isZero();
        pcap.flush();
        assertThat(out.size()).isEqualTo(24 + 16 + 1);
        pcap.close();
        pcap.close(); // a second close does nothing
        assertThat(read(out.toByteArray())).singleElement().extracting(CapturedPacket::linkType)
                .isEqualTo(LinkType.RAW);
    }

    @Test
    void tryWriteFitsAFrameWriterThatMayNotThrowAndKeepsTheIoErrorForClose() {
        FailingStream stream = new FailingStream(1);
        PcapWriter pcap = PcapWriter.to(stream, LinkType.ETHERNET);
        MemorySegment frame = MemorySegment.ofArray(frame(1500, 9));
        List<Boolean> written = new ArrayList<>();
        FrameWriter sink = (buffer, offset, length) -> written.add(pcap.tryWrite(42, buffer, offset, length));
        // 64 KiB of buffer: the 44th record of 1516 bytes fills it, and its drain fails
        for (int i = 0; i < 50; i++) {
            sink.frame(frame, 0, 1500);
        }
        assertThat(written.subList(0, 43)).containsOnly(true);
        assertThat(written.subList(43, 50)).containsOnly(false);
        assertThat(stream.writes).as("no write after the failure").isEqualTo(1);
        assertThatThrownBy(() -> pcap.write(43, frame)).isSameAs(stream.error);
        assertThatThrownBy(pcap::flush).isSameAs(stream.error);
        assertThatThrownBy(pcap::close).isSameAs(stream.error);
        assertThat(stream.closed).isTrue();
    }

    @Test
    void aFailedFlushIsFinalToo() {
        FailingStream stream = new FailingStream(1);
        PcapWriter pcap = PcapWriter.to(stream, LinkType.ETHERNET);
        assertThatThrownBy(pcap::flush).isSameAs(stream.error);
        assertThat(pcap.tryWrite(0, MemorySegment.ofArray(new byte[4]), 0, 4)).isFalse();
        assertThatThrownBy(() -> pcap.write(0, ByteBuffer.allocate(4))).isSameAs(stream.error);
    }

    @Test
    void callersMistakesThrowAtOnceFromEveryForm() throws IOException {
        PcapWriter pcap = PcapWriter.to(OutputStream.nullOutputStream(), LinkType.ETHERNET);
        MemorySegment ten = MemorySegment.ofArray(new byte[10]);
        assertThatThrownBy(() -> pcap.write(0, ten, 4, 7)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> pcap.tryWrite(0, ten, -1, 2)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> pcap.tryWrite(0, ten, 0, -1)).isInstanceOf(IndexOutOfBoundsException.class);
        MemorySegment huge = MemorySegment.ofArray(new byte[(int) CaptureReader.MAX_RECORD_LENGTH + 1]);
        assertThatThrownBy(() -> pcap.write(0, huge)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("record of 67108865 bytes (expected: at most 67108864, what CaptureReader reads back)");
        assertThatThrownBy(() -> pcap.tryWrite(0, huge, 0, huge.byteSize()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(pcap.tryWrite(0, ten, 4, 6)).as("a mistake is not an I/O error: the writer goes on").isTrue();
        pcap.close();
        assertThatThrownBy(() -> pcap.write(0, ten)).isInstanceOf(IllegalStateException.class)
                .hasMessage("pcap writer is closed");
        assertThatThrownBy(() -> pcap.tryWrite(0, ten, 0, 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> pcap.write(0, ByteBuffer.allocate(1))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(pcap::flush).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void rejectsLinkTypesOutsideSixteenBits(@TempDir Path dir) {
        assertThatThrownBy(() -> PcapWriter.to(OutputStream.nullOutputStream(), -1))
                .hasMessage("link type -1 (expected: 0..65535)");
        assertThatThrownBy(() -> PcapWriter.create(dir.resolve("x.pcap"), 0x10000))
                .hasMessage("link type 65536 (expected: 0..65535)");
        assertThat(PcapWriter.to(OutputStream.nullOutputStream(), 0xFFFF)).isNotNull();
    }

    @Test
    void flushFlushesTheStream() throws IOException {
        int[] flushes = {0};
        OutputStream counting = new OutputStream() {
            @Override
            public void write(int b) {
            }

            @Override
            public void flush() {
                flushes[0]++;
            }
        };
        PcapWriter pcap = PcapWriter.to(counting, 0);
        pcap.flush();
        assertThat(flushes[0]).isEqualTo(1);
    }

    @Test
    void mistakesStillThrowAfterAnIoError() {
        FailingStream stream = new FailingStream(1);
        PcapWriter pcap = PcapWriter.to(stream, LinkType.ETHERNET);
        assertThatThrownBy(pcap::flush).isSameAs(stream.error);
        MemorySegment four = MemorySegment.ofArray(new byte[4]);
        assertThatThrownBy(() -> pcap.tryWrite(0, four, 2, 3)).isInstanceOf(IndexOutOfBoundsException.class);
    }
}
