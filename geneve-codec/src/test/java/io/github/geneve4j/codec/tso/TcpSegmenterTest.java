package io.github.geneve4j.codec.tso;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveFormatException.Reason;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.codec.net.EthernetView;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.Ipv4View;
import io.github.geneve4j.codec.net.Ipv6View;
import io.github.geneve4j.codec.net.TcpView;
import io.github.geneve4j.codec.tunnel.GeneveFrameView;
import io.github.geneve4j.codec.tunnel.GeneveTunnel;
import io.github.geneve4j.testing.PcapTestWriter;
import io.github.geneve4j.testing.TestFrames;
import io.github.geneve4j.testing.TsharkRunner;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TcpSegmenterTest {

    static final int MSS = 1448;
    static final int MTU = 1700;
    static final int FLAGS = TcpView.ACK | TcpView.PSH | TcpView.FIN | TcpView.CWR;
    static final int[] PAYLOADS = {0, 1, MSS - 1, MSS, MSS + 1, 65_536, 262_144};

    static GeneveTunnel tunnel(IpVersion outer, boolean options, boolean checksum) throws Exception {
        GeneveHeader header = options
                ? GeneveHeader.of(ProtocolType.ETHERNET, 5000,
                        new GeneveOption(0x0108, 1, new byte[] {1, 2, 3, 4, 5, 6, 7, 8}),
                        new GeneveOption(0x0108, 2, new byte[] {8, 7, 6, 5, 4, 3, 2, 1}),
                        new GeneveOption(0x0108, 3, new byte[] {9, 9, 9, 9}))
                : GeneveHeader.of(ProtocolType.ETHERNET, 5000);
        return GeneveTunnel.builder()
                .addresses(InetAddress.getByName(outer == IpVersion.IPV4 ? "192.0.2.1" : "2001:db8::1"),
                        InetAddress.getByName(outer == IpVersion.IPV4 ? "192.0.2.2" : "2001:db8::2"))
                .udpChecksum(checksum)
                .firstId(0xFFF0) // wraps during the run
                .header(header)
                .build();
    }

    /** Segments and checks everything with our own code; returns the frames. */
    static List<byte[]> segmentAndCheck(GeneveTunnel tunnel, byte[] inner, int mss, int mtu) {
        List<byte[]> frames = new ArrayList<>();
        int count = new TcpSegmenter(tunnel, mss, mtu).segment(MemorySegment.ofArray(inner), 0, inner.length,
                (buf, off, len) -> frames.add(PcapTestWriter.bytes(buf, off, len)));
        assertThat(frames).hasSize(count);

        MemorySegment original = MemorySegment.ofArray(inner);
        EthernetView oe = new EthernetView().wrap(original, 0);
        boolean v4 = oe.etherType() == 0x0800;
        int l3 = oe.headerLength();
        long ipLen = v4 ? new Ipv4View().wrap(original, l3).packetLength() : new Ipv6View().wrap(original, l3).packetLength();
        long tcpOff = l3 + (v4 ? new Ipv4View().wrap(original, l3).headerLength() : 40);
        TcpView ot = new TcpView().wrap(original, tcpOff, l3 + ipLen - tcpOff);
        int origId = v4 ? new Ipv4View().wrap(original, l3).identification() : 0;
        long seq = ot.sequence();
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        GeneveFrameView view = new GeneveFrameView();
        int port = -1;
        int outerId = -1;
        for (int i = 0; i < frames.size(); i++) {
            byte[] f = frames.get(i);
            MemorySegment s = MemorySegment.ofArray(f);
            view.wrap(s, 0, f.length);
            assertThat(f.length - view.ethernet().headerLength()).as("outer IP packet within MTU").isLessThanOrEqualTo(mtu);
            assertThat(view.udpChecksumValid()).isTrue();
            assertThat(view.udp().checksum() != 0).isEqualTo(tunnel.udpChecksum());
            assertThat(view.geneve().toHeader()).isEqualTo(tunnel.header());
            if (port < 0) {
                port = view.udp().sourcePort();
            }
            assertThat(view.udp().sourcePort()).as("one source port per flow").isEqualTo(port);
            if (view.ipVersion() == IpVersion.IPV4) {
                assertThat(view.ipv4().checksumValid()).isTrue();
                if (outerId >= 0) {
                    assertThat(view.ipv4().identification()).isEqualTo((outerId + 1) & 0xFFFF);
                }
                outerId = view.ipv4().identification();
            }
            EthernetView ie = new EthernetView().wrap(s, view.innerOffset(), view.innerLength());
            long pseudo;
            long tcpAt;
            long tcpLen;
            if (v4) {
                Ipv4View ip = new Ipv4View().wrap(s, ie.payloadOffset(), ie.payloadLength());
                assertThat(ip.checksumValid()).isTrue();
                assertThat(ip.identification()).isEqualTo((origId + i) & 0xFFFF);
                assertThat(ip.packetLength()).isEqualTo(ie.payloadLength());
                tcpAt = ip.payloadOffset();
                tcpLen = ip.payloadLength();
                pseudo = ip.pseudoHeaderSum(6, tcpLen);
            } else {
                Ipv6View ip = new Ipv6View().wrap(s, ie.payloadOffset(), ie.payloadLength());
                assertThat(ip.packetLength()).isEqualTo(ie.payloadLength());
                tcpAt = ip.upperLayerOffset();
                tcpLen = ip.upperLayerLength();
                pseudo = ip.pseudoHeaderSum(6, tcpLen);
            }
            TcpView t = new TcpView().wrap(s, tcpAt, tcpLen);
            assertThat(t.checksumValid(pseudo)).as("TCP checksum of segment %d", i).isTrue();
            assertThat(t.sequence()).as("sequence contiguous").isEqualTo(seq & 0xFFFF_FFFFL);
            boolean last = i == frames.size() - 1;
            int expectedFlags = ot.flags() & ~(last ? 0 : TcpView.FIN | TcpView.PSH) & ~(i == 0 ? 0 : TcpView.CWR);
            assertThat(t.flags()).as("flags of segment %d of %d", i, frames.size()).isEqualTo(expectedFlags);
            assertThat(t.headerLength()).isEqualTo(ot.headerLength());
            if (!last) {
                assertThat(t.payloadLength()).isLessThanOrEqualTo(mss);
            }
            seq += t.payloadLength();
            payload.write(f, (int) t.payloadOffset(), (int) t.payloadLength());
        }
        assertThat(payload.toByteArray()).as("payload reassembles").isEqualTo(
                java.util.Arrays.copyOfRange(inner, (int) ot.payloadOffset(), inner.length));
        return frames;
    }

    @Tag("system")
    @Test
    void segmentsEveryCombinationValidByOurCodeAndTshark(@TempDir Path dir) throws Exception {
        List<byte[]> all = new ArrayList<>();
        int cases = 0;
        for (IpVersion outer : IpVersion.values()) {
            for (IpVersion innerVersion : IpVersion.values()) {
                for (int tcpOptions : new int[] {0, 12}) {
                    for (boolean geneveOptions : new boolean[] {false, true}) {
                        GeneveTunnel tunnel = tunnel(outer, geneveOptions, true);
                        for (int size : PAYLOADS) {
                            byte[] inner = TestFrames.tcp(innerVersion, false, tcpOptions,
                                    TestFrames.payload(size, cases), FLAGS, 0xFFFF_0000L + cases, 0xFFFE);
                            List<byte[]> frames = segmentAndCheck(tunnel, inner, MSS, MTU);
                            int expected = size == 0 ? 1 : (size + MSS - 1) / MSS;
                            assertThat(frames).as("%s/%s opts=%d gopts=%b size=%d", outer, innerVersion, tcpOptions,
                                    geneveOptions, size).hasSize(expected);
                            if (size <= 65_536) { // keep the capture small; 256 KiB runs are checked by our code
                                all.addAll(frames);
                            }
                            cases++;
                        }
                    }
                }
            }
        }
        assertThat(cases).isEqualTo(2 * 2 * 2 * 2 * PAYLOADS.length);
        assertTsharkValid(dir, all);
    }

    static void assertTsharkValid(Path dir, List<byte[]> frames) throws Exception {
        TsharkRunner.assumeAvailable();
        Path pcap = dir.resolve("tso.pcap");
        PcapTestWriter.write(pcap, frames);
        var rows = TsharkRunner.fields(pcap, "ip.checksum.status", "udp.checksum.status", "tcp.checksum.status");
        assertThat(rows).hasSize(frames.size());
        int ipVerdicts = 0;
        for (int i = 0; i < rows.size(); i++) {
            var row = rows.get(i);
            assertThat(row.get(0)).as("frame %d ip", i + 1).allMatch("1"::equals);
            assertThat(row.get(1)).as("frame %d udp", i + 1).containsExactly("1");
            assertThat(row.get(2)).as("frame %d tcp", i + 1).containsExactly("1");
            ipVerdicts += row.get(0).size();
        }
        assertThat(ipVerdicts).as("IPv4 headers were checked").isPositive();
    }

    @Tag("system")
    @Test
    void mtuLowersTheSegmentSizeAndVlanAndZeroChecksumWork(@TempDir Path dir) throws Exception {
        List<byte[]> all = new ArrayList<>();
        List<String> expectedUdp = new ArrayList<>();
        for (IpVersion outer : IpVersion.values()) {
            GeneveTunnel tunnel = tunnel(outer, true, false);
            byte[] inner = TestFrames.tcp(IpVersion.IPV6, true, 40, TestFrames.payload(20_000, 9), TcpView.ACK, 1, 0);
            List<byte[]> frames = segmentAndCheck(tunnel, inner, 9000, 1500);
            int room = 1500 - tunnel.ipOverhead() - (18 + 40 + 60);
            assertThat(frames).hasSize((20_000 + room - 1) / room);
            assertThat(frames.get(0).length - 14).isEqualTo(1500);
            all.addAll(frames);
            // tshark: a zero UDP checksum is "not present" (3) over IPv4 and "illegal" (4) over IPv6,
            // where only RFC 6935/6936 tunnels may send it
            frames.forEach(f -> expectedUdp.add(outer == IpVersion.IPV4 ? "3" : "4"));
        }
        TsharkRunner.assumeAvailable();
        Path pcap = dir.resolve("mtu.pcap");
        PcapTestWriter.write(pcap, all);
        var rows = TsharkRunner.fields(pcap, "udp.checksum.status", "tcp.checksum.status");
        assertThat(rows).hasSize(all.size());
        for (int i = 0; i < rows.size(); i++) {
            assertThat(rows.get(i).get(0)).containsExactly(expectedUdp.get(i));
            assertThat(rows.get(i).get(1)).containsExactly("1");
        }
    }

    @Test
    void writesFramesBackToBackIntoATarget() throws Exception {
        GeneveTunnel a = tunnel(IpVersion.IPV4, true, true);
        GeneveTunnel b = tunnel(IpVersion.IPV4, true, true);
        byte[] inner = TestFrames.tcp(IpVersion.IPV4, false, 12, TestFrames.payload(10_000, 1), FLAGS, 7, 1);
        List<byte[]> viaSink = new ArrayList<>();
        new TcpSegmenter(a, MSS, MTU).segment(MemorySegment.ofArray(inner), 0, inner.length,
                (buf, off, len) -> viaSink.add(PcapTestWriter.bytes(buf, off, len)));
        MemorySegment target = MemorySegment.ofArray(new byte[100_000]);
        int[] lengths = new int[16];
        int n = new TcpSegmenter(b, MSS, MTU).segment(MemorySegment.ofArray(inner), 0, inner.length, target, 5, lengths);
        assertThat(n).isEqualTo(viaSink.size());
        long at = 5;
        for (int i = 0; i < n; i++) {
            assertThat(PcapTestWriter.bytes(target, at, lengths[i])).isEqualTo(viaSink.get(i));
            at += lengths[i];
        }
        assertThatThrownBy(() -> new TcpSegmenter(b, MSS, MTU).segment(MemorySegment.ofArray(inner), 0, inner.length,
                MemorySegment.ofArray(new byte[5000]), 0, lengths)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aPerFrameSegmentSizeActsAsThatMssWouldAndTheMtuStillBounds() throws Exception {
        byte[] inner = TestFrames.tcp(IpVersion.IPV6, false, 12, TestFrames.payload(20_000, 3), FLAGS, 9, 0);
        MemorySegment frame = MemorySegment.ofArray(inner);
        for (int size : new int[] {1000, 1448, 9000}) {
            List<byte[]> configured = new ArrayList<>();
            new TcpSegmenter(tunnel(IpVersion.IPV4, false, true), size, MTU).segment(frame, 0, inner.length,
                    (buf, off, len) -> configured.add(PcapTestWriter.bytes(buf, off, len)));
            List<byte[]> perFrame = new ArrayList<>();
            TcpSegmenter other = new TcpSegmenter(tunnel(IpVersion.IPV4, false, true), 536, MTU);
            int n = other.segment(frame, 0, inner.length, size, (buf, off, len) -> perFrame.add(PcapTestWriter.bytes(buf, off, len)));
            assertThat(perFrame).as("segment size %d", size).hasSize(n).hasSameSizeAs(configured);
            for (int i = 0; i < n; i++) {
                assertThat(perFrame.get(i)).isEqualTo(configured.get(i));
            }
            MemorySegment target = MemorySegment.ofArray(new byte[60_000]);
            int[] lengths = new int[64];
            int m = new TcpSegmenter(tunnel(IpVersion.IPV4, false, true), 536, MTU)
                    .segment(frame, 0, inner.length, size, target, 0, lengths);
            assertThat(m).isEqualTo(n);
            assertThat(PcapTestWriter.bytes(target, 0, lengths[0])).isEqualTo(configured.get(0));
        }
        TcpSegmenter segmenter = new TcpSegmenter(tunnel(IpVersion.IPV4, false, true), MSS, MTU);
        for (int bad : new int[] {0, 65_536}) {
            assertThatThrownBy(() -> segmenter.segment(frame, 0, inner.length, bad, (b, o, l) -> { }))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("segment size " + bad);
        }
    }

    @Test
    void rejectsInvalidInput() throws Exception {
        GeneveTunnel tunnel = tunnel(IpVersion.IPV4, false, true);
        TcpSegmenter segmenter = new TcpSegmenter(tunnel, MSS, MTU);
        byte[] good = TestFrames.tcp(IpVersion.IPV4, false, 0, new byte[3000], TcpView.ACK, 1, 0);

        byte[] udp = good.clone();
        udp[14 + 9] = 17;
        assertReason(segmenter, udp, Reason.UNSUPPORTED_PROTOCOL);

        byte[] arp = good.clone();
        arp[12] = 0x08;
        arp[13] = 0x06;
        assertReason(segmenter, arp, Reason.UNSUPPORTED_PROTOCOL);

        byte[] shortLength = good.clone();
        shortLength[14 + 2] = 0x05; // total length 0x05xx, less than the frame carries
        assertReason(segmenter, shortLength, Reason.BAD_LENGTH);

        byte[] fragment = good.clone();
        fragment[14 + 6] = 0x20; // MF
        assertReason(segmenter, fragment, Reason.FRAGMENT);

        byte[] longHeaders = TestFrames.tcp(IpVersion.IPV4, false, 40, new byte[10], TcpView.ACK, 1, 0);
        assertThatThrownBy(() -> new TcpSegmenter(tunnel, MSS, tunnel.ipOverhead() + 41)
                .segment(MemorySegment.ofArray(longHeaders), 0, longHeaders.length, (b, o, l) -> { }))
                .isInstanceOf(MtuExceededException.class);
        // wire errors from the segmenter carry no stack trace (a sender meets them per frame)
        assertThatThrownBy(() -> segmenter.segment(MemorySegment.ofArray(fragment), 0, fragment.length, (b, o, l) -> { }))
                .isInstanceOfSatisfying(GeneveFormatException.class, e -> assertThat(e.getStackTrace()).isEmpty());

        assertThatThrownBy(() -> new TcpSegmenter(tunnel, 0, MTU)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("MSS");
        assertThatThrownBy(() -> new TcpSegmenter(tunnel, MSS, 60)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("MTU");
    }

    private static void assertReason(TcpSegmenter segmenter, byte[] frame, Reason reason) {
        assertThatThrownBy(() -> segmenter.segment(MemorySegment.ofArray(frame), 0, frame.length, (b, o, l) -> { }))
                .isInstanceOfSatisfying(GeneveFormatException.class, e -> assertThat(e.reason()).isEqualTo(reason));
    }
}
