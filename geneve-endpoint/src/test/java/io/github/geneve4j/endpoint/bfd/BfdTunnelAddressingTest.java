package io.github.geneve4j.endpoint.bfd;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.codec.NetworkOrder;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * Issue 28 (a tenant moving a tunnel's BFD session): a classifier made with
 * {@link BfdFrameClassifier#addressedAs} takes only frames to the tunnel's BFD MAC and address as the
 * endpoint's BFD, lets a tenant's own RFC 5881 BFD between its hosts pass as data, and tells which
 * frames from the inner side must never reach a peer.
 */
class BfdTunnelAddressingTest {

    private static final long LOCAL_MAC = 0x02_00_00_00_00_0AL;
    private static final long TENANT_MAC = 0x02_00_00_00_00_77L;
    private static final int AT = 20;
    private static final BfdEncapsulation OVS = BfdEncapsulation.defaults(LOCAL_MAC, 49152);

    private static MemorySegment frame(BfdEncapsulation encap) {
        MemorySegment segment = MemorySegment.ofArray(new byte[120]);
        BfdSession session = BfdSession.builder().localDiscriminator(0xCAFE).clock(() -> 0).build();
        assertThat(encap.writeFrame(segment, AT, session)).isEqualTo(66);
        return segment;
    }

    @Test
    void takesWhatAPeerAddressedAsOvsDoesSends() {
        BfdFrameClassifier classifier = BfdFrameClassifier.addressedAs(OVS);
        assertThat(classifier.classify(frame(OVS), AT, 66)).isEqualTo(BfdFrameVerdict.CONTROL_PACKET);
        assertThat(classifier.payloadOffset()).isEqualTo(AT + 14 + 20 + 8);
    }

    @Test
    void aTenantsOwnBfdToOtherAddressesIsDataNotTheTunnels() {
        BfdFrameClassifier classifier = BfdFrameClassifier.addressedAs(OVS);
        // RFC 5881 between two tenant hosts: their own MAC and addresses, port 3784, TTL 255
        BfdEncapsulation tenant = OVS.withDestinationMac(TENANT_MAC).withAddresses(0x0A000001L, 0x0A000002L);
        assertThat(classifier.classify(frame(tenant), AT, 66)).isEqualTo(BfdFrameVerdict.NOT_BFD);
        // only the MAC, or only the address, differs: still not the tunnel's
        assertThat(classifier.classify(frame(OVS.withDestinationMac(TENANT_MAC)), AT, 66))
                .isEqualTo(BfdFrameVerdict.NOT_BFD);
        assertThat(classifier.classify(frame(OVS.withAddresses(0xA9FE_0101L, 0x0A000002L)), AT, 66))
                .isEqualTo(BfdFrameVerdict.NOT_BFD);
        // the permissive classifier (every frame to 3784 is the endpoint's) consumes it
        assertThat(new BfdFrameClassifier().classify(frame(tenant), AT, 66)).isEqualTo(BfdFrameVerdict.CONTROL_PACKET);
    }

    @Test
    void anExplicitSourceAddressIsCheckedToo() {
        BfdFrameClassifier classifier = BfdFrameClassifier.addressedAs(OVS).fromSource(0xA9FE_0101L);
        assertThat(classifier.classify(frame(OVS), AT, 66)).isEqualTo(BfdFrameVerdict.CONTROL_PACKET);
        BfdEncapsulation other = OVS.withAddresses(0xA9FE_0105L, BfdEncapsulation.OVS_DESTINATION_ADDRESS);
        assertThat(classifier.classify(frame(other), AT, 66)).isEqualTo(BfdFrameVerdict.WRONG_SOURCE);
        assertThat(BfdFrameVerdict.WRONG_SOURCE.consumed()).isTrue();
        assertThat(BfdFrameClassifier.addressedAs(OVS).classify(frame(other), AT, 66))
                .as("no source configured: any").isEqualTo(BfdFrameVerdict.CONTROL_PACKET);
    }

    @Test
    void framesFromTheInnerSideAddressedAsTheTunnelsBfdAreFlagged() {
        BfdFrameClassifier classifier = BfdFrameClassifier.addressedAs(OVS);
        MemorySegment forged = frame(OVS);
        assertThat(classifier.addressedToTunnelBfd(forged, AT, 66)).isTrue();
        // whatever its TTL or checksum: the addresses and the port decide
        forged.set(java.lang.foreign.ValueLayout.JAVA_BYTE, AT + 14 + 8, (byte) 64);
        assertThat(classifier.addressedToTunnelBfd(forged, AT, 66)).isTrue();
        BfdEncapsulation tenant = OVS.withDestinationMac(TENANT_MAC).withAddresses(0x0A000001L, 0x0A000002L);
        assertThat(classifier.addressedToTunnelBfd(frame(tenant), AT, 66)).as("a tenant's own BFD passes").isFalse();
        assertThat(classifier.addressedToTunnelBfd(frame(OVS.withDestinationMac(TENANT_MAC)), AT, 66)).isFalse();
        assertThat(classifier.addressedToTunnelBfd(frame(OVS.withAddresses(0xA9FE_0101L, 0x0A000002L)), AT, 66))
                .isFalse();
        MemorySegment otherPort = frame(OVS);
        otherPort.set(NetworkOrder.SHORT, AT + 14 + 20 + 2, (short) 3785);
        assertThat(classifier.addressedToTunnelBfd(otherPort, AT, 66)).isFalse();
        assertThat(classifier.addressedToTunnelBfd(forged, AT, 40)).as("too short for UDP").isFalse();
        assertThat(new BfdFrameClassifier().addressedToTunnelBfd(frame(OVS), AT, 66))
                .as("a classifier without addresses flags nothing").isFalse();
    }
}
