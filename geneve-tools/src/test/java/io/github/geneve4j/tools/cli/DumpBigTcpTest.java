package io.github.geneve4j.tools.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.codec.net.EtherType;
import io.github.geneve4j.codec.net.EthernetView;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.Ipv4View;
import io.github.geneve4j.codec.net.TcpView;
import io.github.geneve4j.codec.net.UdpView;
import io.github.geneve4j.pcap.LinkType;
import io.github.geneve4j.pcap.testing.CaptureBuilder;
import io.github.geneve4j.testing.TestFrames;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code geneve dump} prints a Linux BIG TCP super-frame through Geneve (issue 32): outer IPv4 Total
 * Length 0 and UDP Length 0, as a capture on the sending host holds the GSO packet of more than
 * 65,535 bytes; the lengths come from the captured bytes, as tcpdump takes them.
 */
class DumpBigTcpTest {

    @Test
    void printsABigTcpSuperFrame(@TempDir Path dir) throws IOException {
        byte[] inner = TestFrames.tcp(IpVersion.IPV4, false, 12, TestFrames.payload(68_000, 3),
                TcpView.ACK | TcpView.PSH, 1, 1);
        GeneveHeader geneve = GeneveHeader.of(ProtocolType.ETHERNET, 4242);
        int udp = 14 + 20;
        byte[] frame = new byte[udp + 8 + geneve.encodedLength() + inner.length];
        MemorySegment s = MemorySegment.ofArray(frame);
        EthernetView.write(s, 0, 0x0200_0000_0002L, 0x0200_0000_0001L, -1, EtherType.IPV4);
        Ipv4View.write(s, 14, 0, 0, 7, true, 64, EtherType.PROTOCOL_UDP, 0xac1f_0001L, 0xac1f_0002L);
        UdpView.write(s, udp, 50_123, 6081, 0, 0);
        geneve.encode(s, udp + 8);
        MemorySegment.copy(MemorySegment.ofArray(inner), 0, s, udp + 8 + geneve.encodedLength(), inner.length);
        Path file = dir.resolve("bigtcp.pcap");
        Files.write(file, CaptureBuilder.pcap(ByteOrder.LITTLE_ENDIAN, false, LinkType.ETHERNET, frame));

        DumpCommandTest.Run run = DumpCommandTest.run("dump", file.toString());
        assertThat(run.err()).isEmpty();
        assertThat(run.code()).isZero();
        assertThat(run.out()).singleElement().asString()
                .startsWith("{\"frame\":1,\"outer\":{\"src\":\"172.31.0.1\",\"dst\":\"172.31.0.2\",\"srcPort\":50123,"
                        + "\"dstPort\":6081},\"vni\":4242,\"protocolType\":25944,")
                .endsWith("\"payloadLength\":" + inner.length + "}");
    }
}
