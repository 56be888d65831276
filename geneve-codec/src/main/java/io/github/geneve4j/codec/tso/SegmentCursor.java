package io.github.geneve4j.codec.tso;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * The segments of one inner frame in gather mode: per segment, the outer and inner headers written
 * into a small buffer the cursor reuses, and the payload left where it is, as a range of the
 * caller's frame. Nothing of the payload is copied; it is read once, for the inner TCP checksum.
 *
 * <p>Obtained from {@link TcpSegmenter#gather(MemorySegment, long, long)}; call {@link #next()}
 * before reading each segment. Made for gathering writes, which throw {@code IOException} and so fit
 * a loop better than a callback:
 *
 * <pre>{@code
 * SegmentCursor segments = segmenter.gather(superFrame, 0, superFrame.byteSize());
 * while (segments.next()) {
 *     tap.write(segments.buffers());            // a GatheringByteChannel: one Ethernet frame
 * }
 * // or, through a connected DatagramChannel whose socket adds the outer IP and UDP headers:
 * while (segments.next()) {
 *     udp.write(segments.datagramBuffers());    // the UDP payload: Geneve header onwards
 * }
 * }</pre>
 *
 * <p>The header buffer is direct when the frame is native (a channel then writes both buffers
 * without a copy) and on the heap when the frame is. It belongs to the cursor: do not write into it,
 * since later segments rewrite only the fields that change.
 *
 * <p>Every segment's bytes, headers then payload, are those {@link TcpSegmenter#segment} writes for
 * the same frame, every checksum included (the outer UDP checksum derived from the inner one, Linux's
 * local checksum offload). No allocation per segment: {@link #next()} writes into the same header
 * buffer, and {@link #buffers()} positions the same two {@link ByteBuffer}s in the same array. The
 * payload's {@code ByteBuffer} is made once per frame segment instance: pass the same
 * {@code MemorySegment} (say, one over your receive buffer) for every frame and nothing is allocated
 * after the first; a new instance costs one {@code ByteBuffer} per frame, when {@code buffers()} is
 * first called for it.
 *
 * <p>The cursor belongs to its segmenter and is reset by its next {@code gather} call; any other use
 * of the segmenter ({@code segment} or {@code gather}) ends the walk, and a later {@link #next()}
 * throws {@link IllegalStateException}. The caller's frame must not change during the walk. Not
 * thread-safe.
 */
public final class SegmentCursor {

    private final TcpSegmenter segmenter;
    private final int datagramOffset;
    private final ByteBuffer[] buffers = new ByteBuffer[2];
    private ByteBuffer headerBuffer;
    private MemorySegment headers;
    private MemorySegment frame;
    private long offset;
    private long generation;
    private int count;
    private int index;
    private int port;
    private int headerLength;
    private long payloadOffset;
    private int payloadLength;
    // the payload's ByteBuffer over the caller's frame, kept while the same segment instance comes back
    private MemorySegment viewed;
    private ByteBuffer frameBuffer;
    private long frameBufferBase;
    private boolean sliced;

    SegmentCursor(TcpSegmenter segmenter, int datagramOffset) {
        this.segmenter = segmenter;
        this.datagramOffset = datagramOffset;
        this.index = -1;
    }

    void reset(MemorySegment frame, long offset, long length, long generation, int count, int port,
            int headerLength) {
        if (headers == null || headers.byteSize() < headerLength || headers.isNative() != frame.isNative()) {
            // Of the frame's kind: direct for a native frame, so that a channel writes both buffers
            // without copying them, heap for a heap frame (the channel copies both anyway); and one
            // kind of segment in the hot path, which C2 compiles best. Grows to the largest headers
            // seen, then stays (a caller alternating kinds pays one small buffer per switch).
            int capacity = Math.max(headerLength, 256);
            headerBuffer = frame.isNative() ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity);
            headers = MemorySegment.ofBuffer(headerBuffer);
        }
        if (frame != viewed || sliced) {
            frameBuffer = null;
            viewed = null;
            sliced = false;
        }
        this.frame = frame;
        this.offset = offset;
        this.generation = generation;
        this.count = count;
        this.port = port;
        this.headerLength = headerLength;
        this.index = -1;
        this.payloadLength = 0;
        if (frameBuffer == null && frame.byteSize() > Integer.MAX_VALUE) {
            // a ByteBuffer cannot span more than 2 GiB: view just this frame (one buffer per frame)
            frameBufferBase = offset;
            frameBuffer = frame.asSlice(offset, length).asByteBuffer();
            viewed = frame;
            sliced = true;
        }
    }

    /**
     * Moves to the next segment and writes its headers; {@code false} when there is none.
     *
     * @throws IllegalStateException if the segmenter has since been used for another frame
     */
    public boolean next() {
        if (index + 1 >= count) {
            index = count;
            return false;
        }
        segmenter.checkGeneration(generation);
        index++;
        payloadLength = segmenter.segmentLength(index);
        payloadOffset = offset + segmenter.payloadStart(index);
        segmenter.writeGathered(frame, offset, index, count, port, payloadLength, payloadOffset, headers);
        return true;
    }

    /** The number of segments of this frame (at least 1: a frame without payload gives one). */
    public int count() {
        return count;
    }

    /** The current segment, from 0; -1 before the first {@link #next()}, {@link #count()} after the last. */
    public int index() {
        return index;
    }

    /**
     * The buffer holding the current segment's headers at {@code [0, headerLength())}: the outer
     * Ethernet, IP, UDP and Geneve headers, then the inner frame's headers up to its TCP payload.
     * Rewritten by the next {@link #next()}; read it, do not write into it.
     */
    public MemorySegment headers() {
        at();
        return headers;
    }

    /** The length of the current segment's headers in {@link #headers()}. */
    public int headerLength() {
        at();
        return headerLength;
    }

    /** The caller's frame, which holds every segment's payload. */
    public MemorySegment frame() {
        at();
        return frame;
    }

    /** The offset in {@link #frame()} of the current segment's payload. */
    public long payloadOffset() {
        at();
        return payloadOffset;
    }

    /** The length of the current segment's payload (0 only for a frame without payload). */
    public int payloadLength() {
        at();
        return payloadLength;
    }

    /** The length of the current outer frame: {@code headerLength() + payloadLength()}. */
    public int frameLength() {
        at();
        return headerLength + payloadLength;
    }

    /**
     * The current outer frame, from its outer Ethernet header, as two buffers for
     * {@link java.nio.channels.GatheringByteChannel#write(ByteBuffer[])}: the headers, then the
     * payload in place. The array and both buffers are the cursor's, positioned afresh by each call;
     * the payload buffer is read-only if the frame segment is.
     *
     * @throws UnsupportedOperationException if the frame segment cannot be viewed as a
     *     {@code ByteBuffer} (a heap segment over an array other than {@code byte[]})
     */
    public ByteBuffer[] buffers() {
        return buffers(0);
    }

    /**
     * As {@link #buffers()} from the Geneve header on: the outer UDP datagram's payload, for a
     * connected {@link java.nio.channels.DatagramChannel}, whose socket supplies the outer IP and UDP
     * headers (the ones written here are then skipped).
     */
    public ByteBuffer[] datagramBuffers() {
        return buffers(datagramOffset);
    }

    private ByteBuffer[] buffers(int from) {
        at();
        if (frameBuffer == null) {
            frameBuffer = frame.asByteBuffer();
            frameBufferBase = 0;
            viewed = frame;
        }
        headerBuffer.limit(headerLength).position(from);
        int start = (int) (payloadOffset - frameBufferBase);
        frameBuffer.limit(start + payloadLength).position(start);
        buffers[0] = headerBuffer;
        buffers[1] = frameBuffer;
        return buffers;
    }

    private void at() {
        if (index < 0 || index >= count) {
            throw new IllegalStateException("cursor is not on a segment; call next()");
        }
    }
}
