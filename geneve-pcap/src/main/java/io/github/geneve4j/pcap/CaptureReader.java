package io.github.geneve4j.pcap;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * Reads pcap and pcapng captures, one packet record at a time, through a read buffer.
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
 * <p>A file is read with positional reads of a megabyte at a time, never mapped: a mapped file that
 * another process truncates faults on access (SIGBUS), which the JVM reports only after the fact, as
 * an {@link InternalError} it cannot promise to raise in time. Read, a file cut short while the
 * reader is on it (a capture rotated or truncated under {@code geneve dump}) is a
 * {@link CaptureFormatException} like any other cut, at the first byte that is gone.
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
 * <p>A packet's {@link CapturedPacket#data() data} is read-only: from a file, the record's bytes
 * copied out of the read buffer (its own, still valid after {@link #close()}); from
 * {@link #of(MemorySegment)}, a slice of the bytes given. Not thread-safe.
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

    /** Bytes read from a file at a time: what the read buffer holds. */
    static final int READ_BUFFER_SIZE = 1 << 20;

    // Captures come in both byte orders, and this module depends on the JDK alone (not on the
    // codec's NetworkOrder): hence its own layouts for each order
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    // a file is read through `window`, which holds its bytes [windowStart, windowEnd); bytes given
    // to of() are the window, whole, and channel is null
    private final FileChannel channel;
    private final long size; // the file's size when opened: bytes past it are not read
    private final MemorySegment window;
    private final ByteBuffer windowBuffer;
    private long windowStart;
    private long windowEnd;
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

    private CaptureReader(FileChannel channel, long size, MemorySegment bytes, int readBufferSize)
            throws CaptureFormatException {
        this.channel = channel;
        this.size = size;
        if (channel == null) {
            this.window = bytes.asReadOnly();
            this.windowBuffer = null;
            this.windowEnd = size;
        } else {
            // no larger than the file: a small capture costs a small buffer. Direct, so that the
            // kernel reads into it (a heap buffer would be filled through a temporary direct one)
            this.windowBuffer = ByteBuffer.allocateDirect((int) Math.min(readBufferSize, Math.max(size, 64)));
            this.window = MemorySegment.ofBuffer(windowBuffer);
        }
        if (size < 4) {
            throw new CaptureFormatException(0, "not a pcap or pcapng capture: only " + size + " bytes");
        }
        int magicBe = beInt(0);
        int magicLe = Integer.reverseBytes(magicBe);
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
     * Opens the file at {@code path} and reads its header.
     *
     * @param path a pcap or pcapng file
     * @return a reader positioned before the first packet; close it to close the file
     * @throws CaptureFormatException if the file is not a pcap or pcapng capture, or its header is
     *     cut short
     * @throws IOException if the file cannot be opened or read
     *     ({@link java.nio.file.NoSuchFileException} if it does not exist)
     */
    public static CaptureReader open(Path path) throws IOException {
        return open(path, READ_BUFFER_SIZE);
    }

    /** As {@link #open(Path)} with a read buffer of {@code readBufferSize} bytes (tests use small ones). */
    static CaptureReader open(Path path, int readBufferSize) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        try {
            return new CaptureReader(channel, channel.size(), null, readBufferSize);
        } catch (IOException | RuntimeException e) {
            channel.close();
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
        return new CaptureReader(null, bytes.byteSize(), bytes, 0);
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
     * @throws CaptureFormatException if the next record is damaged or cut short (in the file as
     *     opened, or since: a file truncated while it is read); the packets before it were returned
     * @throws UncheckedIOException if reading the file fails otherwise (a disk error)
     */
    public CapturedPacket next() throws CaptureFormatException {
        return format == Format.PCAP ? nextPcap() : nextPcapng();
    }

    private CapturedPacket nextPcap() throws CaptureFormatException {
        if (position == size) {
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
        return new CapturedPacket(frame, pcapLinkType, nanos, original, data(start, captured));
    }

    private CapturedPacket nextPcapng() throws CaptureFormatException {
        while (position < size) {
            long block = position;
            need(12, "pcapng block header");
            int typeBe = beInt(block);
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
        int magicBe = beInt(block + 8);
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
                int resolution = u8(option + 4);
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
        return new CapturedPacket(frame, in.linkType, nanos(units, in), original, data(body + 20, captured));
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
        return new CapturedPacket(frame, in.linkType, 0, original, data(body + 4, captured));
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
        long left = size - position;
        if (bytes > left) {
            throw new CaptureFormatException(position, "capture cut short: " + what + " needs " + bytes
                    + " bytes, " + left + " left");
        }
    }

    // Every read below is of bytes need() has found in the file as opened: a read that finds them
    // gone means the file was cut short since

    private int u32(long at) throws CaptureFormatException {
        ensure(at, 4);
        return window.get(littleEndian ? INT_LE : INT_BE, at - windowStart);
    }

    private int beInt(long at) throws CaptureFormatException {
        ensure(at, 4);
        return window.get(INT_BE, at - windowStart);
    }

    private int u16(long at) throws CaptureFormatException {
        ensure(at, 2);
        return window.get(littleEndian ? SHORT_LE : SHORT_BE, at - windowStart) & 0xFFFF;
    }

    private int u8(long at) throws CaptureFormatException {
        ensure(at, 1);
        return window.get(ValueLayout.JAVA_BYTE, at - windowStart) & 0xFF;
    }

    /** A record's {@code length} bytes at {@code at}: a slice of bytes given to of(), a copy of a file's. */
    private MemorySegment data(long at, long length) throws CaptureFormatException {
        if (channel == null) {
            return window.asSlice(at, length);
        }
        byte[] data = new byte[(int) length]; // at most MAX_RECORD_LENGTH, checked by the caller
        int done = 0;
        if (at >= windowStart && at < windowEnd) {
            done = (int) Math.min(length, windowEnd - at);
            MemorySegment.copy(window, ValueLayout.JAVA_BYTE, at - windowStart, data, 0, done);
        }
        int rest = data.length - done;
        if (rest > 0 && rest <= windowBuffer.capacity()) {
            // through the buffer, which then holds the records that follow too
            ensure(at + done, rest);
            MemorySegment.copy(window, ValueLayout.JAVA_BYTE, at + done - windowStart, data, done, rest);
        } else if (rest > 0) {
            read(ByteBuffer.wrap(data, done, rest), at + done, rest);
        }
        return MemorySegment.ofArray(data).asReadOnly();
    }

    /** Makes the window hold the file's bytes {@code [at, at + bytes)}, reading from {@code at} on. */
    private void ensure(long at, int bytes) throws CaptureFormatException {
        if (at >= windowStart && at + bytes <= windowEnd) {
            return;
        }
        if (channel == null || at + bytes > size) {
            // need() came first: only a broken invariant gets here, and it must not loop or read past
            throw new CaptureFormatException(at, "capture cut short: " + bytes + " bytes wanted, "
                    + Math.max(0, size - at) + " left");
        }
        ByteBuffer buffer = windowBuffer.clear();
        buffer.limit((int) Math.min(buffer.capacity(), size - at));
        windowStart = at;
        windowEnd = at; // empty until the read succeeds
        read(buffer, at, bytes);
        windowEnd = at + buffer.position();
    }

    /**
     * Reads from the file at {@code at} into {@code buffer}, at least {@code bytes} bytes and as many
     * as fit, the first at the buffer's position.
     *
     * @throws CaptureFormatException when the file ends before them: it was cut short since opened
     */
    private void read(ByteBuffer buffer, long at, int bytes) throws CaptureFormatException {
        int start = buffer.position();
        try {
            while (buffer.position() - start < bytes) {
                long from = at + buffer.position() - start;
                if (channel.read(buffer, from) < 0) {
                    throw new CaptureFormatException(from, "capture cut short while being read: the file ends"
                            + " before byte " + from + " (it had " + size + " bytes when opened)");
                }
            }
        } catch (CaptureFormatException e) {
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException("reading the capture at byte " + at, e);
        }
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

    /** Closes the file opened by {@link #open(Path)}; the packets read from it stay valid. */
    @Override
    public void close() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // a read-only file: nothing was to be written back, nothing is lost
            }
        }
    }
}
