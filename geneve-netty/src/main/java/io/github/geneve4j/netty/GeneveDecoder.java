package io.github.geneve4j.netty;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveFormatException.Reason;
import io.github.geneve4j.codec.GeneveView;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.MessageToMessageDecoder;
import io.netty.util.concurrent.FastThreadLocal;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * Decodes each UDP {@link DatagramPacket} into a {@link GenevePacket}: the header checked once by
 * the codec's {@link GeneveView} (RFC 8926 §3.4: version 0, Opt Len within the datagram, options
 * filling it exactly), the datagram's buffer retained and handed on, never copied when it is one NIO
 * buffer (direct or heap; a composite buffer is copied once into a direct one).
 *
 * <pre>{@code
 * GeneveDecoder decoder = new GeneveDecoder();                  // one for every channel: @Sharable
 * bootstrap.handler(new ChannelInitializer<DatagramChannel>() {
 *     protected void initChannel(DatagramChannel ch) {
 *         ch.pipeline().addLast(decoder, new GeneveEncoder(), new MyHandler());
 *     }
 * });
 * }</pre>
 *
 * <p>Malformed datagrams: with {@link Malformed#DROP} (the default) released and counted by
 * {@link Reason} ({@link #drops(Reason)}), nothing allocated; with {@link Malformed#FAIL} also
 * counted, then a {@link DecoderException} whose cause is the codec's {@link GeneveFormatException}
 * (its {@code reason()} and {@code offset()} from the first byte of the Geneve header) goes down the
 * pipeline to {@code exceptionCaught}.
 *
 * <p>Allocation per datagram: none of this decoder's own (the packet comes from Netty's
 * {@code Recycler}; the header is read through a per-thread view over the buffer's internal NIO
 * buffer). Netty's own per message: the {@link DatagramPacket}, its buffer and its sender address,
 * made by the transport before the decoder runs, and {@code MessageToMessageDecoder}'s output list,
 * which is recycled.
 */
@Sharable
public final class GeneveDecoder extends MessageToMessageDecoder<DatagramPacket> {

    /** What becomes of a datagram that is not a valid Geneve packet. */
    public enum Malformed {
        /** Released and counted, and the pipeline goes on with the next datagram. */
        DROP,
        /** Counted, then a {@link DecoderException} (cause: {@link GeneveFormatException}). */
        FAIL
    }

    private static final FastThreadLocal<GeneveView> VIEWS = new FastThreadLocal<>() {
        @Override
        protected GeneveView initialValue() {
            return new GeneveView();
        }
    };

    private final Malformed malformed;
    private final LongAdder[] drops = new LongAdder[Reason.values().length];

    /** A decoder that drops and counts malformed datagrams. */
    public GeneveDecoder() {
        this(Malformed.DROP);
    }

    /** A decoder that treats malformed datagrams as {@code malformed} says. */
    public GeneveDecoder(Malformed malformed) {
        super(DatagramPacket.class);
        if (malformed == null) {
            throw new IllegalArgumentException("found malformed null (expected: DROP or FAIL)");
        }
        this.malformed = malformed;
        for (int i = 0; i < drops.length; i++) {
            drops[i] = new LongAdder();
        }
    }

    /** What this decoder does with malformed datagrams. */
    public Malformed malformed() {
        return malformed;
    }

    /** The malformed datagrams seen for {@code reason}, on every channel this decoder serves. */
    public long drops(Reason reason) {
        return drops[reason.ordinal()].sum();
    }

    /** All malformed datagrams seen. */
    public long drops() {
        long sum = 0;
        for (LongAdder d : drops) {
            sum += d.sum();
        }
        return sum;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, DatagramPacket datagram, List<Object> out) {
        ByteBuf content = datagram.content();
        int length = content.readableBytes();
        ByteBuf own;
        if (content.nioBufferCount() == 1) {
            own = content.retain();
        } else {
            // a composite (from a user's pipeline; Netty's transports read into one buffer): one copy
            own = ctx.alloc().directBuffer(length).writeBytes(content, content.readerIndex(), length);
        }
        GeneveView view = VIEWS.get();
        ByteBuffer nio = own.internalNioBuffer(own.readerIndex(), length);
        if (!view.tryWrap(nio, nio.position())) {
            own.release();
            drops[view.errorReason().ordinal()].increment();
            if (malformed == Malformed.FAIL) {
                throw new DecoderException(new GeneveFormatException(view.errorReason(), view.errorOffset(),
                        view.errorMessage()));
            }
            return;
        }
        out.add(GenevePacket.of(own, view, datagram.sender(), datagram.recipient()));
    }

    @Override
    public String toString() {
        return "GeneveDecoder(" + malformed + ", " + drops() + " dropped)";
    }
}
