package io.github.geneve4j.codec.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.codec.internal.Wire;
import io.github.geneve4j.testing.Hex;
import java.lang.foreign.MemorySegment;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The flow hash picks the outer UDP source port (RFC 8926 §3.3): the same for every packet of a
 * flow, different between flows. The exact values are pinned too: a change of hash moves every
 * tunnelled flow to another outer port (and ECMP path) on upgrade, so it must be deliberate.
 */
class FlowHashTest {

    private static final String ETH = "020000000002 020000000001";
    private static final String IPV4_TCP = "45000028 1c46 4000 4006 0000 0a000001 0a000002";
    private static final String PORTS = "9c40 1451";
    private static final String TCP_REST = "00000001 00000000 5010faf0 0000 0000";
    private static final String IPV6_TCP = "6 00 12345 0014 06 40"
            + "20010db8000000000000000000000001 20010db8000000000000000000000002";

    private static int hash(String hex, int protocolType) {
        byte[] b = Hex.bytes(hex);
        return FlowHash.hash(MemorySegment.ofArray(b), 0, b.length, protocolType);
    }

    private static int ethernet(String hex) {
        return hash(hex, EtherType.TRANSPARENT_ETHERNET);
    }

    @Test
    void pinnedValuesForEachKindOfPacket() {
        // computed by this implementation on 2026-12-01; see the class comment before changing them
        assertThat(ethernet(ETH + "0800" + IPV4_TCP + PORTS + TCP_REST)).isEqualTo(0xe947e339);
        assertThat(ethernet(ETH + "8100 0064 0800" + IPV4_TCP + PORTS + TCP_REST)).isEqualTo(0x273a147e);
        assertThat(ethernet(ETH + "86dd" + IPV6_TCP + PORTS + TCP_REST)).isEqualTo(0x3967809e);
        assertThat(hash(IPV4_TCP + PORTS + TCP_REST, EtherType.IPV4)).isEqualTo(0xe947e339);
        assertThat(hash(IPV6_TCP + PORTS + TCP_REST, EtherType.IPV6)).isEqualTo(0x3967809e);
        assertThat(ethernet(ETH + "0806" + "0001080006040001")).isEqualTo(0x0f4070e7);
        assertThat(ethernet("0200")).isEqualTo(0x50f6d81f);
    }

    @Test
    void sameFlowSameHashWhateverElseChanges() {
        // sequence number, flags, window, payload, IPv4 ID, TTL and header checksum are not the flow
        int a = ethernet(ETH + "0800" + IPV4_TCP + PORTS + TCP_REST);
        int b = ethernet(ETH + "0800" + "4500 05dc 9999 4000 3f06 1234 0a000001 0a000002" + PORTS
                + "12345678 9abcdef0 5018 0100 abcd 0000" + "deadbeef".repeat(100));
        assertThat(b).isEqualTo(a);
        // and the MAC addresses are not either
        assertThat(ethernet("0a0b0c0d0e0f 010203040506 0800" + IPV4_TCP + PORTS + TCP_REST)).isEqualTo(a);
    }

    @Test
    void everyFieldOfTheFlowChangesTheHash() {
        Set<Integer> hashes = new HashSet<>();
        String[] flows = {
            ETH + "0800" + IPV4_TCP + PORTS + TCP_REST,
            ETH + "0800" + IPV4_TCP.replace("0a000001 ", "0a000003 ") + PORTS + TCP_REST,   // source
            ETH + "0800" + IPV4_TCP.replace(" 0a000002", " 0a000004") + PORTS + TCP_REST,   // destination
            ETH + "0800" + IPV4_TCP.replace("4006", "4011") + PORTS + TCP_REST,             // protocol
            ETH + "0800" + IPV4_TCP + "9c41 1451" + TCP_REST,                               // source port
            ETH + "0800" + IPV4_TCP + "9c40 1452" + TCP_REST,                               // destination port
            ETH + "8100 0064 0800" + IPV4_TCP + PORTS + TCP_REST,                           // VLAN 100
            ETH + "8100 0065 0800" + IPV4_TCP + PORTS + TCP_REST,                           // VLAN 101
            ETH + "86dd" + IPV6_TCP + PORTS + TCP_REST,
            ETH + "86dd" + IPV6_TCP.replace("12345", "12346") + PORTS + TCP_REST,           // flow label
            ETH + "86dd" + IPV6_TCP.replace("0000000000000001 ", "0000000000000003 ") + PORTS + TCP_REST,
            ETH + "86dd" + IPV6_TCP.replace("0000000000000002", "0000000000000004") + PORTS + TCP_REST,
            ETH + "86dd" + IPV6_TCP.replace("0014 06", "0014 11") + PORTS + TCP_REST,       // next header
            ETH + "86dd" + IPV6_TCP + "9c41 1451" + TCP_REST,
            ETH + "86dd" + IPV6_TCP + "9c40 1452" + TCP_REST,
        };
        for (String flow : flows) {
            hashes.add(ethernet(flow));
        }
        assertThat(hashes).hasSameSizeAs(flows);
    }

    @Test
    void portsAreReadOnlyForTcpAndUdpInFirstFragmentsAfterTheOptions() {
        // ICMP: the bytes after the header are not ports
        String icmp = IPV4_TCP.replace("4006", "4001");
        assertThat(ethernet(ETH + "0800" + icmp + "0800 0001")).isEqualTo(ethernet(ETH + "0800" + icmp + "0000 0002"));
        // UDP: they are
        String udp = IPV4_TCP.replace("4006", "4011");
        assertThat(ethernet(ETH + "0800" + udp + "0800 0001")).isNotEqualTo(ethernet(ETH + "0800" + udp + "0800 0002"));
        // a non-first fragment carries no ports, whatever its bytes say; a first one (MF only) does
        String later = IPV4_TCP.replace("4000 4006", "20b9 4006");
        assertThat(ethernet(ETH + "0800" + later + PORTS + TCP_REST))
                .isEqualTo(ethernet(ETH + "0800" + later + "1111 2222" + TCP_REST));
        String first = IPV4_TCP.replace("4000 4006", "2000 4006");
        assertThat(ethernet(ETH + "0800" + first + PORTS + TCP_REST))
                .isNotEqualTo(ethernet(ETH + "0800" + first + "1111 2222" + TCP_REST));
        // with options (IHL 6) the ports follow the options
        String withOptions = IPV4_TCP.replace("45000028", "46000028") + "01010100";
        assertThat(ethernet(ETH + "0800" + withOptions + PORTS + TCP_REST))
                .isEqualTo(ethernet(ETH + "0800" + withOptions.replace("01010100", "01010101") + PORTS + TCP_REST))
                .isNotEqualTo(ethernet(ETH + "0800" + withOptions + "9c41 1451" + TCP_REST));
        // an IHL below 5 is not trusted: no ports
        String badIhl = IPV4_TCP.replace("45000028", "44000028");
        assertThat(ethernet(ETH + "0800" + badIhl + PORTS + TCP_REST))
                .isEqualTo(ethernet(ETH + "0800" + badIhl + "1111 2222" + TCP_REST));
    }

    @Test
    void aShortPacketIsHashedAsFarAsItGoes() {
        // exactly the four bytes of ports after the IP header: read
        assertThat(ethernet(ETH + "0800" + IPV4_TCP + PORTS)).isNotEqualTo(ethernet(ETH + "0800" + IPV4_TCP + "9c41 1451"))
                .isEqualTo(ethernet(ETH + "0800" + IPV4_TCP + PORTS + TCP_REST));
        assertThat(ethernet(ETH + "0800" + IPV4_TCP + "9c40 14")).isEqualTo(ethernet(ETH + "0800" + IPV4_TCP + "1111 11"));
        // exactly a fixed IPv6 header: addresses read, no ports
        assertThat(ethernet(ETH + "86dd" + IPV6_TCP))
                .isNotEqualTo(ethernet(ETH + "86dd" + IPV6_TCP.replace("0000000000000002", "0000000000000004")));
        String shortV6 = (ETH + "86dd" + IPV6_TCP).replace(" ", "");
        String otherV6 = (ETH + "86dd" + IPV6_TCP.replace("0000000000000001 ", "0000000000000003 ")).replace(" ", "");
        assertThat(ethernet(shortV6.substring(0, shortV6.length() - 2)))
                .isEqualTo(ethernet(otherV6.substring(0, otherV6.length() - 2)));
        // exactly an IPv4 header, and one byte less: the addresses count only when the header is whole
        assertThat(ethernet(ETH + "0800" + IPV4_TCP))
                .isNotEqualTo(ethernet(ETH + "0800" + IPV4_TCP.replace(" 0a000002", " 0a000004")));
        String shortV4 = (ETH + "0800" + IPV4_TCP).replace(" ", "");
        shortV4 = shortV4.substring(0, shortV4.length() - 2);
        assertThat(ethernet(shortV4)).isEqualTo(ethernet(shortV4.substring(0, shortV4.length() - 2) + "ff"));
        // exactly an Ethernet header: its EtherType counts; one byte less: nothing does
        assertThat(ethernet(ETH + "0806")).isNotEqualTo(ethernet(ETH + "0807"));
        assertThat(ethernet(ETH + "08")).isEqualTo(ethernet("ffffffffffff ffffffffffff ff"));
        // exactly a tag: its VLAN ID counts
        assertThat(ethernet(ETH + "8100 0064 0800")).isNotEqualTo(ethernet(ETH + "8100 0065 0800"));
        // a tag cut short is not read
        assertThat(ethernet(ETH + "8100 0064")).isEqualTo(ethernet(ETH + "8100 0065"));
        // an unknown protocol type hashes as that type
        assertThat(hash("0102", 0x1234)).isNotEqualTo(hash("0102", 0x1235));
    }

    @Test
    void readsNoFurtherThanTheLengthOrTheSegment() {
        byte[] b = Hex.bytes(ETH + "0800" + IPV4_TCP + PORTS + TCP_REST);
        MemorySegment s = MemorySegment.ofArray(b);
        int whole = FlowHash.hash(s, 0, b.length, EtherType.TRANSPARENT_ETHERNET);
        // a length past the end is clamped to the segment, never read beyond it
        assertThat(FlowHash.hash(s, 0, b.length + 1000, EtherType.TRANSPARENT_ETHERNET)).isEqualTo(whole);
        // at an offset, with garbage after the length: the same
        byte[] shifted = new byte[b.length + 9];
        java.util.Arrays.fill(shifted, (byte) 0x5a);
        System.arraycopy(b, 0, shifted, 5, b.length);
        MemorySegment t = MemorySegment.ofArray(shifted);
        assertThat(FlowHash.hash(t, 5, b.length, EtherType.TRANSPARENT_ETHERNET)).isEqualTo(whole);
        assertThat(FlowHash.hash(t, 5, b.length + 100, EtherType.TRANSPARENT_ETHERNET)).isEqualTo(whole);
        // headers without ports at the end of a segment, a length far past it: no read beyond the segment
        byte[] tail = new byte[5 + 34 + 2];
        System.arraycopy(b, 0, tail, 5, 34);
        assertThat(FlowHash.hash(MemorySegment.ofArray(tail), 5, 1000, EtherType.TRANSPARENT_ETHERNET))
                .isEqualTo(FlowHash.hash(s, 0, 36, EtherType.TRANSPARENT_ETHERNET));
        // a length that stops before the ports: they are not read
        int noPorts = FlowHash.hash(s, 0, 34, EtherType.TRANSPARENT_ETHERNET);
        Wire.putU16(s, 34, 1);
        assertThat(FlowHash.hash(s, 0, 34, EtherType.TRANSPARENT_ETHERNET)).isEqualTo(noPorts);
    }

    @Test
    void sourcePortScalesTheHashIntoTheRangeByMultiplying() {
        // as Linux's udp_flow_src_port: (hash * range) >> 32, so the top bits pick the port
        assertThat(FlowHash.sourcePort(0, 49152, 65535)).isEqualTo(49152);
        assertThat(FlowHash.sourcePort(-1, 49152, 65535)).isEqualTo(65535);
        assertThat(FlowHash.sourcePort(0x8000_0000, 0, 65535)).isEqualTo(32768);
        assertThat(FlowHash.sourcePort(0x4000_0000, 1000, 1003)).isEqualTo(1001);
        assertThat(FlowHash.sourcePort(0x3FFF_FFFF, 1000, 1003)).isEqualTo(1000);
        assertThat(FlowHash.sourcePort(0xC000_0000, 1000, 1003)).isEqualTo(1003);
        assertThat(FlowHash.sourcePort(0x1234_5678, 7, 7)).isEqualTo(7);
        assertThat(FlowHash.sourcePort(-1, 0, 0)).isZero();
        assertThat(FlowHash.sourcePort(-1, 65535, 65535)).isEqualTo(65535);
        for (int[] bad : new int[][] {{-1, 10}, {0, 65536}, {11, 10}}) {
            assertThatThrownBy(() -> FlowHash.sourcePort(0, bad[0], bad[1])).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("port range " + bad[0] + ".." + bad[1] + " (expected: within 0..65535)");
        }
    }

    @Test
    void sourcePortsSpreadOverTheWholeRange() {
        int[] counts = new int[16];
        byte[] b = Hex.bytes(ETH + "0800" + IPV4_TCP + PORTS + TCP_REST);
        MemorySegment s = MemorySegment.ofArray(b);
        for (int port = 0; port < 4096; port++) {
            Wire.putU16(s, 34, port);
            counts[FlowHash.sourcePort(FlowHash.hash(s, 0, b.length, EtherType.TRANSPARENT_ETHERNET), 0, 15)]++;
        }
        // 256 expected per port; a poor mix (or none) leaves some empty or crowds a few
        assertThat(java.util.Arrays.stream(counts).boxed().toList()).allSatisfy(c -> assertThat(c).isBetween(190, 330));
    }
}
