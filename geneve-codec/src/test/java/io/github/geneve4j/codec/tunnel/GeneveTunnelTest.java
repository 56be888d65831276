package io.github.geneve4j.codec.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.testing.PcapTestWriter;
import io.github.geneve4j.testing.TestFrames;
import io.github.geneve4j.testing.TsharkRunner;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GeneveTunnelTest {

    static GeneveTunnel.Builder builder(IpVersion outer, boolean options) throws Exception {
        GeneveHeader header = options
                ? GeneveHeader.of(ProtocolType.ETHERNET, 5000,
                        new GeneveOption(0x0108, 1, new byte[8]), new GeneveOption(0x0108, 2, new byte[] {1, 2, 3, 4, 5, 6, 7, 8}),
                        new GeneveOption(0x0108, 3, new byte[] {9, 9, 9, 9}))
                : GeneveHeader.of(ProtocolType.ETHERNET, 5000);
        return GeneveTunnel.builder()
                .macs(0x020000000001L, 0x020000000002L)
                .addresses(outer == IpVersion.IPV4 ? InetAddress.getByName("192.0.2.1") : InetAddress.getByName("2001:db8::1"),
                        outer == IpVersion.IPV4 ? InetAddress.getByName("192.0.2.2") : InetAddress.getByName("2001:db8::2"))
                .header(header);
    }

    @Test
    void overheadFigures() {
        assertThat(TunnelOverhead.ipOverhead(IpVersion.IPV4, 32)).isEqualTo(68); // AWS GWLB
        assertThat(TunnelOverhead.frameOverhead(IpVersion.IPV4, false, 0)).isEqualTo(50);
        assertThat(TunnelOverhead.frameOverhead(IpVersion.IPV6, true, 0)).isEqualTo(74);
        assertThat(TunnelOverhead.innerMtu(1500, IpVersion.IPV4, 0, true)).isEqualTo(1450);
        assertThat(TunnelOverhead.innerMtu(9001, IpVersion.IPV4, 32, false)).isEqualTo(8933);
        assertThatThrownBy(() -> TunnelOverhead.ipOverhead(IpVersion.IPV4, 3)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void encapsulatesInPlaceAndDecapsulatesBack() throws Exception {
        for (IpVersion outer : IpVersion.values()) {
            for (boolean options : new boolean[] {false, true}) {
                GeneveTunnel tunnel = builder(outer, options).vlan(7, 1).build();
                byte[] inner = TestFrames.tcp(IpVersion.IPV4, false, 12, TestFrames.payload(300, 1), 0x18, 1, 9);
                byte[] buf = new byte[400 + inner.length];
                System.arraycopy(inner, 0, buf, 400, inner.length);
                MemorySegment s = MemorySegment.ofArray(buf);
                long start = tunnel.encapsulate(s, 400, inner.length);
                assertThat(start).isEqualTo(400 - tunnel.overhead());
                GeneveFrameView view = new GeneveFrameView().wrap(s, start, tunnel.overhead() + inner.length);
                assertThat(view.ipVersion()).isEqualTo(outer);
                assertThat(view.ethernet().vlanId()).isEqualTo(7);
                assertThat(view.geneve().toHeader()).isEqualTo(tunnel.header());
                assertThat(view.inner().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).isEqualTo(inner);
                assertThat(view.udpChecksumValid()).isTrue();
                assertThat(view.udp().checksum()).isNotZero();
                assertThat(view.udp().sourcePort()).isBetween(49152, 65535);
                if (outer == IpVersion.IPV4) {
                    assertThat(view.ipv4().checksumValid()).isTrue();
                    assertThat(view.ipv4().dontFragment()).isTrue();
                }
            }
        }
    }

    @Test
    void copyModeMatchesInPlaceAndSourcePortIsStablePerFlow() throws Exception {
        GeneveTunnel a = builder(IpVersion.IPV6, true).sourcePortRange(1000, 1009).build();
        GeneveTunnel b = builder(IpVersion.IPV6, true).sourcePortRange(1000, 1009).build();
        byte[] inner = TestFrames.tcp(IpVersion.IPV6, true, 0, TestFrames.payload(77, 3), 0x10, 5, 0);
        byte[] target = new byte[a.overhead() + inner.length + 3];
        long length = a.encapsulate(MemorySegment.ofArray(inner), 0, inner.length, MemorySegment.ofArray(target), 3);
        byte[] buf = new byte[b.overhead() + inner.length];
        System.arraycopy(inner, 0, buf, b.overhead(), inner.length);
        b.encapsulate(MemorySegment.ofArray(buf), b.overhead(), inner.length);
        assertThat(length).isEqualTo(buf.length);
        assertThat(java.util.Arrays.copyOfRange(target, 3, target.length)).isEqualTo(buf);
        int port = new GeneveFrameView().wrap(MemorySegment.ofArray(buf), 0, buf.length).udp().sourcePort();
        assertThat(port).isBetween(1000, 1009);
        byte[] other = TestFrames.tcp(IpVersion.IPV6, true, 0, TestFrames.payload(500, 4), 0x10, 999, 0);
        assertThat(a.sourcePort(MemorySegment.ofArray(other), 0, other.length)).isEqualTo(port); // same 5-tuple
    }

    @Test
    void zeroChecksumWhenConfigured() throws Exception {
        GeneveTunnel tunnel = builder(IpVersion.IPV4, false).udpChecksum(false).build();
        byte[] inner = TestFrames.tcp(IpVersion.IPV4, false, 0, new byte[10], 0x10, 5, 0);
        byte[] buf = new byte[tunnel.overhead() + inner.length];
        tunnel.encapsulate(MemorySegment.ofArray(inner), 0, inner.length, MemorySegment.ofArray(buf), 0);
        assertThat(new GeneveFrameView().wrap(MemorySegment.ofArray(buf), 0, buf.length).udp().checksum()).isZero();
    }

    @Test
    void rejectsMissingHeadroomAndNonGeneveFrames() throws Exception {
        GeneveTunnel tunnel = builder(IpVersion.IPV4, false).build();
        assertThatThrownBy(() -> tunnel.encapsulate(MemorySegment.ofArray(new byte[100]), 10, 50))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("headroom");
        byte[] tcp = TestFrames.tcp(IpVersion.IPV4, false, 0, new byte[10], 0x10, 5, 0);
        assertThatThrownBy(() -> new GeneveFrameView().wrap(MemorySegment.ofArray(tcp), 0, tcp.length))
                .isInstanceOfSatisfying(GeneveFormatException.class,
                        e -> assertThat(e.reason()).isEqualTo(GeneveFormatException.Reason.NOT_GENEVE));
    }

    @Tag("system")
    @Test
    void tsharkAgreesOnChecksumsAndFields(@TempDir Path dir) throws Exception {
        TsharkRunner.assumeAvailable();
        List<byte[]> frames = new ArrayList<>();
        for (IpVersion outer : IpVersion.values()) {
            for (IpVersion innerVersion : IpVersion.values()) {
                GeneveTunnel tunnel = builder(outer, true).build();
                byte[] inner = TestFrames.tcp(innerVersion, false, 12, TestFrames.payload(333, 7), 0x18, 77, 5);
                byte[] buf = new byte[tunnel.overhead() + inner.length];
                tunnel.encapsulate(MemorySegment.ofArray(inner), 0, inner.length, MemorySegment.ofArray(buf), 0);
                frames.add(buf);
            }
        }
        Path pcap = dir.resolve("encap.pcap");
        PcapTestWriter.write(pcap, frames);
        var rows = TsharkRunner.fields(pcap, "ip.checksum.status", "udp.checksum.status", "tcp.checksum.status",
                "geneve.vni", "tcp.len");
        assertThat(rows).hasSize(4);
        // one IPv4 header in each of the outer-v4 and inner-v4 frames: four verdicts in all
        assertThat(rows.stream().mapToInt(r -> r.get(0).size()).sum()).isEqualTo(4);
        for (var row : rows) {
            assertThat(row.get(1)).containsExactly("1");
            assertThat(row.get(2)).containsExactly("1");
            assertThat(row.get(0)).allMatch("1"::equals);
            assertThat(row.get(3)).singleElement().satisfies(v -> assertThat(Integer.decode(v)).isEqualTo(5000));
            assertThat(row.get(4)).containsExactly("333");
        }
    }
}
