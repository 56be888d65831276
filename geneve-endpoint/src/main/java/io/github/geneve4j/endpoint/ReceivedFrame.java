package io.github.geneve4j.endpoint;

import io.github.geneve4j.endpoint.spi.DatagramSource;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * One decapsulated frame as a {@link FrameHandler} sees it: a window on the endpoint's receive
 * buffer, reused for the next frame once the handler returns. Reading it allocates nothing;
 * {@link #toByteArray()} and {@link #toByteBuffer()} copy.
 */
public final class ReceivedFrame {

    private MemorySegment segment;
    private long offset;
    private int length;
    private int vni;
    private final DatagramSource source = new DatagramSource();
    private InetSocketAddress peer;
    private int peerIndex = -1;

    ReceivedFrame() {
    }

    ReceivedFrame set(MemorySegment segment, long offset, int length, int vni, InetSocketAddress peer, int peerIndex) {
        this.segment = segment;
        this.offset = offset;
        this.length = length;
        this.vni = vni;
        this.peer = peer;
        this.peerIndex = peerIndex;
        return this;
    }

    int peerIndex() {
        return peerIndex;
    }

    DatagramSource mutableSource() {
        return source;
    }

    /** The memory the frame is in (the endpoint's receive buffer). */
    public MemorySegment segment() {
        return segment;
    }

    /** Where the frame's first byte (the Ethernet destination) is in {@link #segment()}. */
    public long offset() {
        return offset;
    }

    /** The frame's length in bytes. */
    public int length() {
        return length;
    }

    /** The VNI it came on. */
    public int vni() {
        return vni;
    }

    /** Byte {@code index} of the frame, 0-based. */
    public byte get(int index) {
        if (index < 0 || index >= length) {
            throw new IndexOutOfBoundsException("index " + index + " (expected: 0.." + (length - 1) + ")");
        }
        return segment.get(ValueLayout.JAVA_BYTE, offset + index);
    }

    /** Who sent the datagram (its source address and port). */
    public DatagramSource source() {
        return source;
    }

    /** The configured peer it came from; null for an endpoint that {@linkplain GeneveEndpoint.Builder#acceptAnySource accepts any source}. */
    public InetSocketAddress peer() {
        return peer;
    }

    /** A copy of the frame's bytes. */
    public byte[] toByteArray() {
        return segment.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE);
    }

    /** A copy of the frame in a new heap buffer, position 0, limit its length. */
    public ByteBuffer toByteBuffer() {
        return ByteBuffer.wrap(toByteArray());
    }

    @Override
    public String toString() {
        return "ReceivedFrame[" + length + " bytes, VNI " + vni + ", from " + source + "]";
    }
}
