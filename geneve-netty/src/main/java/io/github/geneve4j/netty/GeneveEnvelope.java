package io.github.geneve4j.netty;

import io.github.geneve4j.codec.GeneveHeader;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;
import java.net.InetSocketAddress;

/**
 * A Geneve packet to send: a header, the inner frame and the outer destination, for
 * {@link GeneveEncoder} (or {@link GeneveSegmentationEncoder}) to turn into a datagram.
 *
 * <pre>{@code
 * ctx.writeAndFlush(new GeneveEnvelope(GeneveHeader.of(ProtocolType.ETHERNET, 5000), frame, peer));
 * }</pre>
 *
 * <p>Reference counted as its frame ({@link #content()}), which the encoder takes over. Deliberately
 * not an {@code AddressedEnvelope}: a channel without an encoder refuses it rather than sending the
 * inner frame bare.
 */
public final class GeneveEnvelope extends DefaultByteBufHolder {

    private final GeneveHeader header;
    private final InetSocketAddress recipient;
    private final InetSocketAddress sender;

    /**
     * An envelope from the channel's own address (no explicit outer source).
     *
     * @param header the Geneve header to put in front of the frame
     * @param frame the inner frame (its readable bytes)
     * @param recipient the outer destination: the peer's address and Geneve port
     * @throws IllegalArgumentException for a null argument or an unresolved recipient
     */
    public GeneveEnvelope(GeneveHeader header, ByteBuf frame, InetSocketAddress recipient) {
        this(header, frame, recipient, null);
    }

    /**
     * As {@link #GeneveEnvelope(GeneveHeader, ByteBuf, InetSocketAddress)}, from {@code sender} (a
     * local address, or null for the channel's).
     */
    public GeneveEnvelope(GeneveHeader header, ByteBuf frame, InetSocketAddress recipient, InetSocketAddress sender) {
        super(checkFrame(frame));
        if (header == null) {
            throw new IllegalArgumentException("found header null (expected: a Geneve header)");
        }
        if (recipient == null || recipient.isUnresolved()) {
            throw new IllegalArgumentException("found recipient " + recipient + " (expected: a resolved IP address and port)");
        }
        this.header = header;
        this.recipient = recipient;
        this.sender = sender;
    }

    private static ByteBuf checkFrame(ByteBuf frame) {
        if (frame == null) {
            throw new IllegalArgumentException("found frame null (expected: a ByteBuf)");
        }
        return frame;
    }

    /** The Geneve header. */
    public GeneveHeader header() {
        return header;
    }

    /** The outer destination. */
    public InetSocketAddress recipient() {
        return recipient;
    }

    /** The outer source, or null for the channel's local address. */
    public InetSocketAddress sender() {
        return sender;
    }

    @Override
    public GeneveEnvelope copy() {
        return replace(content().copy());
    }

    @Override
    public GeneveEnvelope duplicate() {
        return replace(content().duplicate());
    }

    @Override
    public GeneveEnvelope retainedDuplicate() {
        return replace(content().retainedDuplicate());
    }

    @Override
    public GeneveEnvelope replace(ByteBuf content) {
        return new GeneveEnvelope(header, content, recipient, sender);
    }

    @Override
    public GeneveEnvelope retain() {
        super.retain();
        return this;
    }

    @Override
    public GeneveEnvelope retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public GeneveEnvelope touch() {
        super.touch();
        return this;
    }

    @Override
    public GeneveEnvelope touch(Object hint) {
        super.touch(hint);
        return this;
    }

    @Override
    public String toString() {
        return "GeneveEnvelope(" + header + " => " + NettyTransport.format(recipient) + ", " + contentToString() + ")";
    }
}
