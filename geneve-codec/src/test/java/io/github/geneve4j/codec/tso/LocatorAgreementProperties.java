package io.github.geneve4j.codec.tso;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveFormatException.Reason;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.codec.net.EtherType;
import io.github.geneve4j.codec.net.FrameLocator;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.TcpView;
import io.github.geneve4j.codec.tunnel.GeneveFrameView;
import io.github.geneve4j.codec.tunnel.GeneveTunnel;
import io.github.geneve4j.testing.Gen;
import io.github.geneve4j.testing.Property;
import io.github.geneve4j.testing.TestFrames;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * The callers of the one walk give the locator's answer on the same frames: the segmenter (an inner
 * frame to segment), the coalescer (an inner frame behind a Geneve header) and decapsulation (the
 * frame read as an outer one) refuse what the locator refuses, with its reason and its offset from
 * the frame's first byte. Frames: valid Ethernet/IPv4 or IPv6/TCP frames, tagged or not, then a few
 * header bytes overwritten (IP flags and fragment offset, next headers, lengths, EtherTypes...) and
 * the frame cut short.
 */
class LocatorAgreementProperties {

    private static final GeneveHeader HEADER = GeneveHeader.of(ProtocolType.ETHERNET, 5000);

    record Case(byte[] frame) {
        @Override
        public String toString() {
            return HexFormat.of().formatHex(frame);
        }
    }

    private static final Gen<Case> FRAMES = s -> {
        IpVersion version = s.bool() ? IpVersion.IPV6 : IpVersion.IPV4;
        boolean vlan = s.bool();
        byte[] frame = TestFrames.tcp(version, vlan, 4 * s.between(0, 3), TestFrames.payload(s.between(0, 120), 3),
                TcpView.ACK, 1000, 7);
        int mutations = s.between(0, 4);
        for (int i = 0; i < mutations; i++) {
            // bytes in the link, IP and TCP headers; values chosen to hit the interesting ones often
            int at = s.between(12, Math.min(frame.length - 1, 90));
            int value = switch (s.choice(6)) {
                case 0 -> s.between(0, 255);
                case 1 -> 0x20;   // IPv4 MF, or part of a length
                case 2 -> 44;     // an IPv6 Fragment header
                case 3 -> 0;      // hop-by-hop, a zero length
                case 4 -> 0x81;   // a VLAN TPID's first byte
                default -> 0x11;  // UDP
            };
            frame[at] = (byte) value;
        }
        int cut = s.bool() ? 0 : s.between(0, frame.length);
        return new Case(Arrays.copyOf(frame, frame.length - cut));
    };

    @Test
    void segmenterCoalescerAndDecapsulationRefuseWhatTheLocatorRefuses() throws Exception {
        GeneveTunnel tunnel = TcpSegmenterTest.tunnel(IpVersion.IPV4, false, true);
        TcpSegmenter segmenter = new TcpSegmenter(tunnel, 1000, 1500);
        Property.forAll("locator agreement", 400, FRAMES, c -> {
            byte[] frame = c.frame();
            MemorySegment s = MemorySegment.ofArray(frame);
            FrameLocator locator = new FrameLocator();
            boolean located = locator.tryWrap(FrameLocator.Link.ETHERNET, s, 0, frame.length);

            GeneveFormatException bySegmenter = catchThrowableOfType(GeneveFormatException.class,
                    () -> segmenter.segment(s, 0, frame.length, (buffer, offset, length) -> { }));

            byte[] datagram = new byte[HEADER.encodedLength() + frame.length];
            HEADER.encode(ByteBuffer.wrap(datagram), 0);
            System.arraycopy(frame, 0, datagram, HEADER.encodedLength(), frame.length);
            TcpCoalescer coalescer = new TcpCoalescer(10_000);
            TcpCoalescer.Offer offer = coalescer.offerDatagram(MemorySegment.ofArray(datagram), 0, datagram.length);
            GeneveFormatException byCoalescer = catchThrowableOfType(GeneveFormatException.class,
                    () -> new TcpCoalescer(10_000).addDatagram(MemorySegment.ofArray(datagram), 0, datagram.length));

            GeneveFrameView decapsulation = new GeneveFrameView();
            boolean decapsulated = decapsulation.tryWrap(s, 0, frame.length);

            if (!located) {
                Reason reason = locator.errorReason();
                long offset = locator.errorOffset();
                assertThat(bySegmenter).as("segmenter").isNotNull();
                assertThat(bySegmenter.reason()).isEqualTo(reason);
                assertThat(bySegmenter.offset()).isEqualTo(offset);
                assertThat(offer).isEqualTo(TcpCoalescer.Offer.REFUSED);
                assertThat(coalescer.refusalReason()).isEqualTo(reason);
                assertThat(byCoalescer.reason()).isEqualTo(reason);
                assertThat(byCoalescer.offset()).as("coalescer, from the inner frame").isEqualTo(offset);
                assertThat(decapsulated).isFalse();
                assertThat(decapsulation.errorReason())
                        .isEqualTo(reason == Reason.UNSUPPORTED_PROTOCOL ? Reason.NOT_GENEVE : reason);
                assertThat(decapsulation.errorOffset()).isEqualTo(offset);
            } else {
                // located: none of them refuses it for a reason the locator owns
                if (bySegmenter != null) {
                    assertThat(bySegmenter.reason()).isNotEqualTo(Reason.FRAGMENT);
                }
                if (offer == TcpCoalescer.Offer.REFUSED) {
                    assertThat(coalescer.refusalReason()).isNotEqualTo(Reason.FRAGMENT);
                }
                if (locator.protocol() != EtherType.PROTOCOL_UDP) {
                    assertThat(decapsulated).isFalse();
                    assertThat(decapsulation.errorReason()).isEqualTo(Reason.NOT_GENEVE);
                    assertThat(decapsulation.errorOffset()).isEqualTo(locator.transportOffset());
                }
                if (locator.protocol() == EtherType.PROTOCOL_TCP && locator.trailerLength() == 0
                        && locator.transportLength() >= 20 && bySegmenter == null) {
                    assertThat(offer).as("a frame the segmenter takes is TCP the coalescer reads")
                            .isNotEqualTo(TcpCoalescer.Offer.NOT_NEXT);
                }
            }
        });
    }
}
