package io.github.geneve4j.pcap;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Reads pcap and pcapng captures, one packet record at a time, straight from the mapped file.
 *
 * <ul>
 *   <li>pcap: both byte orders, microsecond ({@code a1b2c3d4}) and nanosecond ({@code a1b23c4d})
 *       timestamps.
 *   <li>pcapng: Section Header, Interface Description (with {@code if_tsresol}), Enhanced Packet
 *       and Simple Packet blocks, both byte orders, several sections; other blocks are skipped.
 * </ul>
 *
 * <pre>{@code
 * try (CaptureReader reader = CaptureReader.open(Path.of("trace.pcapng"))) {
 *     for (CapturedPacket p : reader) {
 *         System.out.println(p.frame() + ": " + p.data().byteSize() + " bytes");
 *     }
 * }
 * }</pre>
 *
 * <p>Bounds: every length field is checked against the bytes left in the file before it is used,
 * and a record's captured length may not exceed {@link #MAX_RECORD_LENGTH} (64 MiB, far above any
 * link's frames and TSO super-frames) — so a damaged length can neither read outside the file nor
 * make the reader allocate. A file cut short mid-record ends with a {@link CaptureFormatException}
 * after the records before it were returned.
 *
 * <p>Two ways to read, over the same position in the file: {@link #next()}, which returns
 * {@code null} at the end and throws the checked {@link CaptureFormatException}; and the reader as
 * an {@link Iterable}, for a for-each loop. An iterator cannot throw a checked exception, so the
 * iterator throws an {@link UncheckedIOException} whose {@linkplain UncheckedIOException#getCause()
 * cause} is the {@code CaptureFormatException}, as {@link java.nio.file.Files#lines(Path)} does for
 * its {@code IOException}. The packets before the damage have been returned by then; to turn the
 * failure back into the checked exception:
 *
 * <pre>{@code
 * try {
 *     for (CapturedPacket p : reader) {
 *         print(p);
 *     }
 * } catch (UncheckedIOException e) {
 *     throw e.getCause();          // the CaptureFormatException, with its fileOffset()
 * }
 * }</pre>
 *
 * <p>A packet's {@link CapturedPacket#data() data} is a read-only slice of the mapped file, valid
 * until the reader is closed; copy what must outlive it. Not thread-safe.
 */
public final class CaptureReader implements Iterable<CapturedPacket>, AutoCloseable {

    /** The largest captured length of one record that the reader accepts. */
    public static final long MAX_RECORD_LENGTH = 64L << 20;

    /** Which kind of file this is. */
    public enum Format {
        /** Classic libpcap: one file header, one link type, then records. */
        PCAP,
        /** pcapng: sections of blocks, each section with its own interfaces and byte order. */
        PCAPNG
    }

    private static final int PCAP_MICROS = 0xa1b2c3d4;
    private static final int PCAP_NANOS = 0xa1b23c4d;
    private static final int NG_SECTION_HEADER = 0x0A0D0D0A;
    private static final int NG_BYTE_ORDER_MAGIC = 0x1A2B3C4D;
    private static final int NG_INTERFACE = 1;
    private static final int NG_SIMPLE_PACKET = 3;
    private static final int NG_ENHANCED_PACKET = 6;

    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Arena arena;
    private final MemorySegment file;
    private final Format format;
    private boolean littleEndian;
    private long position;
    private long frame;

    // pcap
    private int pcapLinkType;
    private boolean pcapNanos;

    // pcapng: interfaces of the current section
    private record Interface(int linkType, long snapLength, boolean binary, int exponent) {
    }

    private final List<Interface> interfaces = new ArrayList<>();

    private boolean iterated;

    private CaptureReader(Arena arena, MemorySegment file) throws CaptureFormatException {
        this.arena = arena;
        this.file = file.asReadOnly();
        if (file.byteSize() < 4) {
            throw new CaptureFormatException(0, "not a pcap or pcapng capture: only " + file.byteSize() + " bytes");
        }
        int magicBe = file.get(INT_BE, 0);
        int magicLe = file.get(INT_LE, 0);
        if (magicBe == NG_SECTION_HEADER) {
            format = Format.PCAPNG;
        } else if (magicBe == PCAP_MICROS || magicBe == PCAP_NANOS) {
            format = Format.PCAP;
            littleEndian = false;
            pcapNanos = magicBe == PCAP_NANOS;
        } else if (magicLe == PCAP_MICROS || magicLe == PCAP_NANOS) {
            format = Format.PCAP;
            littleEndian = true;
            pcapNanos = magicLe == PCAP_NANOS;
        } else {
            throw new CaptureFormatException(0, String.format(
                    "not a pcap or pcapng capture: magic number 0x%08x", magicBe));
        }
        if (format == Format.PCAP) {
            need(24, "pcap file header");
            pcapLinkType = u32(20) & 0xFFFF;
            position = 24;
        }
    }

    /**
     * Maps the file at {@code path} and reads its header.
     *
     * @param path a pcap or pcapng file
     * @return a reader positioned before the first packet; close it to unmap the file
     * @throws CaptureFormatException if the file is not a pcap or pcapng capture, or its header is
     *     cut short
     * @throws IOException if the file cannot be opened or mapped
     *     ({@link java.nio.file.NoSuchFileException} if it does not exist)
     */
    public static CaptureReader open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment mapped = channel.size() == 0
                    ? MemorySegment.ofArray(new byte[0])
                    : channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena);
            return new CaptureReader(arena, mapped);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /**
     * A reader over capture bytes already in memory. The bytes are not copied; packets are slices
     * of {@code bytes}, read-only.
     *
     * @param bytes a whole pcap or pcapng file
     * @return a reader positioned before the first packet
     * @throws CaptureFormatException if the bytes are not a pcap or pcapng capture, or its header
     *     is cut short
     */
    public static CaptureReader of(MemorySegment bytes) throws CaptureFormatException {
        return new CaptureReader(null, bytes);
    }

    /**
     * Whether this is a pcap or a pcapng file, as its first four bytes say.
     *
     * @return the file's format
     */
    public Format format() {
        return format;
    }

    /**
     * Reads the next packet record, skipping pcapng blocks that hold no packet.
     *
     * @return the next packet, or {@code null} at the end of the file
     * @throws CaptureFormatException if the next record is damaged or cut short; the packets
     *     before it were returned
     */
    public CapturedPacket next() throws CaptureFormatException {
        return format == Format.PCAP ? nextPcap() : nextPcapng();
    }

    private CapturedPacket nextPcap() throws CaptureFormatException {
        if (position == file.byteSize()) {
            return null;
        }
        need(16, "pcap record header of frame " + (frame + 1));
        long seconds = u32(position) & 0xFFFF_FFFFL;
        long fraction = u32(position + 4) & 0xFFFF_FFFFL;
        long captured = u32(position + 8) & 0xFFFF_FFFFL;
        long original = u32(position + 12) & 0xFFFF_FFFFL;
        checkRecordLength(captured, position + 8);
        long start = position + 16;
        position = start;
        need(captured, "frame " + (frame + 1) + " (" + captured + " captured bytes)");
        position = start + captured;
        frame++;
        long nanos = seconds * 1_000_000_000L + (pcapNanos ? fraction : fraction * 1_000L);
        return new CapturedPacket(frame, pcapLinkType, nanos, original, file.asSlice(start, captured));
    }

    private CapturedPacket nextPcapng() throws CaptureFormatException {
        while (position < file.byteSize()) {
            long block = position;
            need(12, "pcapng block header");
            int typeBe = file.get(INT_BE, block);
            if (typeBe == NG_SECTION_HEADER) {
                readSectionHeader(block);
                continue;
            }
            int type = u32(block);
            long length = u32(block + 4) & 0xFFFF_FFFFL;
            if (length < 12 || (length & 3) != 0) {
                throw new CaptureFormatException(block + 4, "pcapng block length " + length
                        + " (expected: a multiple of 4, at least 12)");
            }
            need(length, "pcapng block of type " + type + " (" + length + " bytes)");
            long body = block + 8;
            long bodyLength = length - 12;
            position = block + length;
            switch (type) {
                case NG_INTERFACE -> readInterface(body, bodyLength);
                case NG_ENHANCED_PACKET -> {
                    return enhancedPacket(body, bodyLength);
                }
                case NG_SIMPLE_PACKET -> {
                    return simplePacket(body, bodyLength);
                }
                default -> {
                    // statistics, name resolution, custom blocks...: nothing for us
                }
            }
        }
        return null;
    }

    private void readSectionHeader(long block) throws CaptureFormatException {
        need(28, "pcapng section header");
        int magicBe = file.get(INT_BE, block + 8);
        if (magicBe == NG_BYTE_ORDER_MAGIC) {
            littleEndian = false;
        } else if (Integer.reverseBytes(magicBe) == NG_BYTE_ORDER_MAGIC) {
            littleEndian = true;
        } else {
            throw new CaptureFormatException(block + 8, String.format(
                    "pcapng byte-order magic 0x%08x (expected: 0x1a2b3c4d in either byte order)", magicBe));
        }
        long length = u32(block + 4) & 0xFFFF_FFFFL;
        if (length < 28 || (length & 3) != 0) {
            throw new CaptureFormatException(block + 4, "pcapng section header length " + length
                    + " (expected: a multiple of 4, at least 28)");
        }
        need(length, "pcapng section header (" + length + " bytes)");
        interfaces.clear();
        position = block + length;
    }

    private void readInterface(long body, long bodyLength) throws CaptureFormatException {
        if (bodyLength < 8) {
            throw new CaptureFormatException(body, "pcapng interface block body of " + bodyLength
                    + " bytes (expected: at least 8)");
        }
        int linkType = u16(body);
        long snap = u32(body + 4) & 0xFFFF_FFFFL;
        boolean binary = false;
        int exponent = 6;
        long option = body + 8;
        long end = body + bodyLength;
        while (option + 4 <= end) {
            int code = u16(option);
            int length = u16(option + 2);
            if (code == 0) {
                break;
            }
            if (option + 4 + length > end) {
                throw new CaptureFormatException(option, "pcapng interface option of " + length
                        + " bytes runs past its block");
            }
            if (code == 9 && length >= 1) { // if_tsresol
                int resolution = file.get(ValueLayout.JAVA_BYTE, option + 4) & 0xFF;
                binary = (resolution & 0x80) != 0;
                exponent = resolution & 0x7F;
            }
            option += 4 + ((length + 3) & ~3);
        }
        interfaces.add(new Interface(linkType, snap, binary, exponent));
    }

    private CapturedPacket enhancedPacket(long body, long bodyLength) throws CaptureFormatException {
        if (bodyLength < 20) {
            throw new CaptureFormatException(body, "pcapng enhanced packet block body of " + bodyLength
                    + " bytes (expected: at least 20)");
        }
        long id = u32(body) & 0xFFFF_FFFFL;
        Interface in = anInterface(id, body);
        long units = ((u32(body + 4) & 0xFFFF_FFFFL) << 32) | (u32(body + 8) & 0xFFFF_FFFFL);
        long captured = u32(body + 12) & 0xFFFF_FFFFL;
        long original = u32(body + 16) & 0xFFFF_FFFFL;
        checkRecordLength(captured, body + 12);
        if (captured > bodyLength - 20) {
            throw new CaptureFormatException(body + 12, "captured length " + captured
                    + " exceeds its block (" + (bodyLength - 20) + " bytes of data)");
        }
        frame++;
        return new CapturedPacket(frame, in.linkType, nanos(units, in), original, file.asSlice(body + 20, captured));
    }

    private CapturedPacket simplePacket(long body, long bodyLength) throws CaptureFormatException {
        if (bodyLength < 4) {
            throw new CaptureFormatException(body, "pcapng simple packet block without a length");
        }
        Interface in = anInterface(0, body);
        long original = u32(body) & 0xFFFF_FFFFL;
        long captured = Math.min(original, bodyLength - 4);
        if (in.snapLength > 0) {
            captured = Math.min(captured, in.snapLength);
        }
        checkRecordLength(captured, body);
        frame++;
        return new CapturedPacket(frame, in.linkType, 0, original, file.asSlice(body + 4, captured));
    }

    private Interface anInterface(long id, long at) throws CaptureFormatException {
        if (id >= interfaces.size()) {
            throw new CaptureFormatException(at, "packet refers to interface " + id + ", but the section describes "
                    + interfaces.size());
        }
        return interfaces.get((int) id);
    }

    private static long nanos(long units, Interface in) {
        if (in.binary) {
            long whole = units >>> in.exponent;
            long rest = units & ((1L << in.exponent) - 1);
            return whole * 1_000_000_000L + ((rest * 1_000_000_000L) >>> in.exponent);
        }
        if (in.exponent <= 9) {
            long scale = 1;
            for (int i = in.exponent; i < 9; i++) {
                scale *= 10;
            }
            return units * scale;
        }
        long divisor = 1;
        for (int i = 9; i < in.exponent && i < 27; i++) {
            divisor *= 10;
        }
        return units / divisor;
    }

    private void checkRecordLength(long captured, long at) throws CaptureFormatException {
        if (captured > MAX_RECORD_LENGTH) {
            throw new CaptureFormatException(at, "captured length " + captured + " of frame " + (frame + 1)
                    + " is over the limit of " + MAX_RECORD_LENGTH + " bytes");
        }
    }

    private void need(long bytes, String what) throws CaptureFormatException {
        long left = file.byteSize() - position;
        if (bytes > left) {
            throw new CaptureFormatException(position, "capture cut short: " + what + " needs " + bytes
                    + " bytes, " + left + " left");
        }
    }

    private int u32(long at) {
        return file.get(littleEndian ? INT_LE : INT_BE, at);
    }

    private int u16(long at) {
        return file.get(littleEndian ? SHORT_LE : SHORT_BE, at) & 0xFFFF;
    }

    /**
     * The packets from the reader's current position to the end of the file, read as the iterator
     * advances (with {@link #next()}). There is one iterator per reader: a second call throws.
     * {@link Iterator#hasNext() hasNext()} reads ahead one record, so it is the call that throws
     * when a record is damaged: an {@link UncheckedIOException} whose cause is the
     * {@link CaptureFormatException}. That ends the iteration; {@code hasNext()} then returns
     * {@code false}.
     *
     * @return an iterator over the remaining packets
     * @throws IllegalStateException if this reader already gave out its iterator
     */
    @Override
    public Iterator<CapturedPacket> iterator() {
        if (iterated) {
            throw new IllegalStateException("a CaptureReader can be iterated once (like DirectoryStream)");
        }
        iterated = true;
        return new Iterator<>() {
            private CapturedPacket ahead;
            private boolean done;

            @Override
            public boolean hasNext() {
                if (ahead == null && !done) {
                    try {
                        ahead = CaptureReader.this.next();
                    } catch (CaptureFormatException e) {
                        done = true;
                        throw new UncheckedIOException(e);
                    }
                    done = ahead == null;
                }
                return ahead != null;
            }

            @Override
            public CapturedPacket next() {
                if (!hasNext()) {
                    throw new NoSuchElementException("no packet after frame " + frame);
                }
                CapturedPacket packet = ahead;
                ahead = null;
                return packet;
            }
        };
    }

    /** Unmaps the file opened by {@link #open(Path)}; packets read from it are then inaccessible. */
    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }
}
