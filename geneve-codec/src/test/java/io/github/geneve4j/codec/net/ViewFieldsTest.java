package io.github.geneve4j.codec.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveFormatException.Reason;
import io.github.geneve4j.codec.internal.Internals;
import io.github.geneve4j.testing.Gen;
import io.github.geneve4j.testing.Hex;
import io.github.geneve4j.testing.Property;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Every field of the L2–L4 views read and written at its RFC offset, at a non-zero offset in a larger
 * segment, and every length check at its boundary with its reason and offset.
 */
class ViewFieldsTest {

    /** {@code hex} at offset 3 of a segment with 5 bytes of 0xEE after it. */
    private static MemorySegment at3(String hex) {
        byte[] b = Hex.bytes(hex);
        byte[] s = new byte[3 + b.length + 5];
        Arrays.fill(s, (byte) 0xEE);
        System.arraycopy(b, 0, s, 3, b.length);
        return MemorySegment.ofArray(s);
    }

    /** A buffer of 0x5A bytes: a writer must overwrite every byte it owns, checksum fields included. */
    private static MemorySegment dirty(int size) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) 0x5A);
        return MemorySegment.ofArray(b);
    }

    private static void assertReason(Runnable r, Reason reason, long offset, String message) {
        assertThatThrownBy(r::run).isInstanceOfSatisfying(GeneveFormatException.class, e -> {
            assertThat(e.reason()).isEqualTo(reason);
            assertThat(e.offset()).isEqualTo(offset);
            assertThat(e.getMessage()).contains(message);
        });
    }

    // ---- Ethernet (IEEE 802.3, 802.1Q) ----

    @Test
    void ethernetAtAnOffsetRunsToTheEndOfTheSegment() {
        MemorySegment s = at3("0a0b0c0d0e0f 010203040506 0800 45");
        EthernetView eth = new EthernetView().wrap(s, 3);
        assertThat(eth.offset()).isEqualTo(3);
        assertThat(eth.payloadOffset()).isEqualTo(17);
        assertThat(eth.payloadLength()).isEqualTo(1 + 5);
        assertThat(eth.destination()).isEqualTo(0x0a0b0c0d0e0fL);
        assertThat(eth.source()).isEqualTo(0x010203040506L);
        assertThat(eth.vlanPriority()).isEqualTo(-1);
    }

    @Test
    void ethernetLengthBoundaries() {
        // exactly a header: an empty payload
        EthernetView eth = new EthernetView().wrap(MemorySegment.ofArray(Hex.bytes("0a0b0c0d0e0f 010203040506 0806")), 0);
        assertThat(eth.payloadLength()).isZero();
        assertThat(eth.etherType()).isEqualTo(EtherType.ARP);
        assertReason(() -> new EthernetView().wrap(MemorySegment.ofArray(new byte[13]), 0), Reason.TRUNCATED, 0,
                "Ethernet frame of 13 bytes (expected: 14+ bytes)");
        // exactly a tagged header
        eth.wrap(MemorySegment.ofArray(Hex.bytes("0a0b0c0d0e0f 010203040506 8100 efff 86dd")), 0);
        assertThat(eth.vlanId()).isEqualTo(0xFFF);
        assertThat(eth.vlanPriority()).isEqualTo(7);
        assertThat(eth.payloadLength()).isZero();
        assertReason(() -> new EthernetView().wrap(MemorySegment.ofArray(Hex.bytes("0a0b0c0d0e0f 010203040506 8100 efff 86")), 0),
                Reason.TRUNCATED, 12, "802.1Q-tagged Ethernet frame of 17 bytes (expected: 18+ bytes)");
        // the region must lie in the segment
        assertThatThrownBy(() -> new EthernetView().wrap(MemorySegment.ofArray(new byte[20]), 4, 17))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void ethernetWriteOverwritesEveryByte() {
        MemorySegment s = dirty(20);
        assertThat(EthernetView.write(s, 1, 0x112233445566L, 0xaabbccddeeffL, -1, EtherType.IPV6)).isEqualTo(14);
        assertThat(Hex.of(s.asSlice(0, 16).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)))
                .isEqualTo("5a112233445566aabbccddeeff86dd5a");
        // TCI 0 is still a tag (priority 0, VLAN 0: an 802.1p priority-tagged frame)
        MemorySegment t = dirty(18);
        assertThat(EthernetView.write(t, 0, 1, 2, 0, EtherType.IPV4)).isEqualTo(18);
        assertThat(Hex.of(t.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)))
                .isEqualTo("000000000001000000000002810000000800");
    }

    // ---- IPv4 (RFC 791) ----

    private static final String IPV4 = "46 b9 001a abcd 3fff 40 06 0000 c0000201 c6336402 01010100";

    @Test
    void ipv4EveryField() {
        MemorySegment s = at3(IPV4 + "cafe");
        Ipv4View ip = new Ipv4View().wrap(s, 3, 26);
        assertThat(ip.offset()).isEqualTo(3);
        assertThat(ip.headerLength()).isEqualTo(24);
        assertThat(ip.dscp()).isEqualTo(0xb9 >>> 2);
        assertThat(ip.ecn()).isEqualTo(1);
        assertThat(ip.totalLength()).isEqualTo(26);
        assertThat(ip.packetLength()).isEqualTo(26);
        assertThat(ip.bigTcp()).isFalse();
        assertThat(ip.identification()).isEqualTo(0xabcd);
        assertThat(ip.sourceOffset()).isEqualTo(3 + 12);
        assertThat(ip.destinationOffset()).isEqualTo(3 + 16);
        assertThat(ip.dontFragment()).isFalse();
        assertThat(ip.moreFragments()).isTrue();
        assertThat(ip.fragmentOffset()).isEqualTo(0x1fff);
        assertThat(ip.ttl()).isEqualTo(0x40);
        assertThat(ip.protocol()).isEqualTo(6);
        assertThat(ip.source()).isEqualTo(0xc0000201L);
        assertThat(ip.destination()).isEqualTo(0xc6336402L);
        assertThat(ip.payloadOffset()).isEqualTo(3 + 24);
        assertThat(ip.payloadLength()).isEqualTo(2);
        assertThat(ip.checksum()).isZero();
        assertThat(ip.checksumValid()).isFalse();
        assertThat(ip.updateChecksum()).isSameAs(ip);
        assertThat(ip.checksumValid()).isTrue();
        assertThat(ip.checksum()).isEqualTo(InternetChecksumTest.reference(Hex.bytes(IPV4), 0, 24));

        assertThat(ip.totalLength(25)).isSameAs(ip);
        assertThat(ip.identification(0x0102)).isSameAs(ip);
        assertThat(ip.ttl(1)).isSameAs(ip);
        assertThat(ip.checksum(0xbeef)).isSameAs(ip);
        assertThat(Hex.of(s.asSlice(3, 12).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)))
                .isEqualTo("46b9001901023fff0106beef");
        assertThat(s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 2)).isEqualTo((byte) 0xEE);
    }

    @Test
    void ipv4DontFragmentAndPseudoHeader() {
        MemorySegment s = MemorySegment.ofArray(Hex.bytes(IPV4.replace("3fff", "4000") + "cafe"));
        Ipv4View ip = new Ipv4View().wrap(s, 0, 26);
        assertThat(ip.dontFragment()).isTrue();
        assertThat(ip.moreFragments()).isFalse();
        assertThat(ip.fragmentOffset()).isZero();
        // RFC 793 §3.1: source, destination, zero, protocol, TCP length
        assertThat(ip.pseudoHeaderSum(6, 1000)).isEqualTo(0xc000L + 0x0201 + 0xc633 + 0x6402 + 6 + 1000);
    }

    @Test
    void ipv4LengthBoundaries() {
        // exactly 20 bytes, IHL 5, Total Length 20: a header-only packet
        String minimal = "45000014 0000 0000 4006 0000 0a000001 0a000002";
        Ipv4View ip = new Ipv4View().wrap(MemorySegment.ofArray(Hex.bytes(minimal)), 0);
        assertThat(ip.payloadLength()).isZero();
        assertReason(() -> new Ipv4View().wrap(MemorySegment.ofArray(Hex.bytes(minimal)), 0, 19), Reason.TRUNCATED, 0,
                "IPv4 packet of 19 bytes (expected: 20+ bytes)");
        assertReason(() -> new Ipv4View().wrap(MemorySegment.ofArray(Hex.bytes(minimal.replace("4500", "6500"))), 0),
                Reason.BAD_VALUE, 0, "IP version 6 (expected: 4)");
        assertReason(() -> new Ipv4View().wrap(MemorySegment.ofArray(Hex.bytes(minimal.replace("4500", "4400"))), 0),
                Reason.BAD_LENGTH, 0, "IPv4 IHL 4 (expected: 5..15)");
        // IHL 6 needs 24 bytes; exactly 24 is enough
        assertReason(() -> new Ipv4View().wrap(MemorySegment.ofArray(Hex.bytes(minimal.replace("4500", "4600") + "000000")), 0),
                Reason.TRUNCATED, 0, "IPv4 header of 24 bytes in 23 bytes");
        ip.wrap(MemorySegment.ofArray(Hex.bytes(minimal.replace("45000014", "46000018") + "01010100")), 0);
        assertThat(ip.headerLength()).isEqualTo(24);
        // Total Length below the header, or beyond the bytes
        assertReason(() -> new Ipv4View().wrap(MemorySegment.ofArray(Hex.bytes(minimal.replace("0014", "0013"))), 0),
                Reason.BAD_LENGTH, 2, "IPv4 total length 19 (expected: 20..20)");
        assertReason(() -> new Ipv4View().wrap(MemorySegment.ofArray(Hex.bytes(minimal.replace("0014", "0015") + "00")), 0, 20),
                Reason.BAD_LENGTH, 2, "IPv4 total length 21 (expected: 20..20)");
        // Total Length below the bytes available: link-layer padding after the packet
        ip.wrap(MemorySegment.ofArray(Hex.bytes(minimal + "000000000000")), 0);
        assertThat(ip.packetLength()).isEqualTo(20);
        assertThatThrownBy(() -> new Ipv4View().wrap(MemorySegment.ofArray(new byte[30]), 11, 20))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void ipv4BigTcpOnlyWithMoreThan65535Bytes() {
        byte[] big = new byte[65_536];
        Ipv4View.write(MemorySegment.ofArray(big), 0, 0, 0, 1, true, 64, 6, 1, 2);
        assertThat(new Ipv4View().wrap(MemorySegment.ofArray(big), 0).packetLength()).isEqualTo(65_536);
        assertReason(() -> new Ipv4View().wrap(MemorySegment.ofArray(big), 0, 65_535), Reason.BAD_LENGTH, 2,
                "IPv4 total length 0 (expected: 20..65535)");
    }

    @Test
    void ipv4WriteOverwritesEveryByte() {
        MemorySegment s = dirty(22);
        assertThat(Ipv4View.write(s, 1, 0xb9, 0x0102, 0x0304, false, 0x3f, 17, 0xc0000201L, 0xc6336402L)).isEqualTo(20);
        String header = "45b9 0102 0304 0000 3f11 %s c0000201 c6336402";
        int checksum = InternetChecksumTest.reference(Hex.bytes(header.formatted("0000")), 0, 20);
        assertThat(Hex.of(s.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)))
                .isEqualTo(("5a" + header.formatted("%04x".formatted(checksum)) + "5a").replace(" ", ""));
        Ipv4View.write(s, 1, 0, 20, 0, true, 1, 6, 0, 0);
        assertThat(new Ipv4View().wrap(s, 1, 20).dontFragment()).isTrue();
    }

    // ---- IPv6 (RFC 8200) ----

    private static final String V6_FIXED = "6ab12345 %s %s 3f"
            + "20010db8000000000000000000000001 20010db8000000000000000000000002";

    private static MemorySegment ipv6(int payloadLength, int next, String rest) {
        return at3(V6_FIXED.formatted("%04x".formatted(payloadLength), "%02x".formatted(next)) + rest);
    }

    @Test
    void ipv6EveryField() {
        MemorySegment s = ipv6(4, 17, "01020304");
        Ipv6View ip = new Ipv6View().wrap(s, 3, 44);
        assertThat(ip.offset()).isEqualTo(3);
        assertThat(ip.trafficClass()).isEqualTo(0xab);
        assertThat(ip.flowLabel()).isEqualTo(0x12345);
        assertThat(ip.payloadLengthField()).isEqualTo(4);
        assertThat(ip.packetLength()).isEqualTo(44);
        assertThat(ip.bigTcp()).isFalse();
        assertThat(ip.nextHeader()).isEqualTo(17);
        assertThat(ip.hopLimit()).isEqualTo(0x3f);
        assertThat(ip.sourceOffset()).isEqualTo(3 + 8);
        assertThat(ip.destinationOffset()).isEqualTo(3 + 24);
        assertThat(ip.upperLayerProtocol()).isEqualTo(17);
        assertThat(ip.upperLayerOffset()).isEqualTo(43);
        assertThat(ip.upperLayerLength()).isEqualTo(4);
        assertThat(ip.headerLength()).isEqualTo(40);
        assertThat(ip.payloadLength(0x0102)).isSameAs(ip);
        assertThat(s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 7)).isEqualTo((byte) 1);
        assertThat(s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 8)).isEqualTo((byte) 2);
        assertThat(s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 9)).isEqualTo((byte) 17);
    }

    @Test
    void ipv6WalksAuthenticationHeadersAndStopsAtAFragmentHeader() {
        // AH (51): (Payload Len + 2) × 4 bytes (RFC 4302 §2.2); then a Fragment header (44), where the walk
        // ends: what follows is a fragment's data, whatever the Fragment header's Next Header says
        String ah = "2c 04 0000 00000100 00000001 0000000000000000 00000000";
        String fragment = "06 00 0009 00000001"; // offset 1 (8 bytes), M set
        String tcp = "9c400050 00000001 00000000 5010faf0 0000 0000";
        MemorySegment s = ipv6(24 + 8 + 20, 51, ah + fragment + tcp);
        Ipv6View ip = new Ipv6View().wrap(s, 3, 40 + 52);
        assertThat(ip.fragmented()).isTrue();
        assertThat(ip.upperLayerProtocol()).isEqualTo(Ipv6View.FRAGMENT_HEADER);
        assertThat(ip.upperLayerOffset()).isEqualTo(3 + 40 + 24);
        assertThat(ip.fragmentOffset()).isEqualTo(1);
        assertThat(ip.moreFragments()).isTrue();
        assertThat(ip.headerLength()).isEqualTo(64);
        // the same with AH then TCP: walked to TCP, no fragment
        Ipv6View whole = new Ipv6View().wrap(ipv6(24 + 20, 51, ah.replaceFirst("2c", "06") + tcp), 3, 40 + 44);
        assertThat(whole.fragmented()).isFalse();
        assertThat(whole.fragmentOffset()).isEqualTo(-1);
        assertThat(whole.moreFragments()).isFalse();
        assertThat(whole.upperLayerProtocol()).isEqualTo(6);
        assertThat(whole.upperLayerOffset()).isEqualTo(3 + 40 + 24);
        // a Fragment header cut short by the packet end
        assertReason(() -> new Ipv6View().wrap(ipv6(4, 44, "0600 0001"), 3, 44), Reason.TRUNCATED, 40,
                "IPv6 extension header 44 at 40 truncated by the packet end at 44");
    }

    @Test
    void ipv6ExtensionHeaderBoundaries() {
        // an extension header that ends exactly at the packet end, "no next header" (59) after it
        Ipv6View ip = new Ipv6View().wrap(ipv6(8, 60, "3b00 000000000000"), 3, 48);
        assertThat(ip.upperLayerProtocol()).isEqualTo(59);
        assertThat(ip.upperLayerLength()).isZero();
        // one byte of an extension header: its length is not there
        assertReason(() -> new Ipv6View().wrap(ipv6(1, 0, "06"), 3, 41), Reason.TRUNCATED, 40,
                "IPv6 extension header 0 at 40 truncated by the packet end at 41");
        // two bytes: the length is there, the header is not
        assertReason(() -> new Ipv6View().wrap(ipv6(2, 0, "0600"), 3, 42), Reason.BAD_LENGTH, 40,
                "IPv6 extension header 0 of 8 bytes runs past the packet end at 42");
        // the walk stops at the packet end, not at the end of the bytes available
        assertReason(() -> new Ipv6View().wrap(ipv6(7, 60, "3b00 000000000000"), 3, 48), Reason.BAD_LENGTH, 40,
                "runs past the packet end at 47");
        assertReason(() -> new Ipv6View().wrap(ipv6(9, 6, "00".repeat(8)), 3, 48), Reason.BAD_LENGTH, 4,
                "IPv6 payload length 9 (expected: at most 8)");
        assertReason(() -> new Ipv6View().wrap(ipv6(0, 6, ""), 3, 39), Reason.TRUNCATED, 0,
                "IPv6 packet of 39 bytes (expected: 40+ bytes)");
        assertReason(() -> new Ipv6View().wrap(MemorySegment.ofArray(Hex.bytes(V6_FIXED.formatted("0000", "06")
                .replaceFirst("6ab", "4ab"))), 0), Reason.BAD_VALUE, 0, "IP version 4 (expected: 6)");
        assertThatThrownBy(() -> new Ipv6View().wrap(MemorySegment.ofArray(new byte[50]), 11, 40))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void ipv6BigTcpOnlyWithMoreThan65535BytesAfterTheHeader() {
        byte[] b = new byte[40 + 65_536];
        Ipv6View.write(MemorySegment.ofArray(b), 0, 0, 0, 0, 6, 64, new byte[16], new byte[16]);
        Ipv6View ip = new Ipv6View().wrap(MemorySegment.ofArray(b), 0);
        assertThat(ip.bigTcp()).isTrue();
        assertThat(ip.packetLength()).isEqualTo(b.length);
        // exactly 65535 bytes after the header: a Payload Length of 0 means an empty payload (and padding)
        ip.wrap(MemorySegment.ofArray(b), 0, 40 + 65_535);
        assertThat(ip.bigTcp()).isFalse();
        assertThat(ip.packetLength()).isEqualTo(40);
        assertThat(ip.upperLayerLength()).isZero();
    }

    @Test
    void ipv6BigTcpOnlyForTcpUdpOrAHopByHopHeader() {
        byte[] b = new byte[40 + 70_000];
        for (int next : new int[] {6, 17, 0}) {
            Ipv6View.write(MemorySegment.ofArray(b), 0, 0, 0, 0, next, 64, new byte[16], new byte[16]);
            b[40] = 59; // a hop-by-hop header's Next Header: none (its length byte 0: 8 bytes)
            Ipv6View ip = new Ipv6View().wrap(MemorySegment.ofArray(b), 0);
            assertThat(ip.bigTcp()).as("next header %d", next).isTrue();
            assertThat(ip.packetLength()).isEqualTo(b.length);
        }
        // ICMPv6 with a Payload Length of 0: an empty payload and padding, not BIG TCP
        Ipv6View.write(MemorySegment.ofArray(b), 0, 0, 0, 0, 58, 64, new byte[16], new byte[16]);
        Ipv6View ip = new Ipv6View().wrap(MemorySegment.ofArray(b), 0);
        assertThat(ip.bigTcp()).isFalse();
        assertThat(ip.packetLength()).isEqualTo(40);
    }

    @Test
    void ipv6WriteOverwritesEveryByte() {
        MemorySegment s = dirty(42);
        byte[] src = Hex.bytes("20010db8000000000000000000000001");
        byte[] dst = Hex.bytes("20010db8000000000000000000000002");
        assertThat(Ipv6View.write(s, 1, 0xab, 0xfffff, 0x1234, 6, 0x3f, src, dst)).isEqualTo(40);
        assertThat(Hex.of(s.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))).isEqualTo("5a" + "6abfffff12340 63f"
                .replace(" ", "") + Hex.of(src) + Hex.of(dst) + "5a");
        // a traffic class or flow label too wide does not spill into the version
        Ipv6View.write(s, 1, 0x1ff, 0x1fffff, 0, 6, 1, src, dst);
        assertThat(new Ipv6View().wrap(s, 1, 40).trafficClass()).isEqualTo(0xff);
        assertThat(Hex.of(s.asSlice(1, 4).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))).isEqualTo("6fffffff");
    }

    // ---- UDP (RFC 768) ----

    @Test
    void udpEveryFieldAndItsBoundaries() {
        MemorySegment s = at3("17c1 9c40 000a 0000 abcd");
        UdpView udp = new UdpView().wrap(s, 3, 10);
        assertThat(udp).isNotNull();
        assertThat(udp.offset()).isEqualTo(3);
        assertThat(udp.sourcePort()).isEqualTo(6081);
        assertThat(udp.destinationPort()).isEqualTo(40000);
        assertThat(udp.length()).isEqualTo(10);
        assertThat(udp.payloadOffset()).isEqualTo(11);
        assertThat(udp.payloadLength()).isEqualTo(2);
        assertThat(udp.checksum(0x1234)).isSameAs(udp);
        assertThat(udp.checksum()).isEqualTo(0x1234);
        // a Length of 8: an empty datagram
        assertThat(new UdpView().wrap(MemorySegment.ofArray(Hex.bytes("0001 0002 0008 0000")), 0, 8).payloadLength()).isZero();
        assertReason(() -> new UdpView().wrap(MemorySegment.ofArray(Hex.bytes("0001 0002 0007 0000")), 0, 8),
                Reason.BAD_LENGTH, 4, "UDP length 7 (expected: 8..8)");
        assertReason(() -> new UdpView().wrap(MemorySegment.ofArray(Hex.bytes("0001 0002 0009 0000")), 0, 8),
                Reason.BAD_LENGTH, 4, "UDP length 9 (expected: 8..8)");
        assertReason(() -> new UdpView().wrap(MemorySegment.ofArray(new byte[7]), 0, 7),
                Reason.TRUNCATED, 0, "UDP datagram of 7 bytes (expected: 8+ bytes)");
        assertThatThrownBy(() -> new UdpView().wrap(MemorySegment.ofArray(new byte[10]), 3, 8))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void udpZeroChecksumMeansNotComputedAndAnyOtherMustVerify() {
        // RFC 768: an all-zero checksum field means the sender computed none
        MemorySegment s = MemorySegment.ofArray(Hex.bytes("17c1 17c1 000a 0000 abcd"));
        UdpView udp = new UdpView().wrap(s, 0, 10);
        long pseudo = InternetChecksum.pseudoHeaderIpv4(0x0a000001L, 0x0a000002L, 17, 10);
        assertThat(udp.checksumValid(pseudo)).isTrue();
        udp.checksum(InternetChecksum.finish(pseudo + InternetChecksum.sum(s, 0, 10)));
        assertThat(udp.checksumValid(pseudo)).isTrue();
        udp.checksum(udp.checksum() ^ 0x0100);
        assertThat(udp.checksumValid(pseudo)).isFalse();
    }

    @Test
    void udpWriteOverwritesEveryByte() {
        MemorySegment s = dirty(10);
        assertThat(UdpView.write(s, 1, 0x0102, 0x0304, 0x0506, 0x0708)).isEqualTo(8);
        assertThat(Hex.of(s.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))).isEqualTo("5a01020304050607085a");
    }

    // ---- TCP (RFC 9293) ----

    @Test
    void tcpEveryField() {
        MemorySegment s = at3("9c40 0050 01020304 05060708 60ff 0a0b 0c0d 0e0f 01010101 cafe");
        TcpView tcp = new TcpView().wrap(s, 3, 26);
        assertThat(tcp.offset()).isEqualTo(3);
        assertThat(tcp.sourcePort()).isEqualTo(40000);
        assertThat(tcp.destinationPort()).isEqualTo(80);
        assertThat(tcp.sequence()).isEqualTo(0x01020304L);
        assertThat(tcp.acknowledgment()).isEqualTo(0x05060708L);
        assertThat(tcp.headerLength()).isEqualTo(24);
        assertThat(tcp.flags()).isEqualTo(0xff);
        assertThat(tcp.fin()).isTrue();
        assertThat(tcp.psh()).isTrue();
        assertThat(tcp.cwr()).isTrue();
        assertThat(tcp.window()).isEqualTo(0x0a0b);
        assertThat(tcp.checksum()).isEqualTo(0x0c0d);
        assertThat(tcp.urgentPointer()).isEqualTo(0x0e0f);
        assertThat(tcp.payloadOffset()).isEqualTo(3 + 24);
        assertThat(tcp.segmentLength()).isEqualTo(26);
        assertThat(tcp.payloadLength()).isEqualTo(2);

        assertThat(tcp.flags(TcpView.ACK)).isSameAs(tcp);
        assertThat(tcp.fin()).isFalse();
        assertThat(tcp.psh()).isFalse();
        assertThat(tcp.cwr()).isFalse();
        assertThat(tcp.flags(TcpView.FIN | TcpView.PSH | TcpView.CWR).flags()).isEqualTo(0x89);
        assertThat(tcp.sequence(0xfffffffeL)).isSameAs(tcp);
        assertThat(tcp.checksum(0x1234)).isSameAs(tcp);
        assertThat(Hex.of(s.asSlice(0, 23).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)))
                .isEqualTo("eeeeee" + "9c400050fffffffe05060708608 90a0b12340e0f".replace(" ", ""));
    }

    @Test
    void tcpChecksumCoversPseudoHeaderHeaderAndData() {
        MemorySegment s = MemorySegment.ofArray(Hex.bytes("9c40 0050 01020304 05060708 5018 0a0b 0000 0000 cafe"));
        TcpView tcp = new TcpView().wrap(s, 0, 22);
        long pseudo = InternetChecksum.pseudoHeaderIpv4(0x0a000001L, 0x0a000002L, 6, 22);
        assertThat(tcp.checksumValid(pseudo)).isFalse();
        assertThat(tcp.updateChecksum(pseudo)).isSameAs(tcp);
        assertThat(tcp.checksumValid(pseudo)).isTrue();
        assertThat(tcp.checksum()).isEqualTo(InternetChecksum.finish(pseudo + InternetChecksum.sum(
                MemorySegment.ofArray(Hex.bytes("9c40 0050 01020304 05060708 5018 0a0b 0000 0000 cafe")), 0, 22)));
        // unlike UDP, a zero TCP checksum is no exemption
        tcp.checksum(0);
        assertThat(tcp.checksumValid(pseudo)).isFalse();
        // the data is covered
        tcp.updateChecksum(pseudo);
        s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, 21, (byte) 0xff);
        assertThat(tcp.checksumValid(pseudo)).isFalse();
    }

    @Test
    void tcpDataOffsetBoundaries() {
        String tcp = "9c400050 00000001 00000000 %s10faf0 0000 0000";
        assertThat(new TcpView().wrap(MemorySegment.ofArray(Hex.bytes(tcp.formatted("50"))), 0, 20).payloadLength()).isZero();
        assertReason(() -> new TcpView().wrap(MemorySegment.ofArray(Hex.bytes(tcp.formatted("40"))), 0, 20),
                Reason.BAD_LENGTH, 12, "TCP data offset 4 (expected: 5..5)");
        assertReason(() -> new TcpView().wrap(MemorySegment.ofArray(Hex.bytes(tcp.formatted("f0") + "00".repeat(20))), 0, 40),
                Reason.BAD_LENGTH, 12, "TCP data offset 15 (expected: 5..10)");
        assertReason(() -> new TcpView().wrap(MemorySegment.ofArray(new byte[19]), 0, 19),
                Reason.TRUNCATED, 0, "TCP segment of 19 bytes (expected: 20+ bytes)");
        assertThatThrownBy(() -> new TcpView().wrap(MemorySegment.ofArray(new byte[30]), 11, 20))
                .isInstanceOf(IllegalArgumentException.class);
    }

    // ---- the checksum arithmetic (RFC 1071, RFC 1624) ----

    /** RFC 768 / RFC 793 / RFC 8200 §8.1 pseudo-header laid out in bytes, the length as 32 bits. */
    private static byte[] pseudoHeaderBytes(byte[] source, byte[] destination, int protocol, long length) {
        byte[] p = new byte[source.length + destination.length + 8];
        System.arraycopy(source, 0, p, 0, source.length);
        System.arraycopy(destination, 0, p, source.length, destination.length);
        int at = source.length + destination.length;
        p[at] = (byte) (length >>> 24);
        p[at + 1] = (byte) (length >>> 16);
        p[at + 2] = (byte) (length >>> 8);
        p[at + 3] = (byte) length;
        p[at + 7] = (byte) protocol;
        return p;
    }

    @Test
    void pseudoHeaderSumsEqualTheirByteLayoutsForEveryLength() {
        // lengths beyond 16 bits occur with BIG TCP and jumbograms (RFC 2675)
        Gen<long[]> cases = s -> new long[] {s.between(0, 255), s.bool() ? s.between(0, 0xFFFF) : s.between(0, Integer.MAX_VALUE)
                + (long) s.between(0, Integer.MAX_VALUE) + 1, s.between(0, Integer.MAX_VALUE), s.between(0, Integer.MAX_VALUE)};
        Property.forAll("pseudo-header sum equals its bytes", 500, cases, c -> {
            int protocol = (int) c[0];
            long length = c[1] & 0xFFFF_FFFFL;
            long src = (c[2] * 7919) & 0xFFFF_FFFFL;
            long dst = (c[3] * 104729) & 0xFFFF_FFFFL;
            byte[] s4 = {(byte) (src >>> 24), (byte) (src >>> 16), (byte) (src >>> 8), (byte) src};
            byte[] d4 = {(byte) (dst >>> 24), (byte) (dst >>> 16), (byte) (dst >>> 8), (byte) dst};
            byte[] v4 = pseudoHeaderBytes(s4, d4, protocol, length);
            assertThat(InternetChecksum.finish(InternetChecksum.pseudoHeaderIpv4(src, dst, protocol, length)))
                    .isEqualTo(InternetChecksumTest.reference(v4, 0, v4.length));
            byte[] addresses = new byte[32];
            for (int i = 0; i < 32; i++) {
                addresses[i] = (byte) (src >>> (i % 4 * 8) ^ dst >>> (i % 3 * 8) ^ i);
            }
            byte[] v6 = pseudoHeaderBytes(Arrays.copyOf(addresses, 16), Arrays.copyOfRange(addresses, 16, 32), protocol, length);
            assertThat(InternetChecksum.finish(InternetChecksum.pseudoHeaderIpv6(MemorySegment.ofArray(addresses), 0, protocol, length)))
                    .isEqualTo(InternetChecksumTest.reference(v6, 0, v6.length));
        });
    }

    @Test
    void foldIsTheEndAroundCarrySum() {
        // RFC 1071 §1: carries out of bit 15 are added back in, whatever their number
        assertThat(InternetChecksum.fold(0xFFFFL)).isEqualTo(0xFFFF);
        assertThat(InternetChecksum.fold(0x1FFFEL)).isEqualTo(0xFFFF);
        assertThat(InternetChecksum.fold(0x1_0000_0000L)).isEqualTo(1);
        assertThat(InternetChecksum.fold(0xFFFF_FFFFL)).isEqualTo(0xFFFF);
        assertThat(InternetChecksum.fold(0x1_FFFF_FFFEL)).isEqualTo(0xFFFF);
        assertThat(InternetChecksum.fold(0x8000_0000_0000_0000L)).isEqualTo(0x8000);
        assertThat(InternetChecksum.fold(0x0001_0002_0003_0004L)).isEqualTo(10);
        assertThat(InternetChecksum.fold(0xFFFF_0000_0000_0001L)).isEqualTo(1);
        assertThat(InternetChecksum.finish(0x1_0000L)).isEqualTo(0xFFFE);
        assertThat(Internals.negate(0x1234)).isEqualTo(0xEDCB);
        assertThat(Internals.negate(0)).isEqualTo(0xFFFF);
        // x + ~x is one's complement -0 (0xFFFF)
        assertThat(InternetChecksum.fold(0x1234 + Internals.negate(0x1234))).isEqualTo(0xFFFF);
    }

    @Test
    void rfc1624Examples() {
        // RFC 1624 §4: HC = 0xDD2F, m = 0x5555 changed to m' = 0x3285: HC' = 0x0000 (eqn. 3), not 0xFFFF
        assertThat(InternetChecksum.update(0xDD2F, 0x5555, 0x3285)).isZero();
        // and back
        assertThat(InternetChecksum.update(0x0000, 0x3285, 0x5555)).isEqualTo(0xDD2F);
        // a 32-bit field is two 16-bit words
        assertThat(InternetChecksum.update32(0xDD2F, 0x5555_0000L, 0x3285_0000L)).isZero();
        assertThat(InternetChecksum.update32(0xDD2F, 0x0000_5555L, 0x0000_3285L)).isZero();
        assertThat(InternetChecksum.update32(0x1234, 0xFFFF_FFFFL, 0xFFFF_FFFFL)).isEqualTo(0x1234);
    }
}
