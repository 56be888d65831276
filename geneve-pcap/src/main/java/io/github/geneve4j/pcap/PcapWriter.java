package io.github.geneve4j.pcap;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Writes a classic pcap file: little-endian, microsecond timestamps, one link type, every record
 * captured whole (captured length = original length).
 *
 * <pre>{@code
 * try (PcapWriter pcap = PcapWriter.create(Path.of("out.pcap"), LinkType.ETHERNET)) {
 *     pcap.write(timestampNanos, segment, offset, length);   // or write(timestampNanos, byteBuffer)
 * }
 * }</pre>
 *
 * <p><b>No allocation per record.</b> Record headers and frame bytes are copied into one buffer of
 * {@value #BUFFER_SIZE} bytes, owned by the writer and handed to the stream when full (a larger
 * frame goes through it in pieces). So the {@code MemorySegment} and {@code ByteBuffer} forms
 * never make an array per frame, whatever memory the frame is in; bytes reach the stream on
 * {@link #flush()}, {@link #close()}, or when the buffer fills.
 *
 * <p><b>Writing from a callback that may not throw.</b> geneve-codec's
 * {@code TcpSegmenter.FrameWriter<X>} ({@code void frame(MemorySegment buffer, long offset, int length)
 * throws X}) may call {@link #write(long, MemorySegment, long, long) write} as a
 * {@code FrameWriter<IOException>}; a callback that may not throw a checked exception (a
 * {@code FrameWriter<RuntimeException>}, or another library's) cannot. For it, {@link #tryWrite(long, MemorySegment, long, long) tryWrite} has the
 * same arguments, throws no checked exception, and keeps an I/O error for {@link #flush()} and
 * {@link #close()} to throw (as {@link java.util.Formatter} keeps its {@code ioException()}, but
 * here it cannot be forgotten: try-with-resources throws it):
 *
 * <pre>{@code
 * try (PcapWriter pcap = PcapWriter.create(out, LinkType.ETHERNET)) {
 *     segmenter.segment(frame, 0, frame.byteSize(),
 *             (buffer, offset, length) -> pcap.tryWrite(timestampNanos, buffer, offset, length));
 * }   // an I/O error during segmentation is thrown here, by close()
 * }</pre>
 *
 * <p><b>Errors.</b> An I/O error leaves the file with a record cut short, so it is final: every
 * later {@code write} throws that same {@link IOException}, every later {@code tryWrite} returns
 * {@code false} and writes nothing, and {@link #close()} closes the stream and throws it. Bounds
 * outside the frame, a record longer than {@link CaptureReader#MAX_RECORD_LENGTH}, or a write after
 * {@link #close()} are the caller's mistakes and throw unchecked exceptions at once, from both
 * forms.
 *
 * <p>Thread-safe: each method holds the writer's lock, so records from several threads never
 * interleave.
 */
public final class PcapWriter implements AutoCloseable {

    /** The snap length the header announces; records longer than it are still written whole. */
    public static final int SNAP_LENGTH = 262_144;

    /** The size in bytes of the writer's buffer. */
    public static final int BUFFER_SIZE = 1 << 16;

    private static final int PCAP_MICROS = 0xa1b2c3d4;
    private static final int FILE_HEADER_LENGTH = 24;
    private static final int RECORD_HEADER_LENGTH = 16;
    // record header fields
    private static final int SECONDS = 0;
    private static final int MICROS = 4;
    private static final int CAPTURED_LENGTH = 8;
    private static final int ORIGINAL_LENGTH = 12;

    private final OutputStream out;
    private final byte[] buffer = new byte[BUFFER_SIZE];
    /** The same bytes, for little-endian field writes at an index. */
    private final ByteBuffer fields = ByteBuffer.wrap(buffer).order(ByteOrder.LITTLE_ENDIAN);
    private int count;
    private IOException failure;
    private boolean closed;

    private PcapWriter(OutputStream out, int linkType) {
        if (linkType < 0 || linkType > 0xFFFF) {
            throw new IllegalArgumentException("link type " + linkType + " (expected: 0..65535)");
        }
        this.out = Objects.requireNonNull(out, "out");
        fields.putInt(0, PCAP_MICROS).putShort(4, (short) 2).putShort(6, (short) 4) // version 2.4
                .putInt(8, 0).putInt(12, 0)                                        // zone, sigfigs
                .putInt(16, SNAP_LENGTH).putInt(20, linkType);
        count = FILE_HEADER_LENGTH;
    }

    /**
     * Creates (or truncates) the file at {@code path} and starts it with a pcap file header.
     *
     * @param path the file to write
     * @param linkType the link type of every record, a {@link LinkType} value (0..65535)
     * @return a writer that owns the file; close it
     * @throws IOException if the file cannot be opened for writing
     * @throws IllegalArgumentException if {@code linkType} is outside 0..65535
     */
    public static PcapWriter create(Path path, int linkType) throws IOException {
        OutputStream out = Files.newOutputStream(path);
        try {
            return new PcapWriter(out, linkType);
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /**
     * A writer onto {@code out}, which it owns from now on ({@link #close()} closes it). The file
     * header is written with the first {@link #flush()} or record that fills the buffer.
     *
     * @param out where the pcap bytes go; it need not be buffered
     * @param linkType the link type of every record, a {@link LinkType} value (0..65535)
     * @return the writer
     * @throws IllegalArgumentException if {@code linkType} is outside 0..65535
     */
    public static PcapWriter to(OutputStream out, int linkType) {
        return new PcapWriter(out, linkType);
    }

    /**
     * Appends one record holding {@code length} bytes of {@code segment} from {@code offset}, without
     * copying them to an array of their own.
     *
     * @param timestampNanos capture time in nanoseconds since the epoch (written as microseconds)
     * @param segment the frame's memory: heap or native, any alignment
     * @param offset where the frame starts in {@code segment}
     * @param length the frame's length in bytes
     * @throws IOException if writing to the stream fails now or failed before
     * @throws IndexOutOfBoundsException if the range is not inside {@code segment}
     * @throws IllegalArgumentException if {@code length} exceeds {@link CaptureReader#MAX_RECORD_LENGTH}
     * @throws IllegalStateException if the writer is closed
     */
    public synchronized void write(long timestampNanos, MemorySegment segment, long offset, long length)
            throws IOException {
        check(segment.byteSize(), offset, length);
        record(timestampNanos, (int) length);
        while (length > 0) {
            int n = room(length);
            MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, offset, buffer, count, n);
            count += n;
            offset += n;
            length -= n;
        }
    }

    /**
     * As {@link #write(long, MemorySegment, long, long)}, but an I/O error is kept rather than
     * thrown: for callbacks that may not throw checked exceptions. The error is thrown by the next
     * {@link #write(long, MemorySegment, long, long) write}, {@link #flush()} or {@link #close()}.
     *
     * @param timestampNanos capture time in nanoseconds since the epoch (written as microseconds)
     * @param segment the frame's memory
     * @param offset where the frame starts in {@code segment}
     * @param length the frame's length in bytes
     * @return {@code true} if the record was written (buffered); {@code false} if writing failed,
     *     now or before, and nothing was written
     * @throws IndexOutOfBoundsException if the range is not inside {@code segment}
     * @throws IllegalArgumentException if {@code length} exceeds {@link CaptureReader#MAX_RECORD_LENGTH}
     * @throws IllegalStateException if the writer is closed
     */
    public synchronized boolean tryWrite(long timestampNanos, MemorySegment segment, long offset, long length) {
        check(segment.byteSize(), offset, length);
        if (failure != null) {
            return false;
        }
        try {
            write(timestampNanos, segment, offset, length);
            return true;
        } catch (IOException e) {
            return false; // kept in failure
        }
    }

    /**
     * Appends one record holding the whole of {@code frame}.
     *
     * @param timestampNanos capture time in nanoseconds since the epoch (written as microseconds)
     * @param frame the frame's bytes
     * @throws IOException if writing to the stream fails now or failed before
     * @throws IllegalArgumentException if the frame exceeds {@link CaptureReader#MAX_RECORD_LENGTH}
     * @throws IllegalStateException if the writer is closed
     */
    public void write(long timestampNanos, MemorySegment frame) throws IOException {
        write(timestampNanos, frame, 0, frame.byteSize());
    }

    /**
     * Appends one record holding the bytes of {@code frame} from its position to its limit. The
     * buffer's position, limit and mark are left as they were.
     *
     * @param timestampNanos capture time in nanoseconds since the epoch (written as microseconds)
     * @param frame the frame's bytes: heap, direct or read-only, any byte order
     * @throws IOException if writing to the stream fails now or failed before
     * @throws IllegalArgumentException if the frame exceeds {@link CaptureReader#MAX_RECORD_LENGTH}
     * @throws IllegalStateException if the writer is closed
     */
    public synchronized void write(long timestampNanos, ByteBuffer frame) throws IOException {
        int from = frame.position();
        int length = frame.remaining();
        check(frame.limit(), from, length);
        record(timestampNanos, length);
        while (length > 0) {
            int n = room(length);
            frame.get(from, buffer, count, n);
            count += n;
            from += n;
            length -= n;
        }
    }

    /**
     * Appends one record holding the whole of {@code frame}.
     *
     * @param timestampNanos capture time in nanoseconds since the epoch (written as microseconds)
     * @param frame the frame's bytes
     * @throws IOException if writing to the stream fails now or failed before
     * @throws IllegalArgumentException if the frame exceeds {@link CaptureReader#MAX_RECORD_LENGTH}
     * @throws IllegalStateException if the writer is closed
     */
    public void write(long timestampNanos, byte[] frame) throws IOException {
        write(timestampNanos, MemorySegment.ofArray(frame), 0, frame.length);
    }

    /**
     * Hands everything buffered to the stream and flushes it.
     *
     * @throws IOException if writing fails now or failed before
     * @throws IllegalStateException if the writer is closed
     */
    public synchronized void flush() throws IOException {
        checkOpen();
        drain();
        try {
            out.flush();
        } catch (IOException e) {
            throw fail(e);
        }
    }

    /**
     * Writes what is buffered and closes the stream. If an I/O error happened before (a
     * {@link #tryWrite(long, MemorySegment, long, long) tryWrite} that returned {@code false}), the
     * stream is closed and that error is thrown. Closing twice does nothing.
     *
     * @throws IOException the first I/O error of the writer's life, or closing's own
     */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try (out) {
            drain();
        }
    }

    private void check(long size, long offset, long length) {
        checkOpen();
        Objects.checkFromIndexSize(offset, length, size);
        if (length > CaptureReader.MAX_RECORD_LENGTH) {
            throw new IllegalArgumentException("record of " + length + " bytes (expected: at most "
                    + CaptureReader.MAX_RECORD_LENGTH + ", what CaptureReader reads back)");
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("pcap writer is closed");
        }
    }

    private void record(long timestampNanos, int length) throws IOException {
        if (failure != null) {
            throw failure;
        }
        if (buffer.length - count < RECORD_HEADER_LENGTH) {
            drain();
        }
        long micros = Math.floorDiv(timestampNanos, 1_000L);
        fields.putInt(count + SECONDS, (int) Math.floorDiv(micros, 1_000_000L))
                .putInt(count + MICROS, (int) Math.floorMod(micros, 1_000_000L))
                .putInt(count + CAPTURED_LENGTH, length)
                .putInt(count + ORIGINAL_LENGTH, length);
        count += RECORD_HEADER_LENGTH;
    }

    /** How many of {@code wanted} bytes fit in the buffer now, draining it first if it is full. */
    private int room(long wanted) throws IOException {
        if (count == buffer.length) {
            drain();
        }
        return (int) Math.min(wanted, buffer.length - count);
    }

    private void drain() throws IOException {
        if (failure != null) {
            throw failure;
        }
        try {
            out.write(buffer, 0, count);
            count = 0;
        } catch (IOException e) {
            throw fail(e);
        }
    }

    private IOException fail(IOException e) {
        failure = e;
        return e;
    }
}
