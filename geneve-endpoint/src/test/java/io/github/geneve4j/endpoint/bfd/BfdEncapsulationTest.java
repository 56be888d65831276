package io.github.geneve4j.endpoint.bfd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.NetworkOrder;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.codec.net.EtherType;
import io.github.geneve4j.codec.net.EthernetView;
import io.github.geneve4j.codec.net.Ipv4View;
import io.github.geneve4j.codec.net.UdpView;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** The RFC 9521 §4 inner frame: what the writer puts on the wire, and what the classifier takes. */
class BfdEncapsulationTest {

    static final long LOCAL_MAC = 0x02_00_00_00_00_0AL;
    private static final int AT = 50; // headroom before the frame, as an outer header would take

    private long now;

    private BfdSession session() {
        return BfdSession.builder().localDiscriminator(0xCAFE).clock(() -> now).build();
    }

    /** A frame written by {@code encap} at offset {@link #AT} of a 200-byte segment. */
    private MemorySegment frame(BfdEncapsulation encap) {
        MemorySegment segment = MemorySegment.ofArray(new byte[200]);
        assertThat(encap.writeFrame(segment, AT, session())).isEqualTo(66);
        return segment;
    }

    @Test
    void writesEthernetIpv4UdpAndTheControlPacket() {
        MemorySegment segment = frame(BfdEncapsulation.defaults(LOCAL_MAC, 49152));
        EthernetView eth = new EthernetView().wrap(segment, AT, 66);
        assertThat(eth.destination()).isEqualTo(0x0023_2000_0001L);
        assertThat(eth.source()).isEqualTo(LOCAL_MAC);
        assertThat(eth.etherType()).isEqualTo(EtherType.IPV4);
        Ipv4View ip = new Ipv4View().wrap(segment, eth.payloadOffset(), eth.payloadLength());
        assertThat(ip.ttl()).isEqualTo(255);
        assertThat(ip.protocol()).isEqualTo(EtherType.PROTOCOL_UDP);
        assertThat(ip.source()).isEqualTo(0xA9FE_0101L);
        assertThat(ip.destination()).isEqualTo(0xA9FE_0100L);
        assertThat(ip.totalLength()).isEqualTo(52);
        assertThat(ip.dontFragment()).isTrue();
        assertThat(ip.checksumValid()).isTrue();
        UdpView udp = new UdpView().wrap(segment, ip.payloadOffset(), ip.payloadLength());
        assertThat(udp.sourcePort()).isEqualTo(49152);
        assertThat(udp.destinationPort()).isEqualTo(3784);
        assertThat(udp.length()).isEqualTo(32);
        assertThat(udp.checksum()).isNotZero();
        assertThat(udp.checksumValid(ip.pseudoHeaderSum(EtherType.PROTOCOL_UDP, 32))).isTrue();
        BfdControlPacket packet = BfdControlPacket.decode(segment, udp.payloadOffset(), udp.payloadLength());
        assertThat(packet.myDiscriminator()).isEqualTo(0xCAFE);
        assertThat(packet.state()).isEqualTo(BfdState.DOWN);
    }

    @Test
    void sendsAZeroUdpChecksumAsOvsDoesWhenAsked() {
        MemorySegment segment = frame(BfdEncapsulation.defaults(LOCAL_MAC, 65535).withUdpChecksum(false));
        assertThat(segment.get(NetworkOrder.SHORT, AT + 34 + 6)).isZero();
        assertThat(new BfdFrameClassifier().classify(segment, AT, 66)).isEqualTo(BfdFrameVerdict.CONTROL_PACKET);
    }

    @Test
    void configuredAddressesAndMacGoOnTheWire() {
        BfdEncapsulation encap = BfdEncapsulation.defaults(LOCAL_MAC, 50000).withAddresses(0x0A000001L, 0x0A000002L)
                .withDestinationMac(0x02_00_00_00_00_0BL);
        MemorySegment segment = frame(encap);
        assertThat(new EthernetView().wrap(segment, AT, 66).destination()).isEqualTo(0x02_00_00_00_00_0BL);
        Ipv4View ip = new Ipv4View().wrap(segment, AT + 14, 52);
        assertThat(ip.source()).isEqualTo(0x0A000001L);
        assertThat(ip.destination()).isEqualTo(0x0A000002L);
        assertThat(new BfdFrameClassifier(0x0A000002L).classify(segment, AT, 66))
                .isEqualTo(BfdFrameVerdict.CONTROL_PACKET);
        assertThat(new BfdFrameClassifier(0x0A000001L).classify(segment, AT, 66))
                .isEqualTo(BfdFrameVerdict.WRONG_DESTINATION);
    }

    @Test
    void geneveHeaderCarriesEthernetAndTheConfiguredOamBit() {
        GeneveHeader rfc = BfdEncapsulation.defaults(LOCAL_MAC, 49152).geneveHeader(5000);
        assertThat(rfc.oam()).as("RFC 9521 §4").isTrue();
        assertThat(rfc.protocolType()).isEqualTo(ProtocolType.ETHERNET);
        assertThat(rfc.vni()).isEqualTo(5000);
        assertThat(rfc.critical()).isFalse();
        assertThat(rfc.options()).isEmpty();
        assertThat(BfdEncapsulation.defaults(LOCAL_MAC, 49152).withOam(false).geneveHeader(5000).oam())
                .as("as OVS sends by default").isFalse();
    }

    @Test
    void classifierFindsThePacketAtItsOffset() {
        MemorySegment segment = frame(BfdEncapsulation.defaults(LOCAL_MAC, 49153));
        BfdFrameClassifier classifier = new BfdFrameClassifier();
        assertThat(classifier.classify(segment, AT, 66)).isEqualTo(BfdFrameVerdict.CONTROL_PACKET);
        assertThat(classifier.payloadOffset()).isEqualTo(AT + 42);
        assertThat(classifier.payloadLength()).isEqualTo(24);
        assertThat(classifier.sourcePort()).isEqualTo(49153);
        assertThat(classifier.sourceAddress()).isEqualTo(0xA9FE_0101L);
        assertThat(new BfdControlView().tryWrap(segment, classifier.payloadOffset(), classifier.payloadLength()))
                .isTrue();
        assertThat(classifier.classify(segment, AT, 80)).as("Ethernet padding after the packet")
                .isEqualTo(BfdFrameVerdict.CONTROL_PACKET);
    }

    @Test
    void aTtlOtherThan255IsBfdsButRejected() {
        for (int ttl : new int[] {254, 1, 0}) {
            MemorySegment segment = frame(BfdEncapsulation.defaults(LOCAL_MAC, 49152));
            new Ipv4View().wrap(segment, AT + 14, 52).ttl(ttl).updateChecksum();
            BfdFrameVerdict verdict = new BfdFrameClassifier().classify(segment, AT, 66);
            assertThat(verdict).isEqualTo(BfdFrameVerdict.TTL_NOT_255);
            assertThat(verdict.consumed()).isTrue();
        }
    }

    @Test
    void badChecksumsAreRejected() {
        MemorySegment ipBad = frame(BfdEncapsulation.defaults(LOCAL_MAC, 49152));
        ipBad.set(ValueLayout.JAVA_BYTE, AT + 14 + 10, (byte) ~ipBad.get(ValueLayout.JAVA_BYTE, AT + 14 + 10));
        assertThat(new BfdFrameClassifier().classify(ipBad, AT, 66)).isEqualTo(BfdFrameVerdict.BAD_CHECKSUM);
        MemorySegment udpBad = frame(BfdEncapsulation.defaults(LOCAL_MAC, 49152));
        udpBad.set(ValueLayout.JAVA_BYTE, AT + 42 + 2, (byte) 7); // the BFD packet changed, the checksum not
        assertThat(new BfdFrameClassifier().classify(udpBad, AT, 66)).isEqualTo(BfdFrameVerdict.BAD_CHECKSUM);
    }

    @Test
    void framesThatAreNotBfdAreLeftAlone() {
        BfdFrameClassifier classifier = new BfdFrameClassifier();
        MemorySegment port = frame(BfdEncapsulation.defaults(LOCAL_MAC, 49152));
        port.set(NetworkOrder.SHORT, AT + 34 + 2, (short) 3785);
        assertThat(classifier.classify(port, AT, 66)).isEqualTo(BfdFrameVerdict.NOT_BFD);
        MemorySegment arp = frame(BfdEncapsulation.defaults(LOCAL_MAC, 49152));
        arp.set(NetworkOrder.SHORT, AT + 12, (short) EtherType.ARP);
        assertThat(classifier.classify(arp, AT, 66)).isEqualTo(BfdFrameVerdict.NOT_BFD);
        MemorySegment tcp = frame(BfdEncapsulation.defaults(LOCAL_MAC, 49152));
        tcp.set(ValueLayout.JAVA_BYTE, AT + 14 + 9, (byte) 6);
        assertThat(classifier.classify(tcp, AT, 66)).isEqualTo(BfdFrameVerdict.NOT_BFD);
        MemorySegment later = frame(BfdEncapsulation.defaults(LOCAL_MAC, 49152));
        later.set(NetworkOrder.SHORT, AT + 14 + 6, (short) 0x0001);
        assertThat(classifier.classify(later, AT, 66)).as("a later fragment").isEqualTo(BfdFrameVerdict.NOT_BFD);
        MemorySegment v6 = frame(BfdEncapsulation.defaults(LOCAL_MAC, 49152));
        v6.set(ValueLayout.JAVA_BYTE, AT + 14, (byte) 0x65);
        assertThat(classifier.classify(v6, AT, 66)).isEqualTo(BfdFrameVerdict.NOT_BFD);
        assertThat(classifier.classify(frame(BfdEncapsulation.defaults(LOCAL_MAC, 49152)), AT, 41))
                .as("cut inside the UDP header").isEqualTo(BfdFrameVerdict.NOT_BFD);
        assertThat(classifier.classify(MemorySegment.ofArray(new byte[10]), 0, 10)).isEqualTo(BfdFrameVerdict.NOT_BFD);
    }

    @Test
    void aTaggedFrameIsNotBfd() {
        MemorySegment segment = MemorySegment.ofArray(new byte[200]);
        MemorySegment untagged = frame(BfdEncapsulation.defaults(LOCAL_MAC, 49152));
        MemorySegment.copy(untagged, AT, segment, 0, 12);
        segment.set(NetworkOrder.SHORT, 12, (short) EtherType.VLAN);
        segment.set(NetworkOrder.SHORT, 14, (short) 5);
        MemorySegment.copy(untagged, AT + 12, segment, 16, 54);
        assertThat(new BfdFrameClassifier().classify(segment, 0, 70)).isEqualTo(BfdFrameVerdict.NOT_BFD);
    }

    @Test
    void inconsistentLengthsAndFragmentsAreMalformed() {
        BfdFrameClassifier classifier = new BfdFrameClassifier();
        MemorySegment more = frame(BfdEncapsulation.defaults(LOCAL_MAC, 49152));
        new Ipv4View().wrap(more, AT + 14, 52);
        more.set(NetworkOrder.SHORT, AT + 14 + 6, (short) 0x2000);
        assertThat(classifier.classify(more, AT, 66)).isEqualTo(BfdFrameVerdict.MALFORMED);
        MemorySegment total = frame(BfdEncapsulation.defaults(LOCAL_MAC, 49152));
        assertThat(classifier.classify(total, AT, 60)).as("total length beyond the frame")
                .isEqualTo(BfdFrameVerdict.MALFORMED);
        MemorySegment udpLength = frame(BfdEncapsulation.defaults(LOCAL_MAC, 49152).withUdpChecksum(false));
        udpLength.set(NetworkOrder.SHORT, AT + 34 + 4, (short) 33);
        assertThat(classifier.classify(udpLength, AT, 66)).isEqualTo(BfdFrameVerdict.MALFORMED);
        udpLength.set(NetworkOrder.SHORT, AT + 34 + 4, (short) 7);
        assertThat(classifier.classify(udpLength, AT, 66)).isEqualTo(BfdFrameVerdict.MALFORMED);
    }

    @Test
    void callersMistakesThrow() {
        assertThatThrownBy(() -> BfdEncapsulation.defaults(LOCAL_MAC, 49151))
                .hasMessageContaining("BFD UDP source port 49151 (expected: 49152..65535");
        assertThatThrownBy(() -> BfdEncapsulation.defaults(1L << 48, 49152)).hasMessageContaining("48 bits");
        assertThatThrownBy(() -> BfdEncapsulation.defaults(LOCAL_MAC, 49152).withAddresses(-1, 0))
                .hasMessageContaining("IPv4");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment small = arena.allocate(65);
            assertThatThrownBy(() -> BfdEncapsulation.defaults(LOCAL_MAC, 49152).writeFrame(small, 0, session()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("66 bytes");
            assertThatThrownBy(() -> new BfdFrameClassifier().classify(small, 60, 10))
                    .isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> new BfdFrameClassifier(1L << 32)).isInstanceOf(IllegalArgumentException.class);
    }
}
