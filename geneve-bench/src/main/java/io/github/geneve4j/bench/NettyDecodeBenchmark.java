package io.github.geneve4j.bench;

import io.github.geneve4j.codec.GeneveView;
import io.github.geneve4j.netty.GeneveDecoder;
import io.github.geneve4j.netty.GenevePacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.MessageToMessageDecoder;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decoding a received datagram into a message in a Netty pipeline: {@code GeneveDecoder} (the
 * datagram's buffer retained, a recycled {@code GenevePacket}, the header read in place) beside a
 * decoder that copies each datagram into a {@code byte[]} and a message of its own (what one would
 * write without the library), and the bare view over the same bytes.
 *
 * <p>The {@link DatagramPacket} is made once and fed again and again (retained before each pass,
 * released by the decoder), so {@code gc.alloc.rate.norm} shows what decoding adds per datagram
 * beyond the objects Netty's transport makes for each read: the {@code DatagramPacket}, its buffer
 * (pooled) and the sender's {@code InetSocketAddress}. The benchmark threads are Netty's
 * {@code FastThreadLocalThread}s ({@link NettyThreads}), as a decoder's event loop threads are.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Djmh.executor=CUSTOM",
        "-Djmh.executor.class=io.github.geneve4j.bench.NettyThreads"}) // decoders run on Netty's threads
public class NettyDecodeBenchmark {

    @Param({"BASE", "GWLB"})
    public Packets.Layout layout;

    @Param({"DIRECT", "HEAP"})
    public String buffer;

    private DatagramPacket datagram;
    private EmbeddedChannel geneve;
    private EmbeddedChannel copying;
    private ChannelPipeline genevePipeline;
    private ChannelPipeline copyingPipeline;
    private final GeneveView view = new GeneveView();
    private final Sink sink = new Sink();
    private final Sink copySink = new Sink();

    /** The end of the pipeline: reads the VNI and releases, like an application's handler. */
    static final class Sink extends ChannelInboundHandlerAdapter {
        long sum;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof GenevePacket p) {
                sum += p.vni() + p.content().readableBytes() - p.headerLength();
            } else if (msg instanceof Copied c) {
                sum += c.vni() + c.bytes().length;
            }
            ReferenceCountUtil.release(msg);
        }
    }

    /** The copying decoder's message: the datagram's bytes and the fields it read. */
    record Copied(byte[] bytes, int vni, InetSocketAddress sender) {
    }

    /** The decoder a user would write without the library: copy, then parse with relative gets. */
    static final class CopyingDecoder extends MessageToMessageDecoder<DatagramPacket> {
        @Override
        protected void decode(ChannelHandlerContext ctx, DatagramPacket msg, List<Object> out) {
            ByteBuf content = msg.content();
            byte[] bytes = new byte[content.readableBytes()];
            content.getBytes(content.readerIndex(), bytes);
            ByteBuffer b = ByteBuffer.wrap(bytes);
            int first = b.get() & 0xFF;
            if (first >>> 6 != 0 || bytes.length < 8 + (first & 0x3F) * 4) {
                return;
            }
            b.position(4);
            out.add(new Copied(bytes, b.getInt() >>> 8, msg.sender()));
        }
    }

    @Setup(Level.Trial)
    public void setUp() {
        byte[] packet = Packets.packet(layout);
        byte[] withFrame = new byte[packet.length + 1400];
        System.arraycopy(packet, 0, withFrame, 0, packet.length);
        ByteBuf content = buffer.equals("DIRECT")
                ? PooledByteBufAllocator.DEFAULT.directBuffer(withFrame.length).writeBytes(withFrame)
                : Unpooled.wrappedBuffer(withFrame);
        datagram = new DatagramPacket(content, new InetSocketAddress("192.0.2.2", 6081),
                new InetSocketAddress("192.0.2.1", 49152));
        geneve = new EmbeddedChannel(new GeneveDecoder(), sink);
        copying = new EmbeddedChannel(new CopyingDecoder(), copySink);
        genevePipeline = geneve.pipeline();
        copyingPipeline = copying.pipeline();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        geneve.finishAndReleaseAll();
        copying.finishAndReleaseAll();
        datagram.release();
    }

    /** The library's decoder: a GenevePacket over the datagram's own buffer. */
    @Benchmark
    public long geneveDecoder() {
        genevePipeline.fireChannelRead(datagram.retain());
        return sink.sum;
    }

    /** Baseline: copy the datagram into a byte[] and parse that. */
    @Benchmark
    public long copyingDecoder() {
        copyingPipeline.fireChannelRead(datagram.retain());
        return copySink.sum;
    }

    /** Baseline: the codec's view over the buffer alone, no pipeline, no message. */
    @Benchmark
    public long viewOnly() {
        ByteBuf content = datagram.content();
        ByteBuffer nio = content.internalNioBuffer(content.readerIndex(), content.readableBytes());
        return view.wrap(nio, nio.position()).vni();
    }
}
