package io.github.geneve4j.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.tso.TcpSegmenter;
import io.github.geneve4j.codec.tunnel.GeneveTunnel;
import io.github.geneve4j.testing.TestFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.SegmentedDatagramPacket;
import io.netty.handler.codec.DecoderException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The handlers over Netty's real epoll datagram channels on loopback, against the codec's own bytes. */
@Timeout(60)
@ExtendWith(LeakCheck.class)
class EpollCodecTest {

    static final GeneveHeader HEADER = GeneveHeader.of(ProtocolType.ETHERNET, 5000,
            new GeneveOption(0x0108, 0x03, new byte[] {1, 2, 3, 4, 5, 6, 7, 8}),
            new GeneveOption(0xFFFF, 0x80, new byte[] {(byte) 0xa1, (byte) 0xb2, (byte) 0xc3, (byte) 0xd4}));

    static EventLoopGroup group;

    @BeforeAll
    static void start() {
        group = Epoll.group();
    }

    @AfterAll
    static void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    record Seen(int vni, GeneveHeader header, byte[] frame, InetSocketAddress sender, boolean direct) {
    }

    static final class Capture extends SimpleChannelInboundHandler<GenevePacket> {
        final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
        final BlockingQueue<Throwable> errors = new LinkedBlockingQueue<>();

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, GenevePacket p) {
            seen.add(new Seen(p.vni(), p.header(), bytes(p.frame()), p.sender(), p.content().isDirect()));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            errors.add(cause);
        }
    }

    static byte[] bytes(ByteBuf b) {
        byte[] bytes = new byte[b.readableBytes()];
        b.getBytes(b.readerIndex(), bytes);
        return bytes;
    }

    static ByteBuffer datagram(GeneveHeader header, byte[] frame) {
        byte[] h = header.toBytes();
        return ByteBuffer.allocate(h.length + frame.length).put(h).put(frame).flip();
    }

    @Test
    void decodesWhatTheCodecEncodes() throws Exception {
        GeneveDecoder decoder = new GeneveDecoder();
        Capture capture = new Capture();
        Channel server = Epoll.channel(group, "127.0.0.1", false, decoder, capture);
        try (DatagramChannel client = Epoll.socket("127.0.0.2")) {
            for (int length : new int[] {14, 60, 1400, 8000}) {
                byte[] frame = TestFrames.payload(length, length);
                client.send(datagram(HEADER, frame), server.localAddress());
                Seen seen = capture.seen.poll(5, TimeUnit.SECONDS);
                assertThat(seen).isNotNull();
                assertThat(seen.vni()).isEqualTo(5000);
                assertThat(seen.header()).isEqualTo(HEADER);
                assertThat(seen.frame()).isEqualTo(frame);
                assertThat(seen.sender()).isEqualTo(client.getLocalAddress());
                assertThat(seen.direct()).as("the datagram's own direct buffer").isTrue();
            }
            assertThat(decoder.drops()).isZero();
        } finally {
            server.close().syncUninterruptibly();
        }
    }

    @Test
    void encodesWhatTheCodecDecodesWithAndWithoutHeadroom() throws Exception {
        Channel client = Epoll.channel(group, "127.0.0.2", false, new GeneveEncoder());
        try (DatagramChannel server = Epoll.socket("127.0.0.1")) {
            InetSocketAddress to = (InetSocketAddress) server.getLocalAddress();
            byte[] frame = TestFrames.payload(1000, 7);
            int h = HEADER.encodedLength();
            ByteBuf roomy = client.alloc().directBuffer(64 + frame.length).writeZero(64).writeBytes(frame).skipBytes(64);
            ByteBuf tight = client.alloc().directBuffer(frame.length).writeBytes(frame);
            ByteBuf heap = Unpooled.wrappedBuffer(frame.clone());
            for (ByteBuf b : List.of(roomy, tight, heap)) {
                client.writeAndFlush(new GeneveEnvelope(HEADER, b, to)).syncUninterruptibly();
                byte[] got = Epoll.receive(server);
                assertThat(got).isNotNull().hasSize(h + frame.length);
                assertThat(GeneveHeader.decode(got)).isEqualTo(HEADER);
                assertThat(Arrays.copyOfRange(got, h, got.length)).isEqualTo(frame);
            }
            assertThat(roomy.refCnt()).as("released once sent").isZero();
            assertThat(tight.refCnt()).isZero();
            assertThat(heap.refCnt()).isZero();
        } finally {
            client.close().syncUninterruptibly();
        }
    }

    @Test
    void dropsMalformedDatagramsByReasonAndGoesOn() throws Exception {
        GeneveDecoder decoder = new GeneveDecoder();
        Capture capture = new Capture();
        Channel server = Epoll.channel(group, "127.0.0.1", false, decoder, capture);
        try (DatagramChannel client = Epoll.socket("127.0.0.2")) {
            byte[] good = HEADER.toBytes();
            byte[] badVersion = good.clone();
            badVersion[0] |= 0x40;
            byte[] overrun = good.clone();
            overrun[0] = (byte) ((overrun[0] & 0xC0) | 63); // Opt Len 63 words: past the datagram's end
            client.send(ByteBuffer.wrap(new byte[5]), server.localAddress());
            client.send(ByteBuffer.wrap(badVersion), server.localAddress());
            client.send(ByteBuffer.wrap(overrun), server.localAddress());
            client.send(datagram(HEADER, new byte[60]), server.localAddress());
            assertThat(capture.seen.poll(5, TimeUnit.SECONDS)).isNotNull(); // after the three, in order
            assertThat(decoder.drops(GeneveFormatException.Reason.TRUNCATED)).isEqualTo(2);
            assertThat(decoder.drops(GeneveFormatException.Reason.UNSUPPORTED_VERSION)).isEqualTo(1);
            assertThat(decoder.drops()).isEqualTo(3);
            assertThat(capture.errors).isEmpty();
        } finally {
            server.close().syncUninterruptibly();
        }
    }

    @Test
    void failsMalformedDatagramsWithTheReasonAndOffsetWhenAsked() throws Exception {
        GeneveDecoder decoder = new GeneveDecoder(GeneveDecoder.Malformed.FAIL);
        Capture capture = new Capture();
        Channel server = Epoll.channel(group, "127.0.0.1", false, decoder, capture);
        try (DatagramChannel client = Epoll.socket("127.0.0.2")) {
            byte[] bad = HEADER.toBytes();
            bad[8 + 4 + 8] = (byte) 0x1F; // second option's length: 31 words, past Opt Len
            bad[8 + 4 + 8 + 3] = (byte) 0x1F;
            client.send(ByteBuffer.wrap(bad), server.localAddress());
            Throwable error = capture.errors.poll(5, TimeUnit.SECONDS);
            assertThat(error).isInstanceOf(DecoderException.class).hasCauseInstanceOf(GeneveFormatException.class);
            GeneveFormatException cause = (GeneveFormatException) error.getCause();
            assertThat(cause.reason()).isEqualTo(GeneveFormatException.Reason.OPTION_OVERRUN);
            assertThat(cause.offset()).isEqualTo(20);
            assertThat(decoder.drops(GeneveFormatException.Reason.OPTION_OVERRUN)).isEqualTo(1);
            client.send(datagram(HEADER, new byte[60]), server.localAddress());
            assertThat(capture.seen.poll(5, TimeUnit.SECONDS)).as("the channel goes on").isNotNull();
        } finally {
            server.close().syncUninterruptibly();
        }
    }

    /** Records what is written below the encoder: the messages the channel itself is given. */
    static final class Written extends ChannelOutboundHandlerAdapter {
        final List<Object> kinds = Collections.synchronizedList(new ArrayList<>());

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            kinds.add(msg.getClass());
            ctx.write(msg, promise);
        }
    }

    static final GeneveHeader PLAIN = GeneveHeader.of(ProtocolType.ETHERNET, 5000);

    /** A TCP super-frame of {@code payload} bytes, and the datagrams (UDP payloads) a TSO NIC would send for it. */
    static byte[] superFrame(int payload) {
        return TestFrames.tcp(IpVersion.IPV4, false, 12, TestFrames.payload(payload, 3), 0x18, 1_000_000, 77);
    }

    static List<byte[]> expectedDatagrams(GeneveHeader header, byte[] frame, int mtu) throws Exception {
        GeneveTunnel tunnel = GeneveTunnel.builder().macs(0, 0)
                .addresses(java.net.InetAddress.getByName("0.0.0.0"), java.net.InetAddress.getByName("0.0.0.0"))
                .udpChecksum(false).header(header).build();
        int outer = tunnel.overhead() - header.encodedLength();
        List<byte[]> out = new ArrayList<>();
        new TcpSegmenter(tunnel, 0xFFFF, mtu).segment(MemorySegment.ofArray(frame), 0, frame.length,
                (buffer, offset, length) -> out.add(buffer.asSlice(offset + outer, length - outer)
                        .toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)));
        return out;
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(ints = {20_000, 60_000, 65_000})
    void aSuperFrameLeavesAsSegmentedDatagramsThatTheKernelCutsApart(int payload) throws Exception {
        assertThat(EpollDatagramChannel.isSegmentedDatagramPacketSupported()).as("UDP_SEGMENT on this kernel").isTrue();
        Written written = new Written();
        Channel client = Epoll.channel(group, "127.0.0.2", false, written, new GeneveSegmentationEncoder(1500));
        try (DatagramChannel server = Epoll.socket("127.0.0.1")) {
            server.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 1 << 20);
            byte[] frame = superFrame(payload);
            List<byte[]> expected = expectedDatagrams(HEADER, frame, 1500);
            assertThat(expected).hasSizeGreaterThan(payload / 1500);
            ByteBuf buf = client.alloc().directBuffer(frame.length).writeBytes(frame);
            client.writeAndFlush(new GeneveEnvelope(HEADER, buf, (InetSocketAddress) server.getLocalAddress()))
                    .syncUninterruptibly();
            List<byte[]> got = new ArrayList<>();
            for (int i = 0; i < expected.size(); i++) {
                byte[] d = Epoll.receive(server);
                assertThat(d).as("datagram %d", i).isNotNull();
                got.add(d);
            }
            assertThat(got).usingElementComparator(Arrays::compare).containsExactlyElementsOf(expected);
            assertThat(got.getFirst().length + 28).as("each an IP packet within the MTU").isLessThanOrEqualTo(1500);
            // one UDP_SEGMENT send per 64 datagrams or 65,000 bytes
            int perSend = Math.min(64, 65_000 / expected.getFirst().length);
            assertThat(written.kinds).hasSize((expected.size() + perSend - 1) / perSend)
                    .containsOnly(SegmentedDatagramPacket.class);
            assertThat(buf.refCnt()).isZero();
        } finally {
            client.close().syncUninterruptibly();
        }
    }

    @Test
    void withoutUdpSegmentEachSegmentIsADatagramOfItsOwn() throws Exception {
        Written written = new Written();
        // a NIO channel has no UDP_SEGMENT: the encoder must fall back
        io.netty.channel.EventLoopGroup nio = new io.netty.channel.MultiThreadIoEventLoopGroup(1,
                io.netty.channel.nio.NioIoHandler.newFactory());
        Channel plain = new io.netty.bootstrap.Bootstrap().group(nio)
                .channel(io.netty.channel.socket.nio.NioDatagramChannel.class)
                .handler(new io.netty.channel.ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(written, new GeneveSegmentationEncoder(1500));
                    }
                }).bind(Epoll.address("127.0.0.2", 0)).syncUninterruptibly().channel();
        try (DatagramChannel server = Epoll.socket("127.0.0.1")) {
            server.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 1 << 20);
            byte[] frame = superFrame(20_000);
            List<byte[]> expected = expectedDatagrams(PLAIN, frame, 1500);
            plain.writeAndFlush(new GeneveEnvelope(PLAIN, Unpooled.wrappedBuffer(frame),
                    (InetSocketAddress) server.getLocalAddress())).syncUninterruptibly();
            List<byte[]> got = new ArrayList<>();
            for (int i = 0; i < expected.size(); i++) {
                got.add(Epoll.receive(server));
            }
            assertThat(got).usingElementComparator(Arrays::compare).containsExactlyElementsOf(expected);
            assertThat(written.kinds).hasSize(expected.size()).containsOnly(DatagramPacket.class);
        } finally {
            plain.close().syncUninterruptibly();
            nio.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void aGroReceiveComesAsSlicesOfOneBufferAndDecodesDatagramByDatagram() throws Exception {
        // where each datagram lies in native memory: the slices of one GRO batch lie back to back
        List<long[]> places = Collections.synchronizedList(new ArrayList<>());
        List<GeneveHeader> decoded = Collections.synchronizedList(new ArrayList<>());
        Channel server = Epoll.channel(group, "127.0.0.1", true, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf content = ((DatagramPacket) msg).content();
                places.add(new long[] {MemorySegment.ofBuffer(content.nioBuffer()).address(), content.readableBytes()});
                ctx.fireChannelRead(msg);
            }
        }, new GeneveDecoder(), new SimpleChannelInboundHandler<GenevePacket>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, GenevePacket p) {
                decoded.add(p.header());
            }
        });
        Channel client = Epoll.channel(group, "127.0.0.2", false, new GeneveSegmentationEncoder(1500));
        try {
            byte[] frame = superFrame(30_000);
            int count = expectedDatagrams(PLAIN, frame, 1500).size();
            ByteBuf buf = client.alloc().directBuffer(frame.length).writeBytes(frame);
            client.writeAndFlush(new GeneveEnvelope(PLAIN, buf, (InetSocketAddress) server.localAddress()))
                    .syncUninterruptibly();
            assertThat(Epoll.await(() -> decoded.size() == count)).as(decoded.size() + " of " + count).isTrue();
            assertThat(decoded).containsOnly(PLAIN);
            int batches = 1;
            for (int i = 1; i < places.size(); i++) {
                if (places.get(i)[0] != places.get(i - 1)[0] + places.get(i - 1)[1]) {
                    batches++;
                }
            }
            assertThat(batches).as("receives for %d datagrams: GRO batched them", count).isLessThan(count / 4);
        } finally {
            client.close().syncUninterruptibly();
            server.close().syncUninterruptibly();
        }
    }
}
