package io.github.geneve4j.netty;

import io.github.geneve4j.codec.GeneveHeader;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.MessageToMessageEncoder;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Encodes each {@link GeneveEnvelope} into a UDP {@link DatagramPacket}: the Geneve header, then the
 * inner frame, to the envelope's recipient.
 *
 * <p>No copy of the frame: where it has room in front of its reader index (at least the header's
 * length, in a writable buffer of one NIO buffer, say a received packet whose old header is skipped),
 * the header is written there in place and the datagram is the frame's own buffer; otherwise the
 * header goes into a small pooled buffer and the datagram is a composite of the two. The bytes
 * before the reader index are the encoder's to overwrite: pass a frame whose headroom nobody else
 * reads.
 *
 * <p>Per packet: the {@link DatagramPacket} (Netty's) and, without headroom, the header buffer and the
 * composite. Stateless and {@code @Sharable}. For frames larger than the MTU, use
 * {@link GeneveSegmentationEncoder}.
 */
@Sharable
public final class GeneveEncoder extends MessageToMessageEncoder<GeneveEnvelope> {

    /** An encoder; one instance may serve every channel. */
    public GeneveEncoder() {
        super(GeneveEnvelope.class);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, GeneveEnvelope envelope, List<Object> out) {
        out.add(datagram(ctx.alloc(), envelope.header(), envelope.content(), envelope.recipient(), envelope.sender()));
    }

    /** The datagram of {@code header} and {@code frame} (retained, not copied). */
    static DatagramPacket datagram(ByteBufAllocator alloc, GeneveHeader header, ByteBuf frame,
            InetSocketAddress recipient, InetSocketAddress sender) {
        return new DatagramPacket(encapsulate(alloc, header, frame), recipient, sender);
    }

    static ByteBuf encapsulate(ByteBufAllocator alloc, GeneveHeader header, ByteBuf frame) {
        int length = header.encodedLength();
        int at = frame.readerIndex() - length;
        if (at >= 0 && !frame.isReadOnly() && frame.nioBufferCount() == 1) {
            ByteBuffer nio = frame.internalNioBuffer(at, length);
            header.encode(nio, nio.position());
            return frame.retain().readerIndex(at);
        }
        ByteBuf head = alloc.directBuffer(length, length);
        ByteBuffer nio = head.internalNioBuffer(0, length);
        header.encode(nio, nio.position());
        head.writerIndex(length);
        return alloc.compositeDirectBuffer(2).addComponents(true, head, frame.retain());
    }
}
