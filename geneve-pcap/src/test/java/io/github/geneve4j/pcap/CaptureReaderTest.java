package io.github.geneve4j.pcap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.pcap.testing.CaptureBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CaptureReaderTest {

    private static final byte[] A = {1, 2, 3, 4, 5};
    private static final byte[] B = {6, 7, 8};

    static List<CapturedPacket> readAll(byte[] file) throws IOException {
        List<CapturedPacket> packets = new ArrayList<>();
        try (CaptureReader reader = CaptureReader.of(MemorySegment.ofArray(file))) {
            for (CapturedPacket p; (p = reader.next()) != null; ) {
                packets.add(p);
            }
        }
        return packets;
    }

    static byte[] bytes(CapturedPacket p) {
        return p.data().toArray(ValueLayout.JAVA_BYTE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"BIG_ENDIAN", "LITTLE_ENDIAN"})
    void readsPcapInBothByteOrdersAndResolutions(String orderName) throws IOException {
        ByteOrder order = orderName.equals("BIG_ENDIAN") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        for (boolean nanos : new boolean[] {false, true}) {
            List<CapturedPacket> packets = readAll(CaptureBuilder.pcap(order, nanos, LinkType.LINUX_SLL, A, B));
            assertThat(packets).hasSize(2);
            assertThat(bytes(packets.get(0))).isEqualTo(A);
            assertThat(bytes(packets.get(1))).isEqualTo(B);
            assertThat(packets.get(0).frame()).isEqualTo(1);
            assertThat(packets.get(1).frame()).isEqualTo(2);
            assertThat(packets.get(0).linkType()).isEqualTo(LinkType.LINUX_SLL);
            assertThat(packets.get(0).originalLength()).isEqualTo(9);
            assertThat(packets.get(0).timestampNanos()).isEqualTo(1_500_000_000L);
            assertThat(packets.get(1).timestampNanos()).isEqualTo(2_500_000_000L);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {6, 9, 0x80 | 20})
    void readsPcapngInBothByteOrdersWithTimestampResolution(int tsresol) throws IOException {
        for (ByteOrder order : new ByteOrder[] {ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN}) {
            List<CapturedPacket> packets = readAll(CaptureBuilder.pcapng(order, LinkType.ETHERNET, tsresol, A, B));
            assertThat(packets).extracting(CapturedPacket::frame).containsExactly(1L, 2L);
            assertThat(bytes(packets.get(0))).isEqualTo(A);
            assertThat(bytes(packets.get(1))).isEqualTo(B);
            long unitsPerSecond = tsresol == 6 ? 1_000_000L : tsresol == 9 ? 1_000_000_000L : 1L << 20;
            assertThat(packets.get(0).timestampNanos()).isEqualTo(1_000_000L * 1_000_000_000L / unitsPerSecond);
        }
    }

    @Test
    void pcapngSimplePacketsAndUnknownBlocksAndSeveralSections() throws IOException {
        ByteOrder le = ByteOrder.LITTLE_ENDIAN;
        byte[] file = CaptureBuilder.concat(
                CaptureBuilder.pcapng(le, LinkType.RAW, 6, A),
                CaptureBuilder.block(le, 0x0BAD, new byte[8]),           // unknown block: skipped
                CaptureBuilder.simplePacketBlock(le, B),
                CaptureBuilder.pcapng(ByteOrder.BIG_ENDIAN, LinkType.LINUX_SLL2, 6, B)); // a second section
        List<CapturedPacket> packets = readAll(file);
        assertThat(packets).extracting(CapturedPacket::frame).containsExactly(1L, 2L, 3L);
        assertThat(packets).extracting(CapturedPacket::linkType)
                .containsExactly(LinkType.RAW, LinkType.RAW, LinkType.LINUX_SLL2);
        assertThat(bytes(packets.get(1))).isEqualTo(B);
    }

    @Test
    void rejectsWhatIsNotACapture() {
        assertThatThrownBy(() -> readAll("hello, world".getBytes()))
                .isInstanceOf(CaptureFormatException.class).hasMessageContaining("not a pcap or pcapng capture");
        assertThatThrownBy(() -> readAll(new byte[2])).hasMessageContaining("only 2 bytes");
        assertThatThrownBy(() -> readAll(Arrays.copyOf(CaptureBuilder.pcap(ByteOrder.LITTLE_ENDIAN, false, 1), 20)))
                .hasMessageContaining("cut short");
    }

    @Test
    void returnsTheRecordsBeforeACutAndThenFails() throws IOException {
        byte[] whole = CaptureBuilder.pcap(ByteOrder.LITTLE_ENDIAN, false, 1, A, B);
        for (int cut = whole.length - 1; cut > 24 + 16 + A.length; cut--) {
            byte[] file = Arrays.copyOf(whole, cut);
            try (CaptureReader reader = CaptureReader.of(MemorySegment.ofArray(file))) {
                assertThat(bytes(reader.next())).isEqualTo(A);
                assertThatThrownBy(reader::next).isInstanceOf(CaptureFormatException.class)
                        .hasMessageContaining("cut short");
            }
        }
    }

    @Test
    void everyPrefixOfAPcapngFileEndsCleanly() throws IOException {
        byte[] whole = CaptureBuilder.pcapng(ByteOrder.BIG_ENDIAN, 1, 9, A, B);
        for (int cut = 0; cut < whole.length; cut++) {
            byte[] file = Arrays.copyOf(whole, cut);
            try {
                List<CapturedPacket> packets = readAll(file);
                assertThat(packets.size()).isLessThanOrEqualTo(2);
            } catch (CaptureFormatException expected) {
                assertThat(expected.fileOffset()).isBetween(0L, (long) cut);
            }
        }
    }

    @Test
    void refusesAbsurdRecordLengthsWithoutAllocating() {
        byte[] file = CaptureBuilder.pcap(ByteOrder.BIG_ENDIAN, false, 1, A);
        // captured length 0x7fffffff
        file[24 + 8] = 0x7f;
        file[24 + 9] = (byte) 0xff;
        file[24 + 10] = (byte) 0xff;
        file[24 + 11] = (byte) 0xff;
        assertThatThrownBy(() -> readAll(file)).isInstanceOf(CaptureFormatException.class)
                .hasMessageContaining("over the limit");
        byte[] ng = CaptureBuilder.pcapng(ByteOrder.BIG_ENDIAN, 1, 6, A);
        ng[ng.length - 4 - 8 - 5] = 0x10; // EPB captured length far beyond its block
        assertThatThrownBy(() -> readAll(ng)).isInstanceOf(CaptureFormatException.class);
    }

    @Test
    void opensAFileAndRoundTripsOurWriter(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("w.pcap");
        try (PcapWriter writer = PcapWriter.create(file, LinkType.ETHERNET)) {
            writer.write(3_000_123_456L, A);
            writer.write(4_000_000_000L, MemorySegment.ofArray(B));
        }
        try (CaptureReader reader = CaptureReader.open(file)) {
            assertThat(reader.format()).isEqualTo(CaptureReader.Format.PCAP);
            CapturedPacket first = reader.next();
            assertThat(bytes(first)).isEqualTo(A);
            assertThat(first.timestampNanos()).isEqualTo(3_000_123_000L);
            assertThat(bytes(reader.next())).isEqualTo(B);
            assertThat(reader.next()).isNull();
        }
        Path empty = dir.resolve("empty");
        Files.write(empty, new byte[0]);
        assertThatThrownBy(() -> CaptureReader.open(empty)).isInstanceOf(CaptureFormatException.class);
    }

    @Test
    void iteratesTheSamePacketsAsNext() throws IOException {
        byte[] file = CaptureBuilder.concat(CaptureBuilder.pcapng(ByteOrder.LITTLE_ENDIAN, LinkType.RAW, 9, A, B),
                CaptureBuilder.pcapng(ByteOrder.BIG_ENDIAN, LinkType.ETHERNET, 6, B));
        List<CapturedPacket> iterated = new ArrayList<>();
        try (CaptureReader reader = CaptureReader.of(MemorySegment.ofArray(file))) {
            for (CapturedPacket p : reader) {
                iterated.add(p);
            }
        }
        List<CapturedPacket> read = readAll(file);
        assertThat(iterated).hasSize(3);
        assertThat(iterated).extracting(CapturedPacket::frame, CapturedPacket::linkType, CapturedPacket::timestampNanos)
                .isEqualTo(read.stream().map(p -> org.assertj.core.groups.Tuple.tuple(p.frame(), p.linkType(),
                        p.timestampNanos())).toList());
        assertThat(iterated).extracting(CaptureReaderTest::bytes).containsExactly(A, B, B);
    }

    @Test
    void iterationContinuesFromNextAndEndsWithNoSuchElement() throws IOException {
        byte[] file = CaptureBuilder.pcap(ByteOrder.BIG_ENDIAN, true, LinkType.ETHERNET, A, B);
        try (CaptureReader reader = CaptureReader.of(MemorySegment.ofArray(file))) {
            assertThat(bytes(reader.next())).isEqualTo(A);
            Iterator<CapturedPacket> it = reader.iterator();
            assertThat(it.hasNext()).isTrue();
            assertThat(it.hasNext()).as("hasNext twice reads one record").isTrue();
            CapturedPacket second = it.next();
            assertThat(second.frame()).isEqualTo(2);
            assertThat(bytes(second)).isEqualTo(B);
            assertThat(it.hasNext()).isFalse();
            assertThatThrownBy(it::next).isInstanceOf(NoSuchElementException.class)
                    .hasMessage("no packet after frame 2");
            assertThatThrownBy(reader::iterator).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("iterated once");
        }
    }

    @Test
    void iteratorReturnsThePacketsBeforeACutThenThrowsTheFormatErrorUnchecked() throws IOException {
        byte[] whole = CaptureBuilder.pcap(ByteOrder.LITTLE_ENDIAN, false, 1, A, B);
        byte[] file = Arrays.copyOf(whole, whole.length - 1);
        List<byte[]> seen = new ArrayList<>();
        try (CaptureReader reader = CaptureReader.of(MemorySegment.ofArray(file))) {
            Iterator<CapturedPacket> it = reader.iterator();
            assertThatThrownBy(() -> it.forEachRemaining(p -> seen.add(bytes(p))))
                    .isInstanceOf(UncheckedIOException.class)
                    .cause().isInstanceOf(CaptureFormatException.class)
                    .hasMessage("capture cut short: frame 2 (3 captured bytes) needs 3 bytes, 2 left (at byte "
                            + (24 + 16 + A.length + 16) + " of the file)");
            assertThat(seen).containsExactly(A);
            assertThat(it.hasNext()).as("the error ends the iteration").isFalse();
        }
    }

    @Test
    void theFormatErrorCarriesItsOffset() {
        byte[] file = CaptureBuilder.pcapng(ByteOrder.LITTLE_ENDIAN, 1, 6, A);
        int epbLength = 28 + 20 + 4; // after the section header (28 bytes) and the interface block (20)
        file[epbLength] = 13; // little-endian: 13, not a multiple of 4
        assertThatThrownBy(() -> readAll(file)).isInstanceOfSatisfying(CaptureFormatException.class, e -> {
            assertThat(e.fileOffset()).isEqualTo(epbLength);
            assertThat(e).hasMessage("pcapng block length 13 (expected: a multiple of 4, at least 12) (at byte 52 of"
                    + " the file)");
        });
    }

    @Test
    void packetsValidateTheirFields() {
        MemorySegment data = MemorySegment.ofArray(A);
        assertThat(new CapturedPacket(1, 0xFFFF, -1, 0xFFFF_FFFFL, data).linkType()).isEqualTo(0xFFFF);
        assertThat(new CapturedPacket(1, 0, 0, 0, data).originalLength()).isZero();
        assertThatThrownBy(() -> new CapturedPacket(0, 1, 0, 5, data)).hasMessage("frame 0 (expected: 1 or more)");
        assertThatThrownBy(() -> new CapturedPacket(1, -1, 0, 5, data))
                .hasMessage("link type -1 (expected: 0..65535)");
        assertThatThrownBy(() -> new CapturedPacket(1, 0x10000, 0, 5, data))
                .hasMessage("link type 65536 (expected: 0..65535)");
        assertThatThrownBy(() -> new CapturedPacket(1, 1, 0, -1, data))
                .hasMessage("original length -1 (expected: 0..4294967295)");
        assertThatThrownBy(() -> new CapturedPacket(1, 1, 0, 1L << 32, data))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CapturedPacket(1, 1, 0, 5, null)).isInstanceOf(NullPointerException.class);
    }
}
