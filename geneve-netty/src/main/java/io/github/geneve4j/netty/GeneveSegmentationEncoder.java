package io.github.geneve4j.netty;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.tso.MtuExceededException;
import io.github.geneve4j.codec.tso.SegmentCursor;
import io.github.geneve4j.codec.tso.TcpSegmenter;
import io.github.geneve4j.codec.tunnel.GeneveTunnel;
import io.github.geneve4j.codec.tunnel.TunnelOverhead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.SegmentedDatagramPacket;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Software TSO on Netty: a {@link GeneveEnvelope} whose inner frame is a TCP segment too large for
 * the outer MTU is cut as a TSO NIC would cut it (the codec's {@link TcpSegmenter}: every inner
 * IPv4 ID, sequence number, flag and checksum as Linux's {@code tcp_gso_segment} sets them), and
 * leaves as {@link SegmentedDatagramPacket}s where the channel is Netty's epoll datagram channel and
 * the kernel has UDP_SEGMENT, else as one {@link DatagramPacket} per segment. Other envelopes (a frame
 * that fits, one that is not TCP) are encoded as {@link GeneveEncoder} does.
 *
 * <pre>{@code
 * pipeline.addLast(new GeneveSegmentationEncoder(1500));      // one per channel: it keeps a segmenter
 * channel.writeAndFlush(new GeneveEnvelope(header, superFrame, peer));
 * }</pre>
 *
 * <p>No copy of the payload: the segmenter's gather mode writes each segment's headers (Geneve with
 * its options, inner Ethernet, IP and TCP) into one pooled buffer, and each datagram is a composite of
 * its headers and a retained slice of the frame. One {@code SegmentedDatagramPacket} carries up to 64
 * segments and 65,000 bytes (the kernel's limits for one UDP_SEGMENT send; a 64 KiB inner frame
 * with its headers repeated takes two). Per frame: the header buffer, the composite(s) with two
 * components per segment, the slices (Netty's objects), and a {@code ByteBuffer} and a
 * {@code MemorySegment} over the frame; a new segmenter when the header or the outer IP version
 * changes. Not {@code @Sharable}.
 */
public final class GeneveSegmentationEncoder extends MessageToMessageEncoder<GeneveEnvelope> {

    static final int MAX_SEGMENTS = NettyTransport.MAX_SEGMENTS;
    static final int MAX_GSO_BYTES = NettyTransport.MAX_GSO_BYTES;

    private final int mtu;
    private GeneveHeader segmenterHeader;
    private boolean segmenterV4;
    private TcpSegmenter segmenter;

    /**
     * An encoder that cuts TCP super-frames so each datagram fits {@code mtu}.
     *
     * @param mtu the outer IP MTU every datagram must fit, with its IP and UDP headers (576..65535)
     * @throws IllegalArgumentException for an MTU out of range
     */
    public GeneveSegmentationEncoder(int mtu) {
        super(GeneveEnvelope.class);
        if (mtu < 576 || mtu > 0xFFFF) {
            throw new IllegalArgumentException("found MTU " + mtu + " (expected: 576..65535)");
        }
        this.mtu = mtu;
    }

    /** The outer MTU. */
    public int mtu() {
        return mtu;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, GeneveEnvelope envelope, List<Object> out) {
        GeneveHeader header = envelope.header();
        ByteBuf frame = envelope.content();
        InetSocketAddress recipient = envelope.recipient();
        boolean v4 = recipient.getAddress() instanceof Inet4Address;
        int overhead = TunnelOverhead.ipOverhead(v4 ? IpVersion.IPV4 : IpVersion.IPV6, header.optionsLength());
        if (frame.readableBytes() + overhead <= mtu) {
            out.add(GeneveEncoder.datagram(ctx.alloc(), header, frame, recipient, envelope.sender()));
            return;
        }
        int at = frame.readerIndex();
        int length = frame.readableBytes();
        SegmentCursor segments;
        try {
            MemorySegment memory = MemorySegment.ofBuffer(frame.nioBuffer(at, length));
            segments = segmenter(header, v4).gather(memory, 0, length);
        } catch (GeneveFormatException | MtuExceededException notTcp) {
            // not a TCP segment (UDP, ICMP, ...): sent whole, for the kernel to fragment as it would
            out.add(GeneveEncoder.datagram(ctx.alloc(), header, frame, recipient, envelope.sender()));
            return;
        }
        boolean gso = ctx.channel() instanceof EpollDatagramChannel
                && EpollDatagramChannel.isSegmentedDatagramPacketSupported();
        write(ctx.alloc(), segments, frame, at, recipient, envelope.sender(), gso, out);
    }

    private static void write(ByteBufAllocator alloc, SegmentCursor segments, ByteBuf frame, int at,
            InetSocketAddress recipient, InetSocketAddress sender, boolean gso, List<Object> out) {
        int count = segments.count();
        ByteBuf headers = null;
        CompositeByteBuf batch = null;
        int inBatch = 0;
        int segmentSize = 0;
        int perBatch = 1;
        try {
            while (segments.next()) {
                ByteBuffer head = segments.datagramBuffers()[0];
                int headLength = head.remaining();
                if (headers == null) {
                    headers = alloc.directBuffer(count * headLength);
                }
                int headAt = headers.writerIndex();
                headers.writeBytes(head);
                ByteBuf datagramHead = headers.retainedSlice(headAt, headLength);
                ByteBuf payload = frame.retainedSlice(at + (int) segments.payloadOffset(), segments.payloadLength());
                int size = headLength + segments.payloadLength();
                if (!gso) {
                    out.add(new DatagramPacket(alloc.compositeDirectBuffer(2).addComponents(true, datagramHead, payload),
                            recipient, sender));
                    continue;
                }
                if (batch == null) {
                    batch = alloc.compositeDirectBuffer(2 * MAX_SEGMENTS);
                    if (segmentSize == 0) {
                        segmentSize = size; // every segment but the last has the first one's size
                        perBatch = Math.max(1, Math.min(MAX_SEGMENTS, MAX_GSO_BYTES / segmentSize));
                    }
                }
                batch.addComponents(true, datagramHead, payload);
                inBatch++;
                if (inBatch == perBatch || size < segmentSize || segments.index() == count - 1) {
                    out.add(inBatch == 1 ? new DatagramPacket(batch, recipient, sender)
                            : new SegmentedDatagramPacket(batch, segmentSize, recipient, sender));
                    batch = null;
                    inBatch = 0;
                }
            }
        } finally {
            if (batch != null) {
                batch.release(); // only when a step above threw
            }
            if (headers != null) {
                headers.release(); // the slices keep what they use
            }
        }
    }

    /** The segmenter for {@code header} over an outer IPv4 or IPv6 path, made again only when they change. */
    private TcpSegmenter segmenter(GeneveHeader header, boolean v4) {
        if (segmenter == null || v4 != segmenterV4 || !header.equals(segmenterHeader)) {
            // only the Geneve header onwards is sent (the socket adds the outer IP and UDP headers), so
            // the outer addresses just set the IP version, and the UDP checksum is not computed
            GeneveTunnel tunnel = GeneveTunnel.builder()
                    .macs(0, 0)
                    .addresses(any(v4), any(v4))
                    .udpChecksum(false)
                    .header(header)
                    .build();
            segmenter = new TcpSegmenter(tunnel, 0xFFFF, mtu);
            segmenterHeader = header;
            segmenterV4 = v4;
        }
        return segmenter;
    }

    private static InetAddress any(boolean v4) {
        try {
            return v4 ? Inet4Address.getByAddress(new byte[4]) : Inet6Address.getByAddress(new byte[16]);
        } catch (java.net.UnknownHostException impossible) {
            throw new AssertionError(impossible);
        }
    }
}
