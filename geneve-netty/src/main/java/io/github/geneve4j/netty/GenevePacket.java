package io.github.geneve4j.netty;

import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveView;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.AddressedEnvelope;
import io.netty.util.AbstractReferenceCounted;
import io.netty.util.Recycler;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * A received Geneve datagram, as {@link GeneveDecoder} emits it: the datagram's own buffer (retained,
 * not copied; its reader index at the Geneve header), the outer addresses, and the header's fields,
 * checked once by the decoder.
 *
 * <pre>{@code
 * protected void channelRead0(ChannelHandlerContext ctx, GenevePacket packet) {
 *     int vni = packet.vni();                       // read once by the decoder: no view needed
 *     ByteBuf frame = packet.frame();               // the inner frame: a slice, no copy
 *     for (GeneveOptionCursor o = packet.view().options(); o.next(); ) { ... }
 * }
 * }</pre>
 *
 * <p>{@link #view()} is a {@link GeneveView} over the datagram's memory (direct or heap: the
 * decoder has made sure it is one NIO buffer). Reference counted on its own: a packet holds one
 * reference to its {@link #content()}, and its last {@link #release()} gives that back and returns
 * this object to Netty's {@link Recycler}, so a packet must not be used after it (keep
 * {@code content().retain()} or {@code frame().retain()} to hold the bytes longer). Not
 * thread-safe; hand it to another thread with its reference.
 *
 * <p>Allocation: none per packet to decode it (the object is recycled; the header's fields are
 * plain ints). {@link #view()} makes one {@link ByteBuffer} over the datagram the first time it is
 * called for a packet, {@link #frame()} one slice, {@link #header()} a record.
 */
public final class GenevePacket extends AbstractReferenceCounted
        implements AddressedEnvelope<ByteBuf, InetSocketAddress>, ByteBufHolder {

    private static final Recycler<GenevePacket> RECYCLER = new Recycler<>() {
        @Override
        protected GenevePacket newObject(Handle<GenevePacket> handle) {
            return new GenevePacket(handle);
        }
    };

    private final Recycler.Handle<GenevePacket> handle;
    private final GeneveView view = new GeneveView();
    private ByteBuf content;
    private InetSocketAddress sender;
    private InetSocketAddress recipient;
    private int headerLength;
    private int vni;
    private int protocolType;
    private int optionsLength;
    private boolean oam;
    private boolean critical;
    private boolean viewed;
    private ByteBuf frame;

    private GenevePacket(Recycler.Handle<GenevePacket> handle) {
        this.handle = handle;
    }

    /** A packet over {@code content} (whose reference it takes) whose header {@code checked} has validated. */
    static GenevePacket of(ByteBuf content, GeneveView checked, InetSocketAddress sender, InetSocketAddress recipient) {
        GenevePacket p = RECYCLER.get();
        p.setRefCnt(1);
        p.content = content;
        p.sender = sender;
        p.recipient = recipient;
        p.headerLength = checked.headerLength();
        p.vni = checked.vni();
        p.protocolType = checked.protocolType();
        p.optionsLength = checked.optionsLength();
        p.oam = checked.oam();
        p.critical = checked.critical();
        p.viewed = false;
        p.frame = null;
        return p;
    }

    private GenevePacket with(ByteBuf other) {
        GenevePacket p = RECYCLER.get();
        p.setRefCnt(1);
        p.content = other;
        p.sender = sender;
        p.recipient = recipient;
        p.headerLength = headerLength;
        p.vni = vni;
        p.protocolType = protocolType;
        p.optionsLength = optionsLength;
        p.oam = oam;
        p.critical = critical;
        p.viewed = false;
        p.frame = null;
        return p;
    }

    /** The Virtual Network Identifier. */
    public int vni() {
        return vni;
    }

    /** The protocol type of the inner frame ({@code 0x6558} for Ethernet). */
    public int protocolType() {
        return protocolType;
    }

    /** The O bit: a control packet. */
    public boolean oam() {
        return oam;
    }

    /** The C bit, as received. */
    public boolean critical() {
        return critical;
    }

    /** The options' length in bytes (Opt Len × 4). */
    public int optionsLength() {
        return optionsLength;
    }

    /**
     * The number of options in the header: a walk of the options through {@link #view()} (which
     * makes its buffer on the first call per packet).
     *
     * @return how many options the header carries, 0 without options
     */
    public int optionCount() {
        return optionsLength == 0 ? 0 : view().optionCount();
    }

    /** The Geneve header's length in bytes, options included: where the inner frame starts. */
    public int headerLength() {
        return headerLength;
    }

    /**
     * A view of the header in place, for options: over the datagram's own memory, no copy (one
     * {@link ByteBuffer} made on the first call per packet).
     */
    public GeneveView view() {
        if (!viewed) {
            view.wrap(content.nioBuffer(content.readerIndex(), content.readableBytes()), 0);
            viewed = true;
        }
        return view;
    }

    /** Wraps {@code scratch} over the header without allocating (valid until the next call on this thread). */
    GeneveView wrapInto(GeneveView scratch) {
        ByteBuffer nio = content.internalNioBuffer(content.readerIndex(), content.readableBytes());
        return scratch.wrap(nio, nio.position());
    }

    /**
     * The inner frame (after the header and its options): a slice of {@link #content()}, not retained
     * and not copied, valid while this packet is; {@code frame().retain()} to keep it longer.
     */
    public ByteBuf frame() {
        if (frame == null) {
            frame = content.slice(content.readerIndex() + headerLength, content.readableBytes() - headerLength);
        }
        return frame;
    }

    /** The header as a record (allocates: for replies and logs, not per packet). */
    public GeneveHeader header() {
        return view().toHeader();
    }

    /** The whole datagram, from the Geneve header on. */
    @Override
    public ByteBuf content() {
        return content;
    }

    /** The outer source address and port. */
    @Override
    public InetSocketAddress sender() {
        return sender;
    }

    /** The outer destination: the local address the datagram came to. */
    @Override
    public InetSocketAddress recipient() {
        return recipient;
    }

    @Override
    public GenevePacket copy() {
        return with(content.copy());
    }

    @Override
    public GenevePacket duplicate() {
        return with(content.duplicate());
    }

    @Override
    public GenevePacket retainedDuplicate() {
        return with(content.retainedDuplicate());
    }

    /**
     * This packet's addresses and header fields over {@code content}, which must hold the same
     * Geneve header (it is not checked again).
     */
    @Override
    public GenevePacket replace(ByteBuf content) {
        return with(content);
    }

    @Override
    public GenevePacket retain() {
        super.retain();
        return this;
    }

    @Override
    public GenevePacket retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public GenevePacket touch() {
        super.touch();
        return this;
    }

    @Override
    public GenevePacket touch(Object hint) {
        content.touch(hint);
        return this;
    }

    /** The last release: the content's reference given back, this object recycled. */
    @Override
    protected void deallocate() {
        ByteBuf c = content;
        content = null;
        frame = null;
        sender = null;
        recipient = null;
        viewed = false;
        handle.recycle(this);
        c.release();
    }

    @Override
    public String toString() {
        return "GenevePacket(" + NettyTransport.format(sender) + " => " + NettyTransport.format(recipient) + ", VNI "
                + vni + ", protocol 0x" + Integer.toHexString(protocolType) + (oam ? ", O" : "") + (critical ? ", C" : "")
                + ", " + optionsLength + " bytes of options, " + (content == null ? "released" : content.readableBytes()
                + " bytes") + ")";
    }
}
