package io.github.geneve4j.endpoint;

import io.github.geneve4j.endpoint.spi.DatagramSource;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * One decapsulated frame as a {@link FrameHandler} sees it: a window on the endpoint's receive
 * buffer, reused for the next frame once the handler returns. Reading it allocates nothing;
 * {@link #toByteArray()} and {@link #toByteBuffer()} copy. The handler answers it with
 * {@link #reply}, without a reference to the endpoint:
 *
 * <pre>{@code
 * FrameHandler echo = frame -> frame.reply(frame.bytes(), 0, frame.length()); // back to whoever sent it
 * }</pre>
 */
public final class ReceivedFrame {

    private MemorySegment segment;
    private long offset;
    private int length;
    private int vni;
    private final DatagramSource source = new DatagramSource();
    private InetSocketAddress peer;
    private int peerIndex = -1;
    /** The handler's send path; null where no handler is (a device endpoint never hands frames out). */
    private final HandlerPath replies;

    ReceivedFrame(HandlerPath replies) {
        this.replies = replies;
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

    /**
     * The frame's bytes, from the Ethernet destination to its end: a slice of the endpoint's receive
     * buffer, not a copy. Valid only within {@link FrameHandler#onFrame}: once the handler returns
     * the memory holds the next datagram, so copy what you keep ({@link #toByteArray()}).
     *
     * <p>The slice is a small object made per call (the JIT's escape analysis often removes it when
     * it does not leave the handler); a path that must allocate nothing reads {@link #segment()} at
     * {@link #offset()} instead.
     */
    public MemorySegment bytes() {
        return segment.asSlice(offset, length);
    }

    /**
     * Encapsulates a frame and sends it to whoever sent this one: its peer, or for an endpoint that
     * {@linkplain GeneveEndpoint.Builder#acceptAnySource accepts any source}, the source's address at
     * the {@linkplain GeneveEndpoint.Builder#replyPort reply port} (never the datagram's source port,
     * which is flow entropy). Call it from within {@link FrameHandler#onFrame}, with this frame; it
     * may reply with the frame's own memory (e.g. an ARP request turned into its answer in place).
     * A copy into the endpoint's send buffer; nothing allocated.
     *
     * @return whether it was sent (false: a full socket buffer or a send error, or a peer whose BFD
     *     session is down, counted in the stats; or the endpoint is stopped)
     * @throws IllegalArgumentException if the frame is shorter than an Ethernet header or longer than
     *     a datagram can carry
     */
    public boolean reply(MemorySegment frame, long offset, long length) {
        return replies.send(frame, offset, length, this);
    }

    /** {@link #reply(MemorySegment, long, long)} for the bytes between {@code frame}'s position and limit (left as they are). */
    public boolean reply(ByteBuffer frame) {
        return replies.send(frame, this);
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
