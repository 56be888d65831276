package io.github.geneve4j.codec.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.codec.Geneve;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.NetworkOrder;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.testing.Hex;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * The published field offsets read, through {@link NetworkOrder}, the fields the views read: over
 * headers from their RFCs' figures (IPv4 RFC 791 §3.1, IPv6 RFC 8200 §3, UDP RFC 768, TCP RFC 9293
 * §3.1, Geneve RFC 8926 §3.4-3.5), each field holding a different value.
 */
class FieldOffsetsTest {

    private static MemorySegment at3(String hex) {
        byte[] bytes = Hex.bytes(hex);
        MemorySegment s = MemorySegment.ofArray(new byte[3 + bytes.length]);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, s, 3, bytes.length);
        return s;
    }

    private static int u8(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    private static int u16(MemorySegment s, long at) {
        return s.get(NetworkOrder.SHORT, at) & 0xFFFF;
    }

    private static long u32(MemorySegment s, long at) {
        return s.get(NetworkOrder.INT, at) & 0xFFFF_FFFFL;
    }

    @Test
    void networkOrderIsBigEndianUnalignedWhateverThePlatform() {
        MemorySegment s = MemorySegment.ofArray(new byte[] {0, 1, 2, 3, 4, 5, 6, 7, 8});
        assertThat(s.get(NetworkOrder.SHORT, 1)).isEqualTo((short) 0x0102);
        assertThat(s.get(NetworkOrder.INT, 1)).isEqualTo(0x01020304);
        assertThat(s.get(NetworkOrder.LONG, 1)).isEqualTo(0x0102030405060708L);
        assertThat(NetworkOrder.INT.order()).isEqualTo(ByteOrder.BIG_ENDIAN);
        assertThat(NetworkOrder.LONG.byteAlignment()).isEqualTo(1);
    }

    @Test
    void ethernet() {
        MemorySegment s = at3("020000000002 020000000001 8100 a064 0800");
        EthernetView v = new EthernetView().wrap(s, 3);
        assertThat(s.get(NetworkOrder.INT, 3 + EthernetView.DESTINATION_OFFSET + 2)).isEqualTo((int) v.destination());
        assertThat(u32(s, 3 + EthernetView.SOURCE_OFFSET + 2)).isEqualTo(v.source() & 0xFFFF_FFFFL);
        assertThat(u16(s, 3 + EthernetView.ETHER_TYPE_OFFSET)).isEqualTo(EtherType.VLAN);
        assertThat(u16(s, 3 + EthernetView.TCI_OFFSET) & 0xFFF).isEqualTo(v.vlanId());
        assertThat(u16(s, 3 + EthernetView.TAGGED_ETHER_TYPE_OFFSET)).isEqualTo(v.etherType());
        assertThat(EthernetView.SOURCE_OFFSET - EthernetView.DESTINATION_OFFSET).isEqualTo(EthernetView.MAC_LENGTH);
    }

    @Test
    void ipv4() {
        MemorySegment s = at3("45 b9 0015 1c46 4002 3f 11 0000 c0000201 c6336402 00");
        Ipv4View v = new Ipv4View().wrap(s, 3, 21);
        assertThat(u8(s, 3 + Ipv4View.TOS_OFFSET) >>> 2).isEqualTo(v.dscp());
        assertThat(u16(s, 3 + Ipv4View.TOTAL_LENGTH_OFFSET)).isEqualTo(v.totalLength()).isEqualTo(21);
        assertThat(u16(s, 3 + Ipv4View.IDENTIFICATION_OFFSET)).isEqualTo(v.identification());
        assertThat(u16(s, 3 + Ipv4View.FLAGS_OFFSET) & 0x1FFF).isEqualTo(v.fragmentOffset()).isEqualTo(2);
        assertThat(u8(s, 3 + Ipv4View.TTL_OFFSET)).isEqualTo(v.ttl()).isEqualTo(63);
        assertThat(u8(s, 3 + Ipv4View.PROTOCOL_OFFSET)).isEqualTo(v.protocol()).isEqualTo(17);
        v.updateChecksum();
        assertThat(u16(s, 3 + Ipv4View.CHECKSUM_OFFSET)).isEqualTo(v.checksum()).isNotZero();
        assertThat(u32(s, 3 + Ipv4View.SOURCE_OFFSET)).isEqualTo(v.source());
        assertThat(u32(s, 3 + Ipv4View.DESTINATION_OFFSET)).isEqualTo(v.destination());
        assertThat(Ipv4View.DESTINATION_OFFSET - Ipv4View.SOURCE_OFFSET).isEqualTo(Ipv4View.ADDRESS_LENGTH);
    }

    @Test
    void ipv6() {
        MemorySegment s = at3("6b912345 0008 11 3e" + "20010db8000000000000000000000a01" + "20010db8000000000000000000000a02"
                + "9c40 17c1 0008 0000");
        Ipv6View v = new Ipv6View().wrap(s, 3);
        assertThat(u16(s, 3 + Ipv6View.PAYLOAD_LENGTH_OFFSET)).isEqualTo(v.payloadLengthField()).isEqualTo(8);
        assertThat(u8(s, 3 + Ipv6View.NEXT_HEADER_OFFSET)).isEqualTo(v.nextHeader()).isEqualTo(17);
        assertThat(u8(s, 3 + Ipv6View.HOP_LIMIT_OFFSET)).isEqualTo(v.hopLimit()).isEqualTo(62);
        assertThat(3 + Ipv6View.SOURCE_OFFSET).isEqualTo(v.sourceOffset());
        assertThat(3 + Ipv6View.DESTINATION_OFFSET).isEqualTo(v.destinationOffset());
        assertThat(Ipv6View.DESTINATION_OFFSET - Ipv6View.SOURCE_OFFSET).isEqualTo(Ipv6View.ADDRESS_LENGTH);
    }

    @Test
    void udp() {
        MemorySegment s = at3("9c40 17c1 000a abcd 0102");
        UdpView v = new UdpView().wrap(s, 3, 10);
        assertThat(u16(s, 3 + UdpView.SOURCE_PORT_OFFSET)).isEqualTo(v.sourcePort()).isEqualTo(40000);
        assertThat(u16(s, 3 + UdpView.DESTINATION_PORT_OFFSET)).isEqualTo(v.destinationPort()).isEqualTo(6081);
        assertThat(u16(s, 3 + UdpView.LENGTH_OFFSET)).isEqualTo(v.length()).isEqualTo(10);
        assertThat(u16(s, 3 + UdpView.CHECKSUM_OFFSET)).isEqualTo(v.checksum()).isEqualTo(0xabcd);
    }

    @Test
    void tcp() {
        MemorySegment s = at3("9c40 1451 01020304 05060708 50 18 faf0 abcd 0011");
        TcpView v = new TcpView().wrap(s, 3, 20);
        assertThat(u16(s, 3 + TcpView.SOURCE_PORT_OFFSET)).isEqualTo(v.sourcePort());
        assertThat(u16(s, 3 + TcpView.DESTINATION_PORT_OFFSET)).isEqualTo(v.destinationPort()).isEqualTo(5201);
        assertThat(u32(s, 3 + TcpView.SEQUENCE_OFFSET)).isEqualTo(v.sequence()).isEqualTo(0x01020304L);
        assertThat(u32(s, 3 + TcpView.ACKNOWLEDGMENT_OFFSET)).isEqualTo(v.acknowledgment());
        assertThat((u8(s, 3 + TcpView.DATA_OFFSET_OFFSET) >>> 4) * 4).isEqualTo(v.headerLength());
        assertThat(u8(s, 3 + TcpView.FLAGS_OFFSET)).isEqualTo(v.flags()).isEqualTo(TcpView.ACK | TcpView.PSH);
        assertThat(u16(s, 3 + TcpView.WINDOW_OFFSET)).isEqualTo(v.window());
        assertThat(u16(s, 3 + TcpView.CHECKSUM_OFFSET)).isEqualTo(v.checksum()).isEqualTo(0xabcd);
        assertThat(u16(s, 3 + TcpView.URGENT_POINTER_OFFSET)).isEqualTo(v.urgentPointer()).isEqualTo(0x11);
    }

    @Test
    void geneve() {
        GeneveHeader header = GeneveHeader.of(ProtocolType.ETHERNET, 0xABCDEF,
                new GeneveOption(0x0108, 0x85, new byte[] {1, 2, 3, 4}));
        MemorySegment s = MemorySegment.ofArray(new byte[3 + header.encodedLength()]);
        header.encode(s, 3);
        assertThat(u8(s, 3 + Geneve.OPTIONS_LENGTH_OFFSET) & 0x3F).isEqualTo(2);
        assertThat(u8(s, 3 + Geneve.FLAGS_OFFSET)).isEqualTo(0x40); // C: a critical option
        assertThat(u16(s, 3 + Geneve.PROTOCOL_TYPE_OFFSET)).isEqualTo(ProtocolType.ETHERNET);
        assertThat(u32(s, 3 + Geneve.VNI_OFFSET) >>> 8).isEqualTo(0xABCDEF);
        long option = 3 + Geneve.BASE_HEADER_LENGTH;
        assertThat(u16(s, option + Geneve.OPTION_CLASS_OFFSET)).isEqualTo(0x0108);
        assertThat(u8(s, option + Geneve.OPTION_TYPE_OFFSET)).isEqualTo(0x85);
        assertThat(u8(s, option + Geneve.OPTION_LENGTH_OFFSET) & 0x1F).isEqualTo(1);
    }
}
