package io.github.geneve4j.codec.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveFormatException.Reason;
import io.github.geneve4j.testing.Gen;
import io.github.geneve4j.testing.Property;
import java.lang.foreign.MemorySegment;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class ViewsTest {

    private static MemorySegment hex(String s) {
        return MemorySegment.ofArray(HexFormat.of().parseHex(s.replace(" ", "")));
    }

    private static final String IPV4_TCP_SYN = ("4500003c1c4640004006 0a74 0a000001 0a000002"
            + "9c400050 00000001 00000000 a002faf0 9c7a 0000"
            + "020405b40402080a000000010000000001030307").replace(" ", "");

    @Test
    void ethernetUntaggedAndTagged() {
        MemorySegment plain = hex("0a0b0c0d0e0f 010203040506 0800" + IPV4_TCP_SYN);
        EthernetView eth = new EthernetView().wrap(plain, 0);
        assertThat(eth.tagged()).isFalse();
        assertThat(eth.etherType()).isEqualTo(EtherType.IPV4);
        assertThat(eth.destination()).isEqualTo(0x0a0b0c0d0e0fL);
        assertThat(eth.source()).isEqualTo(0x010203040506L);
        assertThat(eth.payloadOffset()).isEqualTo(14);
        assertThat(eth.vlanId()).isEqualTo(-1);

        MemorySegment tagged = hex("0a0b0c0d0e0f 010203040506 8100 a064 86dd");
        eth.wrap(tagged, 0);
        assertThat(eth.tagged()).isTrue();
        assertThat(eth.vlanId()).isEqualTo(100);
        assertThat(eth.vlanPriority()).isEqualTo(5);
        assertThat(eth.etherType()).isEqualTo(EtherType.IPV6);
        assertThat(eth.headerLength()).isEqualTo(18);
    }

    @Test
    void ethernetWriteRoundTrips() {
        MemorySegment s = MemorySegment.ofArray(new byte[18]);
        assertThat(EthernetView.write(s, 0, 0x112233445566L, 0xaabbccddeeffL, 0x2007, EtherType.IPV4)).isEqualTo(18);
        EthernetView eth = new EthernetView().wrap(s, 0);
        assertThat(eth.destination()).isEqualTo(0x112233445566L);
        assertThat(eth.source()).isEqualTo(0xaabbccddeeffL);
        assertThat(eth.vlanId()).isEqualTo(7);
        assertThat(eth.etherType()).isEqualTo(EtherType.IPV4);
    }

    @Test
    void rejectsTruncatedTaggedEthernet() {
        GeneveFormatException e = catchThrowableOfType(GeneveFormatException.class,
                () -> new EthernetView().wrap(hex("0a0b0c0d0e0f 010203040506 8100 a064"), 0));
        assertThat(e.reason()).isEqualTo(Reason.TRUNCATED);
        assertThat(e.offset()).isEqualTo(12);
    }

    @Test
    void ipv4AccessorsAndChecksum() {
        Ipv4View ip = new Ipv4View().wrap(hex(IPV4_TCP_SYN), 0);
        assertThat(ip.headerLength()).isEqualTo(20);
        assertThat(ip.totalLength()).isEqualTo(60);
        assertThat(ip.identification()).isEqualTo(0x1c46);
        assertThat(ip.dontFragment()).isTrue();
        assertThat(ip.ttl()).isEqualTo(64);
        assertThat(ip.protocol()).isEqualTo(6);
        assertThat(ip.source()).isEqualTo(0x0a000001L);
        assertThat(ip.destination()).isEqualTo(0x0a000002L);
        assertThat(ip.checksumValid()).isTrue();
        ip.ttl(63);
        assertThat(ip.checksumValid()).isFalse();
        ip.updateChecksum();
        assertThat(ip.checksumValid()).isTrue();
    }

    @Test
    void ipv4RejectsBadVersionLengthAndTruncation() {
        assertReason(() -> new Ipv4View().wrap(hex("6500003c" + IPV4_TCP_SYN.substring(8)), 0), Reason.BAD_VALUE, 0);
        assertReason(() -> new Ipv4View().wrap(hex("4400003c" + IPV4_TCP_SYN.substring(8)), 0), Reason.BAD_LENGTH, 0);
        assertReason(() -> new Ipv4View().wrap(hex("4500003d" + IPV4_TCP_SYN.substring(8)), 0), Reason.BAD_LENGTH, 2);
        assertReason(() -> new Ipv4View().wrap(hex("4f00003c" + IPV4_TCP_SYN.substring(8, 40)), 0),
                Reason.TRUNCATED, 0);
        assertReason(() -> new Ipv4View().wrap(hex("4500"), 0), Reason.TRUNCATED, 0);
    }

    @Test
    void ipv4AcceptsBigTcpZeroLengthOnlyBeyond64k() {
        byte[] big = new byte[70_000];
        Ipv4View.write(MemorySegment.ofArray(big), 0, 0, 0, 1, true, 64, 6, 1, 2);
        Ipv4View ip = new Ipv4View().wrap(MemorySegment.ofArray(big), 0);
        assertThat(ip.bigTcp()).isTrue();
        assertThat(ip.packetLength()).isEqualTo(70_000);
        assertReason(() -> new Ipv4View().wrap(MemorySegment.ofArray(big), 0, 1000), Reason.BAD_LENGTH, 2);
    }

    @Test
    void ipv6WalksExtensionHeadersToTcp() {
        // fixed header: next header 0 (hop-by-hop), payload 8 + 16 + 20
        String fixed = "60000000 002c 00 40" + "20010db8000000000000000000000001" + "20010db8000000000000000000000002";
        String hopByHop = "3c00 0104 00000000";          // next 60, 8 bytes, PadN
        String destOpts = "0601 0000 00000000 00000000 00000000"; // next 6 (TCP), 16 bytes
        String tcp = "9c400050 00000001 00000000 5010faf0 0000 0000";
        Ipv6View ip = new Ipv6View().wrap(hex(fixed + hopByHop + destOpts + tcp), 0);
        assertThat(ip.nextHeader()).isZero();
        assertThat(ip.upperLayerProtocol()).isEqualTo(6);
        assertThat(ip.upperLayerOffset()).isEqualTo(40 + 8 + 16);
        assertThat(ip.upperLayerLength()).isEqualTo(20);
        assertThat(ip.hopLimit()).isEqualTo(64);
    }

    @Test
    void ipv6RejectsExtensionHeaderOverrun() {
        String fixed = "60000000 000c 00 40" + "20010db8000000000000000000000001" + "20010db8000000000000000000000002";
        assertReason(() -> new Ipv6View().wrap(hex(fixed + "0602 0000 00000000 00000000"), 0), Reason.BAD_LENGTH, 40);
        assertReason(() -> new Ipv6View().wrap(hex("60000000 0010 06 40" + "00".repeat(32)), 0), Reason.BAD_LENGTH, 4);
        assertReason(() -> new Ipv6View().wrap(hex("40000000 0000 06 40" + "00".repeat(32)), 0), Reason.BAD_VALUE, 0);
    }

    @Test
    void udpAndTcpRejectBadLengths() {
        assertReason(() -> new UdpView().wrap(hex("17c1 17c1 0007 0000"), 0, 8), Reason.BAD_LENGTH, 4);
        assertReason(() -> new UdpView().wrap(hex("17c1 17c1 0010 0000"), 0, 8), Reason.BAD_LENGTH, 4);
        assertReason(() -> new UdpView().wrap(hex("17c1 17c1 0008"), 0, 6), Reason.TRUNCATED, 0);
        String tcp = "9c400050 00000001 00000000 %s10faf0 0000 0000";
        assertReason(() -> new TcpView().wrap(hex(tcp.formatted("40")), 0, 20), Reason.BAD_LENGTH, 12);
        assertReason(() -> new TcpView().wrap(hex(tcp.formatted("60")), 0, 20), Reason.BAD_LENGTH, 12);
        TcpView v = new TcpView().wrap(hex(tcp.formatted("50")), 0, 20);
        assertThat(v.flags()).isEqualTo(TcpView.ACK);
        assertThat(v.sequence()).isEqualTo(1);
    }

    @Test
    void arbitraryBytesOnlyEverGiveOurException() {
        Property.forAll("views throw only GeneveFormatException", 2_000, Gen.bytes(0, 120), bytes -> {
            MemorySegment s = MemorySegment.ofArray(bytes);
            for (Runnable r : new Runnable[] {
                    () -> new EthernetView().wrap(s, 0), () -> new Ipv4View().wrap(s, 0), () -> new Ipv6View().wrap(s, 0),
                    () -> new UdpView().wrap(s, 0, s.byteSize()), () -> new TcpView().wrap(s, 0, s.byteSize())}) {
                try {
                    r.run();
                } catch (GeneveFormatException expected) {
                    // fine
                }
            }
        });
    }

    private static void assertReason(Runnable r, Reason reason, long offset) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(GeneveFormatException.class, e -> {
            assertThat(e.reason()).isEqualTo(reason);
            assertThat(e.offset()).isEqualTo(offset);
        });
    }
}
