package io.github.geneve4j.codec.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.codec.GeneveFormatException.Reason;
import io.github.geneve4j.codec.net.FrameLocator;
import io.github.geneve4j.testing.Hex;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Every layer is bounded by the layer that holds it, never by the frame's end: Ethernet pads a frame
 * to 60 bytes (here with 0xff, which reads as an option header and as lengths), and the padding must
 * change no answer. Each case compares the padded frame with the same frame unpadded.
 */
class GeneveFrameViewPaddingTest {

    private static final String ETH = "020000000002 020000000001 0800";
    private static final String ETH6 = "020000000002 020000000001 86dd";
    private static final String V6_ADDRESSES = "20010db8000000000000000000000a01 20010db8000000000000000000000a02";

    private static String ipv4(int totalLength) {
        return "45 00 %04x 0001 4000 40 11 0000 0a000001 0a000002".formatted(totalLength);
    }

    private static String udp(int length) {
        return "9c40 17c1 %04x 0000".formatted(length);
    }

    private static byte[] padded(byte[] frame, int to) {
        byte[] p = Arrays.copyOf(frame, Math.max(to, frame.length));
        Arrays.fill(p, frame.length, p.length, (byte) 0xff);
        return p;
    }

    private record Answer(boolean ok, Reason reason, long offset, long innerLength) {
    }

    private static Answer view(byte[] frame) {
        GeneveFrameView view = new GeneveFrameView();
        MemorySegment s = MemorySegment.ofArray(frame);
        boolean ok = view.tryWrap(s, 0, frame.length);
        return new Answer(ok, ok ? null : view.errorReason(), ok ? 0 : view.errorOffset(),
                ok ? view.innerLength() : -1);
    }

    private static void assertPaddingChangesNothing(String hex, Answer expected) {
        byte[] frame = Hex.bytes(hex);
        assertThat(view(frame)).isEqualTo(expected);
        assertThat(view(padded(frame, 60))).as("padded to 60 bytes").isEqualTo(expected);
        assertThat(view(padded(frame, frame.length + 200))).as("a long capture trailer").isEqualTo(expected);
    }

    @Test
    void optionsAnnouncedPastTheUdpPayloadAreTruncatedNotReadFromThePadding() {
        // the 8-byte base header with Opt Len 2: 8 bytes of options announced, none in the UDP payload
        String geneve = "02 00 6558 000001 00";
        assertPaddingChangesNothing(ETH + ipv4(36) + udp(16) + geneve,
                new Answer(false, Reason.TRUNCATED, 42 + 8, -1));
    }

    @Test
    void theInnerFrameEndsWithTheUdpPayload() {
        String geneve = "00 00 6558 000001 00";
        assertPaddingChangesNothing(ETH + ipv4(38) + udp(18) + geneve + "abcd",
                new Answer(true, null, 0, 2));
    }

    @Test
    void aUdpLengthPastTheIpPacketIsBadEvenWhenPaddingFollows() {
        // IP says 36 bytes (16 of UDP); UDP claims 24, which only the padding could supply
        String geneve = "00 00 6558 000001 00";
        assertPaddingChangesNothing(ETH + ipv4(36) + udp(24) + geneve, new Answer(false, Reason.BAD_LENGTH, 34 + 4, -1));
    }

    @Test
    void anIpv6PayloadLengthBoundsTheDatagram() {
        String geneve = "02 00 6558 000001 00";
        String v6 = "60000000 0010 11 40 " + V6_ADDRESSES;
        assertPaddingChangesNothing(ETH6 + v6 + udp(16) + geneve, new Answer(false, Reason.TRUNCATED, 62 + 8, -1));
        String whole = "00 00 6558 000001 00";
        assertPaddingChangesNothing(ETH6 + "60000000 0011 11 40 " + V6_ADDRESSES + udp(17) + whole + "ee",
                new Answer(true, null, 0, 1));
    }

    @Test
    void notGeneveIsNotMalformedGeneve() {
        String geneve = "00 00 6558 000001 00";
        // another UDP port, another protocol, another EtherType: NOT_GENEVE
        assertThat(view(Hex.bytes(ETH + ipv4(36) + "9c40 12b5 0010 0000" + geneve)).reason()).isEqualTo(Reason.NOT_GENEVE);
        assertThat(view(Hex.bytes(ETH + ipv4(36).replace(" 11 ", " 06 ") + udp(16) + geneve)).reason())
                .isEqualTo(Reason.NOT_GENEVE);
        assertThat(view(Hex.bytes(ETH.replace("0800", "0806") + "0001080006040001")).reason())
                .isEqualTo(Reason.NOT_GENEVE);
        // a fragment: FRAGMENT; a Geneve version 1: malformed Geneve
        assertThat(view(Hex.bytes(ETH + ipv4(36).replace("4000", "2000") + udp(16) + geneve)))
                .isEqualTo(new Answer(false, Reason.FRAGMENT, 14 + 6, -1));
        assertThat(view(Hex.bytes(ETH + ipv4(36) + udp(16) + "40" + geneve.substring(2))))
                .isEqualTo(new Answer(false, Reason.UNSUPPORTED_VERSION, 42, -1));
    }

    @Test
    void rawIpAndCookedCapturesDecapsulateToo() {
        String geneve = "00 00 6558 000001 00";
        GeneveFrameView raw = new GeneveFrameView(FrameLocator.Link.IP, 6081);
        byte[] packet = Hex.bytes(ipv4(38) + udp(18) + geneve + "abcd");
        assertThat(raw.tryWrap(MemorySegment.ofArray(packet), 0, packet.length)).isTrue();
        assertThat(raw.geneve().vni()).isEqualTo(1);
        assertThat(raw.innerOffset()).isEqualTo(36);
        assertThat(raw.udpChecksumValid()).isTrue(); // 0: not computed
        GeneveFrameView sll = new GeneveFrameView(FrameLocator.Link.LINUX_SLL, 6081);
        byte[] cooked = Hex.bytes("0000 0001 0006 020000000001 0000 0800" + ipv4(38) + udp(18) + geneve + "abcd");
        assertThat(sll.tryWrap(MemorySegment.ofArray(cooked), 0, cooked.length)).isTrue();
        assertThat(sll.innerOffset()).isEqualTo(16 + 36);
    }
}
