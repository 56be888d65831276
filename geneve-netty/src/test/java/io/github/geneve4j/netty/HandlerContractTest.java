package io.github.geneve4j.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.options.OptionRegistry;
import io.github.geneve4j.options.ReceivePolicy;
import io.github.geneve4j.options.Verdict;
import io.github.geneve4j.testing.TestFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.EncoderException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The handlers' contracts in an {@link EmbeddedChannel} (no I/O): which are sharable, what each
 * emits, and that every path, the drop and failure paths included, releases what it took.
 */
@ExtendWith(LeakCheck.class)
class HandlerContractTest {

    static final InetSocketAddress PEER = Epoll.address("192.0.2.1", 6081);
    static final InetSocketAddress LOCAL = Epoll.address("192.0.2.2", 6081);
    static final GeneveHeader HEADER = GeneveHeader.of(ProtocolType.ETHERNET, 77,
            new GeneveOption(0xFFFF, 0x01, new byte[8])); // unknown, not critical: kept

    static ByteBuf direct(byte[] bytes) {
        return PooledByteBufAllocator.DEFAULT.directBuffer(bytes.length).writeBytes(bytes);
    }

    static byte[] packet(GeneveHeader header, int frameLength) {
        byte[] h = header.toBytes();
        byte[] p = new byte[h.length + frameLength];
        System.arraycopy(h, 0, p, 0, h.length);
        System.arraycopy(TestFrames.payload(frameLength, 1), 0, p, h.length, frameLength);
        return p;
    }

    @Test
    void sharableAreTheStatelessHandlersOnly() {
        assertThat(new GeneveDecoder().isSharable()).isTrue();
        assertThat(new GeneveEncoder().isSharable()).isTrue();
        assertThat(new GenevePolicyHandler(ReceivePolicy.lenient(OptionRegistry.defaults())).isSharable()).isTrue();
        assertThat(new GeneveSegmentationEncoder(1500).isSharable()).as("it keeps a segmenter").isFalse();
    }

    @Test
    void decodesInPlaceWithoutCopyingADirectBuffer() {
        GeneveDecoder decoder = new GeneveDecoder();
        EmbeddedChannel a = new EmbeddedChannel(decoder);
        EmbeddedChannel b = new EmbeddedChannel(decoder); // one instance on two channels
        ByteBuf content = direct(packet(HEADER, 60));
        assertThat(a.writeInbound(new DatagramPacket(content, LOCAL, PEER))).isTrue();
        GenevePacket p = a.readInbound();
        assertThat(p.content()).as("the datagram's own buffer").isSameAs(content);
        assertThat(content.refCnt()).as("the decoder's reference, handed on").isEqualTo(1);
        assertThat(p.sender()).isEqualTo(PEER);
        assertThat(p.recipient()).isEqualTo(LOCAL);
        assertThat(p.vni()).isEqualTo(77);
        assertThat(p.headerLength()).isEqualTo(HEADER.encodedLength());
        assertThat(p.optionsLength()).isEqualTo(12);
        assertThat(p.optionCount()).isEqualTo(HEADER.options().size());
        assertThat(p.protocolType()).isEqualTo(ProtocolType.ETHERNET);
        assertThat(p.critical()).isFalse();
        assertThat(p.oam()).isFalse();
        assertThat(p.header()).isEqualTo(HEADER);
        assertThat(p.view().optionCount()).isEqualTo(1);
        assertThat(p.frame().readableBytes()).isEqualTo(60);
        assertThat(p.frame().getByte(0)).isEqualTo(content.getByte(HEADER.encodedLength()));
        ByteBuf kept = p.content().retain();                // keep the bytes beyond the packet
        assertThat(p.retain().refCnt()).as("the packet counts its own references").isEqualTo(2);
        assertThat(p.release()).isFalse();
        assertThat(p.release()).isTrue();
        assertThat(kept.refCnt()).as("the packet's reference given back; ours stays").isEqualTo(1);
        assertThat(kept.release()).isTrue();
        assertThat(content.refCnt()).isZero();
        assertThat(b.writeInbound(new DatagramPacket(direct(packet(HEADER, 0)), LOCAL, PEER))).isTrue();
        GenevePacket q = b.readInbound();
        assertThat(q.frame().readableBytes()).isZero();
        q.release();
        assertThat(a.finish()).isFalse();
        assertThat(b.finish()).isFalse();
    }

    @Test
    void copiesACompositeOnceAndReleasesIt() {
        EmbeddedChannel ch = new EmbeddedChannel(new GeneveDecoder());
        byte[] bytes = packet(HEADER, 100);
        CompositeByteBuf composite = Unpooled.compositeBuffer().addComponents(true,
                Unpooled.wrappedBuffer(bytes, 0, 10), Unpooled.wrappedBuffer(bytes, 10, bytes.length - 10));
        ch.writeInbound(new DatagramPacket(composite, LOCAL, PEER));
        GenevePacket p = ch.readInbound();
        assertThat(composite.refCnt()).as("the composite released after the copy").isZero();
        assertThat(p.content().nioBufferCount()).isEqualTo(1);
        assertThat(p.header()).isEqualTo(HEADER);
        p.release();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void aDroppedDatagramIsReleasedAndCounted() {
        GeneveDecoder decoder = new GeneveDecoder();
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        ByteBuf bad = direct(new byte[] {(byte) 0x40, 0, 0x65, 0x58, 0, 0, 0, 0}); // version 1
        assertThat(ch.writeInbound(new DatagramPacket(bad, LOCAL, PEER))).isFalse();
        assertThat(bad.refCnt()).isZero();
        assertThat(decoder.drops(GeneveFormatException.Reason.UNSUPPORTED_VERSION)).isEqualTo(1);
        assertThat(decoder.malformed()).isEqualTo(GeneveDecoder.Malformed.DROP);
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void aFailedDatagramIsReleasedAndCarriesTheReasonAndOffset() {
        GeneveDecoder decoder = new GeneveDecoder(GeneveDecoder.Malformed.FAIL);
        EmbeddedChannel ch = new EmbeddedChannel(decoder);
        byte[] cut = packet(HEADER, 0);
        ByteBuf bad = direct(java.util.Arrays.copyOf(cut, 14)); // Opt Len says 12 bytes of options, 6 there
        assertThatThrownBy(() -> ch.writeInbound(new DatagramPacket(bad, LOCAL, PEER)))
                .isInstanceOf(DecoderException.class)
                .cause().isInstanceOf(GeneveFormatException.class)
                .hasMessageStartingWith("TRUNCATED at offset");
        assertThat(bad.refCnt()).isZero();
        assertThat(decoder.drops()).isEqualTo(1);
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void thePolicyDropsAndReleasesAnUnknownCriticalOptionAndPassesTheRest() {
        GenevePolicyHandler policy = new GenevePolicyHandler(ReceivePolicy.strict(OptionRegistry.defaults()));
        EmbeddedChannel ch = new EmbeddedChannel(new GeneveDecoder(), policy);
        ByteBuf unknown = direct(packet(GeneveHeader.of(ProtocolType.ETHERNET, 1,
                new GeneveOption(0xFFFF, 0x80, new byte[4])), 60));
        ch.writeInbound(new DatagramPacket(unknown, LOCAL, PEER));
        assertThat((Object) ch.readInbound()).isNull();
        assertThat(unknown.refCnt()).isZero();
        assertThat(policy.count(Verdict.Kind.DROP_UNKNOWN_CRITICAL)).isEqualTo(1);
        ch.writeInbound(new DatagramPacket(direct(packet(HEADER, 60)), LOCAL, PEER));
        ch.writeInbound(new DatagramPacket(direct(packet(HEADER.withOam(true), 0)), LOCAL, PEER));
        ch.writeInbound("not a packet");
        GenevePacket accepted = ch.readInbound();
        GenevePacket control = ch.readInbound();
        assertThat(accepted.oam()).isFalse();
        assertThat(control.oam()).as("control packets go on, for a handler that answers them").isTrue();
        assertThat((Object) ch.readInbound()).isEqualTo("not a packet");
        assertThat(policy.count(Verdict.Kind.ACCEPT)).isEqualTo(1);
        assertThat(policy.count(Verdict.Kind.CONTROL)).isEqualTo(1);
        ch.writeInbound(new DatagramPacket(direct(packet(GeneveHeader.of(ProtocolType.ETHERNET, 1,
                new GeneveOption(0x0108, 0x03, new byte[12])), 0)), LOCAL, PEER)); // GWLB flow cookie: 4 bytes
        assertThat((Object) ch.readInbound()).isNull();
        assertThat(policy.count(Verdict.Kind.DROP_BAD_LENGTH)).isEqualTo(1);
        accepted.release();
        control.release();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void theEncoderWritesInTheHeadroomOrComposesAndReleasesTheEnvelope() {
        EmbeddedChannel ch = new EmbeddedChannel(new GeneveEncoder());
        int h = HEADER.encodedLength();
        ByteBuf roomy = PooledByteBufAllocator.DEFAULT.directBuffer(h + 50).writeZero(h).writeBytes(new byte[50])
                .skipBytes(h);
        ByteBuf tight = direct(new byte[50]);
        ByteBuf readOnly = direct(new byte[h + 50]).skipBytes(h).asReadOnly();
        for (ByteBuf frame : List.of(roomy, tight, readOnly)) {
            assertThat(ch.writeOutbound(new GeneveEnvelope(HEADER, frame, PEER))).isTrue();
            DatagramPacket d = ch.readOutbound();
            assertThat(d.recipient()).isEqualTo(PEER);
            ByteBuf c = d.content();
            if (frame == roomy) {
                assertThat(c).as("in place").isSameAs(roomy);
            } else {
                assertThat(c).isInstanceOf(CompositeByteBuf.class);
            }
            byte[] bytes = new byte[c.readableBytes()];
            c.getBytes(c.readerIndex(), bytes);
            assertThat(GeneveHeader.decode(bytes)).isEqualTo(HEADER);
            assertThat(bytes).hasSize(h + 50);
            d.release();
            assertThat(frame.refCnt()).isZero();
        }
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void theSegmentationEncoderReleasesTheFrameOnceItsSegmentsAre() {
        EmbeddedChannel ch = new EmbeddedChannel(new GeneveSegmentationEncoder(1500));
        byte[] superFrame = EpollCodecTest.superFrame(10_000);
        ByteBuf frame = direct(superFrame);
        ch.writeOutbound(new GeneveEnvelope(HEADER, frame, PEER));
        List<DatagramPacket> out = new ArrayList<>();
        for (DatagramPacket d; (d = ch.readOutbound()) != null; ) {
            out.add(d);
        }
        assertThat(out).as("no UDP_SEGMENT on an embedded channel: a datagram per segment").hasSizeGreaterThan(6);
        assertThat(frame.refCnt()).as("held by the segments' slices").isPositive();
        out.forEach(DatagramPacket::release);
        assertThat(frame.refCnt()).isZero();
        // a small frame, and a large one that is not TCP: one datagram each, released when sent
        ByteBuf small = direct(new byte[100]);
        ByteBuf notTcp = direct(new byte[3000]);
        ch.writeOutbound(new GeneveEnvelope(HEADER, small, PEER), new GeneveEnvelope(HEADER, notTcp, PEER));
        DatagramPacket one = ch.readOutbound();
        DatagramPacket two = ch.readOutbound();
        assertThat(one.content().readableBytes()).isEqualTo(HEADER.encodedLength() + 100);
        assertThat(two.content().readableBytes()).isEqualTo(HEADER.encodedLength() + 3000);
        one.release();
        two.release();
        assertThat(small.refCnt()).isZero();
        assertThat(notTcp.refCnt()).isZero();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void anEnvelopeValidatesAndCountsAsItsFrame() {
        ByteBuf frame = direct(new byte[10]);
        assertThatThrownBy(() -> new GeneveEnvelope(null, frame, PEER)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GeneveEnvelope(HEADER, null, PEER)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GeneveEnvelope(HEADER, frame, InetSocketAddress.createUnresolved("x", 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected: a resolved");
        GeneveEnvelope e = new GeneveEnvelope(HEADER, frame, PEER, LOCAL);
        assertThat(e.sender()).isEqualTo(LOCAL);
        GeneveEnvelope d = e.retainedDuplicate();
        assertThat(frame.refCnt()).isEqualTo(2);
        assertThat(d.header()).isSameAs(HEADER);
        d.release();
        assertThat(e.release()).isTrue();
        assertThat(frame.refCnt()).isZero();
    }

    @Test
    void theSegmentationEncoderRejectsAnMtuOutOfRange() {
        assertThatThrownBy(() -> new GeneveSegmentationEncoder(575)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("found MTU 575 (expected: 576..65535)");
        assertThat(new GeneveSegmentationEncoder(9000).mtu()).isEqualTo(9000);
        assertThat(EncoderException.class).isNotNull();
    }
}
