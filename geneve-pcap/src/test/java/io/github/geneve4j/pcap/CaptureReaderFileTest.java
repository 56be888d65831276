package io.github.geneve4j.pcap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.pcap.testing.CaptureBuilder;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link CaptureReader#open(Path)} reads a file through a buffer, not a mapping: the same packets as
 * from the bytes in memory whatever the buffer's size (records across its edges, records larger than
 * it), and a file truncated between two reads is a {@link CaptureFormatException}, never a fault.
 */
class CaptureReaderFileTest {

    @TempDir
    Path dir;

    private static byte[] frame(Random random, int length) {
        byte[] b = new byte[length];
        random.nextBytes(b);
        return b;
    }

    /** Captures of every shape the reader knows, with frames from 0 bytes to past the small buffers. */
    private static List<byte[]> captures() {
        Random random = new Random(27);
        byte[][] frames = new byte[40][];
        for (int i = 0; i < frames.length; i++) {
            frames[i] = frame(random, i % 7 == 0 ? 3000 + i : random.nextInt(200));
        }
        List<byte[]> captures = new ArrayList<>();
        for (ByteOrder order : new ByteOrder[] {ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN}) {
            captures.add(CaptureBuilder.pcap(order, false, LinkType.ETHERNET, frames));
            captures.add(CaptureBuilder.pcap(order, true, LinkType.RAW, frames));
            captures.add(CaptureBuilder.concat(
                    CaptureBuilder.pcapng(order, LinkType.ETHERNET, 9, frames),
                    CaptureBuilder.block(order, 0x0BAD, new byte[4000]), // skipped, larger than the buffer
                    CaptureBuilder.simplePacketBlock(order, frames[7]),
                    CaptureBuilder.pcapng(order == ByteOrder.BIG_ENDIAN ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN,
                            LinkType.LINUX_SLL2, 0x80 | 20, frames)));
        }
        return captures;
    }

    private static List<CapturedPacket> readAll(CaptureReader reader) throws IOException {
        List<CapturedPacket> packets = new ArrayList<>();
        try (reader) {
            for (CapturedPacket p; (p = reader.next()) != null; ) {
                packets.add(p);
            }
        }
        return packets;
    }

    private static void assertSamePackets(List<CapturedPacket> actual, List<CapturedPacket> expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            CapturedPacket a = actual.get(i);
            CapturedPacket e = expected.get(i);
            assertThat(a.frame()).isEqualTo(e.frame());
            assertThat(a.linkType()).isEqualTo(e.linkType());
            assertThat(a.timestampNanos()).isEqualTo(e.timestampNanos());
            assertThat(a.originalLength()).isEqualTo(e.originalLength());
            assertThat(CaptureReaderTest.bytes(a)).as("frame %d", e.frame()).isEqualTo(CaptureReaderTest.bytes(e));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {64, 100, 1000, 4096, CaptureReader.READ_BUFFER_SIZE})
    void readsAFileAsItReadsItsBytesWhateverTheBufferSize(int bufferSize) throws IOException {
        for (byte[] capture : captures()) {
            Path file = dir.resolve("c.pcap");
            Files.write(file, capture);
            List<CapturedPacket> expected = readAll(CaptureReader.of(MemorySegment.ofArray(capture)));
            List<CapturedPacket> read = readAll(CaptureReader.open(file, bufferSize));
            assertSamePackets(read, expected);
            // the packets are the reader's copies: still there after close, and read-only
            assertThat(read.getFirst().data().isReadOnly()).isTrue();
        }
    }

    @Test
    void aCutFileIsStillACutFileWhenRead() throws IOException {
        byte[] whole = captures().get(2);
        for (int cut : new int[] {3, 23, 100, 5000, whole.length / 2, whole.length - 1}) {
            byte[] bytes = Arrays.copyOf(whole, cut);
            Path file = dir.resolve("cut.pcapng");
            Files.write(file, bytes);
            Throwable fromBytes = catchFrom(() -> readAll(CaptureReader.of(MemorySegment.ofArray(bytes))));
            Throwable fromFile = catchFrom(() -> readAll(CaptureReader.open(file, 100)));
            assertThat(fromFile).isInstanceOf(CaptureFormatException.class).hasMessage(fromBytes.getMessage());
        }
    }

    private interface Read {
        void run() throws IOException;
    }

    private static Throwable catchFrom(Read read) {
        try {
            read.run();
        } catch (IOException | RuntimeException e) {
            return e;
        }
        throw new AssertionError("no exception");
    }

    @ParameterizedTest
    @ValueSource(ints = {256, 4096, CaptureReader.READ_BUFFER_SIZE})
    void aFileTruncatedBetweenReadsIsACaptureFormatExceptionAtTheFirstByteGone(int bufferSize) throws IOException {
        // 400 records of 3,000 bytes: 1.2 MB, more than even the default buffer holds
        Random random = new Random(28);
        byte[][] frames = new byte[400][];
        for (int i = 0; i < frames.length; i++) {
            frames[i] = frame(random, 3000);
        }
        byte[] capture = CaptureBuilder.pcap(ByteOrder.LITTLE_ENDIAN, true, LinkType.ETHERNET, frames);
        Path file = dir.resolve("rotated.pcap");
        Files.write(file, capture);
        long cut = 24 + 10 * (16 + 3000) + 1234; // inside the 11th record
        try (CaptureReader reader = CaptureReader.open(file, bufferSize)) {
            assertThat(CaptureReaderTest.bytes(reader.next())).isEqualTo(frames[0]);
            // another process truncates the capture under the reader (tcpdump -C, logrotate, a user)
            try (FileChannel writer = FileChannel.open(file, StandardOpenOption.WRITE)) {
                writer.truncate(cut);
            }
            int read = 1;
            CaptureFormatException failure = null;
            try {
                for (CapturedPacket p; (p = reader.next()) != null; read++) {
                    assertThat(CaptureReaderTest.bytes(p)).isEqualTo(frames[read]);
                }
            } catch (CaptureFormatException e) {
                failure = e;
            }
            assertThat(failure).as("the cut is reported, not the end of the file").isNotNull();
            // what the buffer held before the cut may still be returned; never a byte past it
            long bufferEnd = 24 + (long) bufferSize;
            assertThat(read).isBetween(1, (int) Math.max(10, bufferEnd / (16 + 3000) + 1));
            assertThat(failure.fileOffset()).isBetween(cut, (long) capture.length);
            assertThat(failure).hasMessageContaining("capture cut short while being read")
                    .hasMessageContaining("it had " + capture.length + " bytes when opened");
        }
    }

    @Test
    void aRecordLargerThanTheBufferTruncatedUnderItIsACaptureFormatException() throws IOException {
        Random random = new Random(29);
        byte[][] frames = {frame(random, 100), frame(random, 70_000), frame(random, 100)};
        byte[] capture = CaptureBuilder.pcap(ByteOrder.BIG_ENDIAN, false, LinkType.ETHERNET, frames);
        Path file = dir.resolve("big.pcap");
        Files.write(file, capture);
        long cut = 24 + 16 + 100 + 16 + 50_000;
        try (CaptureReader reader = CaptureReader.open(file, 4096)) {
            assertThat(CaptureReaderTest.bytes(reader.next())).isEqualTo(frames[0]);
            try (FileChannel writer = FileChannel.open(file, StandardOpenOption.WRITE)) {
                writer.truncate(cut);
            }
            assertThatThrownBy(reader::next).isInstanceOfSatisfying(CaptureFormatException.class,
                    e -> assertThat(e.fileOffset()).isEqualTo(cut));
        }
    }
}
