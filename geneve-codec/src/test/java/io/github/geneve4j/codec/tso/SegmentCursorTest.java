package io.github.geneve4j.codec.tso;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.TcpView;
import io.github.geneve4j.codec.tunnel.GeneveTunnel;
import io.github.geneve4j.testing.PcapTestWriter;
import io.github.geneve4j.testing.TestFrames;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.FileChannel;
import java.nio.channels.Pipe;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Gather mode: the same frames as copy mode, byte for byte, with headers apart and the payload in place. */
class SegmentCursorTest {

    static final int MSS = 1448;
    static final int FLAGS = TcpView.ACK | TcpView.PSH | TcpView.FIN | TcpView.CWR;
    static final int[] PAYLOADS = {0, 1, MSS - 1, MSS, MSS + 1, 65_536, 262_144};

    static GeneveTunnel tunnel(IpVersion outer, boolean options, boolean checksum, boolean vlan, int protocol)
            throws Exception {
        GeneveHeader header = options
                ? GeneveHeader.of(protocol, 5000,
                        new GeneveOption(0x0108, 1, new byte[] {1, 2, 3, 4, 5, 6, 7, 8}),
                        new GeneveOption(0x0108, 3, new byte[] {9, 9, 9, 9}))
                : GeneveHeader.of(protocol, 5000);
        GeneveTunnel.Builder b = GeneveTunnel.builder()
                .addresses(InetAddress.getByName(outer == IpVersion.IPV4 ? "192.0.2.1" : "2001:db8::1"),
                        InetAddress.getByName(outer == IpVersion.IPV4 ? "192.0.2.2" : "2001:db8::2"))
                .udpChecksum(checksum)
                .firstId(0xFFF0) // wraps during the run
                .header(header);
        if (vlan) {
            b.vlan(100, 3);
        }
        return b.build();
    }

    /** Copy mode, the reference. */
    static List<byte[]> copied(TcpSegmenter segmenter, MemorySegment frame, long offset, long length, int size) {
        List<byte[]> frames = new ArrayList<>();
        segmenter.segment(frame, offset, length, size, (buf, off, len) -> frames.add(PcapTestWriter.bytes(buf, off, len)));
        return frames;
    }

    /** Gather mode: headers then payload of each segment, and checks the ByteBuffer views agree. */
    static List<byte[]> gathered(TcpSegmenter segmenter, MemorySegment frame, long offset, long length, int size) {
        return gathered(segmenter, -1, frame, offset, length, size);
    }

    /** @param udpPayload where the Geneve header starts in each frame, or -1 to take it from the frames */
    static List<byte[]> gathered(TcpSegmenter segmenter, int udpPayload, MemorySegment frame, long offset, long length,
            int size) {
        List<byte[]> frames = new ArrayList<>();
        SegmentCursor s = segmenter.gather(frame, offset, length, size);
        assertThat(s.index()).isEqualTo(-1);
        while (s.next()) {
            assertThat(s.index()).isEqualTo(frames.size());
            assertThat(s.frame()).isSameAs(frame);
            assertThat(s.frameLength()).isEqualTo(s.headerLength() + s.payloadLength());
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(PcapTestWriter.bytes(s.headers(), 0, s.headerLength()));
            out.writeBytes(PcapTestWriter.bytes(frame, s.payloadOffset(), s.payloadLength()));
            byte[] bytes = out.toByteArray();
            assertThat(drain(s.buffers())).isEqualTo(bytes);
            // the outer Ethernet header (14 or 18), IP (20 or 40), UDP (8) precede the Geneve header
            int geneve = udpPayload >= 0 ? udpPayload : geneveOffset(bytes);
            assertThat(drain(s.datagramBuffers())).isEqualTo(Arrays.copyOfRange(bytes, geneve, bytes.length));
            frames.add(bytes);
        }
        assertThat(frames).hasSize(s.count());
        assertThat(s.index()).isEqualTo(s.count());
        assertThat(s.next()).as("stays at the end").isFalse();
        return frames;
    }

    static int geneveOffset(byte[] frame) {
        int ethernet = (frame[12] & 0xFF) == 0x81 ? 18 : 14;
        int ethertype = ((frame[ethernet - 2] & 0xFF) << 8) | (frame[ethernet - 1] & 0xFF);
        return ethernet + (ethertype == 0x0800 ? 20 : 40) + 8;
    }

    /** The remaining bytes of the buffers, read without moving their positions. */
    static byte[] drain(ByteBuffer[] buffers) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuffer b : buffers) {
            ByteBuffer d = b.duplicate();
            byte[] part = new byte[d.remaining()];
            d.get(part);
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    static void assertSame(List<byte[]> gathered, List<byte[]> copied, String what) {
        assertThat(gathered).as(what).hasSameSizeAs(copied);
        for (int i = 0; i < copied.size(); i++) {
            assertThat(gathered.get(i)).as("%s, frame %d", what, i).isEqualTo(copied.get(i));
        }
    }

    /** The frame at an odd offset of a larger segment, heap or native, so that offsets are tested too. */
    static MemorySegment placed(byte[] inner, boolean nativeMemory, int at) {
        MemorySegment s = nativeMemory ? Arena.ofAuto().allocate(inner.length + at + 7)
                : MemorySegment.ofArray(new byte[inner.length + at + 7]);
        MemorySegment.copy(MemorySegment.ofArray(inner), 0, s, at, inner.length);
        return s;
    }

    @Tag("system")
    @Test
    void gatheredFramesEqualCopiedFramesForEveryShape(@TempDir Path dir) throws Exception {
        List<byte[]> capture = new ArrayList<>();
        int cases = 0;
        for (IpVersion outer : IpVersion.values()) {
            for (IpVersion innerVersion : IpVersion.values()) {
                for (int tcpOptions : new int[] {0, 12, 40}) {
                    for (boolean geneveOptions : new boolean[] {false, true}) {
                        boolean vlan = (cases & 1) == 0;
                        boolean checksum = (cases & 2) == 0 || outer == IpVersion.IPV6;
                        GeneveTunnel a = tunnel(outer, geneveOptions, checksum, vlan, ProtocolType.ETHERNET);
                        GeneveTunnel b = tunnel(outer, geneveOptions, checksum, vlan, ProtocolType.ETHERNET);
                        TcpSegmenter copying = new TcpSegmenter(a, MSS, 1700);
                        TcpSegmenter gathering = new TcpSegmenter(b, MSS, 1700);
                        for (int size : PAYLOADS) {
                            byte[] inner = TestFrames.tcp(innerVersion, (cases & 4) == 0, tcpOptions,
                                    TestFrames.payload(size, cases), FLAGS, 0xFFFF_0000L + cases, 0xFFFE);
                            MemorySegment frame = placed(inner, (cases & 8) == 0, 3);
                            String what = "%s/%s tcpopts=%d gopts=%b size=%d".formatted(outer, innerVersion, tcpOptions,
                                    geneveOptions, size);
                            List<byte[]> expected = copied(copying, frame, 3, inner.length, MSS);
                            List<byte[]> actual = gathered(gathering, frame, 3, inner.length, MSS);
                            assertSame(actual, expected, what);
                            assertThat(actual).hasSize(size == 0 ? 1 : (size + MSS - 1) / MSS);
                            if (size <= 65_536 && checksum) {
                                capture.addAll(actual);
                            }
                            cases++;
                        }
                    }
                }
            }
        }
        assertThat(cases).isEqualTo(2 * 2 * 3 * 2 * PAYLOADS.length);
        TcpSegmenterTest.assertTsharkValid(dir, capture);
    }

    @Test
    void segmentSizeEdgesOddSizesAndTheMtuGiveTheSameFrames() throws Exception {
        byte[] inner = TestFrames.tcp(IpVersion.IPV4, false, 12, TestFrames.payload(20_001, 5), FLAGS, 0xFFFF_FFF0L, 0xFFFF);
        MemorySegment frame = MemorySegment.ofArray(inner);
        // 1 and odd sizes put later segments' payload at odd offsets of the frame
        for (int size : new int[] {1, 7, 1447, MSS - 1, MSS, MSS + 1, 9000, 65_535}) {
            for (int mtu : new int[] {1500, 9000}) {
                TcpSegmenter copying = new TcpSegmenter(tunnel(IpVersion.IPV6, true, true, false, ProtocolType.ETHERNET), 536, mtu);
                TcpSegmenter gathering = new TcpSegmenter(tunnel(IpVersion.IPV6, true, true, false, ProtocolType.ETHERNET), 536, mtu);
                if (size < 100) {
                    byte[] small = TestFrames.tcp(IpVersion.IPV4, false, 12, TestFrames.payload(300, 5), FLAGS, 1, 1);
                    MemorySegment f = MemorySegment.ofArray(small);
                    assertSame(gathered(gathering, f, 0, small.length, size), copied(copying, f, 0, small.length, size),
                            "size " + size);
                    continue;
                }
                assertSame(gathered(gathering, frame, 0, inner.length, size), copied(copying, frame, 0, inner.length, size),
                        "size " + size + " mtu " + mtu);
            }
        }
        // the configured MSS when no size is given
        TcpSegmenter copying = new TcpSegmenter(tunnel(IpVersion.IPV4, false, true, false, ProtocolType.ETHERNET), 1000, 1500);
        TcpSegmenter gathering = new TcpSegmenter(tunnel(IpVersion.IPV4, false, true, false, ProtocolType.ETHERNET), 1000, 1500);
        List<byte[]> expected = copied(copying, frame, 0, inner.length, 1000);
        List<byte[]> actual = new ArrayList<>();
        for (SegmentCursor s = gathering.gather(frame, 0, inner.length); s.next(); ) {
            actual.add(drain(s.buffers()));
        }
        assertSame(actual, expected, "configured MSS");
        assertThat(actual).hasSize(21);
    }

    @Test
    void bareIpInnerPacketsGiveTheSameFrames() throws Exception {
        for (IpVersion version : IpVersion.values()) {
            int protocol = version == IpVersion.IPV4 ? ProtocolType.IPV4 : ProtocolType.IPV6;
            byte[] inner = TestFrames.tcp(version, false, 12, TestFrames.payload(10_000, 2), FLAGS, 5, 6);
            MemorySegment frame = MemorySegment.ofArray(inner);
            TcpSegmenter copying = new TcpSegmenter(tunnel(IpVersion.IPV4, true, true, false, protocol), MSS, 1500);
            TcpSegmenter gathering = new TcpSegmenter(tunnel(IpVersion.IPV4, true, true, false, protocol), MSS, 1500);
            // the IP packet starts after the 14-byte Ethernet header the test frame has
            assertSame(gathered(gathering, frame, 14, inner.length - 14, MSS), copied(copying, frame, 14, inner.length - 14, MSS),
                    version.toString());
        }
    }

    @Test
    void aDatagramChannelSendsEachSegmentAndAPipeTakesGatheredWrites() throws Exception {
        byte[] inner = TestFrames.tcp(IpVersion.IPV6, false, 12, TestFrames.payload(30_000, 4), FLAGS, 1, 0);
        MemorySegment frame = Arena.ofAuto().allocate(inner.length).copyFrom(MemorySegment.ofArray(inner));
        List<byte[]> expected = copied(new TcpSegmenter(tunnel(IpVersion.IPV4, true, true, false, ProtocolType.ETHERNET),
                MSS, 1500), frame, 0, inner.length, MSS);
        GeneveTunnel tunnel = tunnel(IpVersion.IPV4, true, true, false, ProtocolType.ETHERNET);
        TcpSegmenter segmenter = new TcpSegmenter(tunnel, MSS, 1500);
        int udpPayload = tunnel.overhead() - tunnel.header().encodedLength();
        try (DatagramChannel receiver = DatagramChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                DatagramChannel sender = DatagramChannel.open().connect(receiver.getLocalAddress())) {
            ByteBuffer received = ByteBuffer.allocate(65_536);
            int i = 0;
            for (SegmentCursor s = segmenter.gather(frame, 0, inner.length); s.next(); i++) {
                long written = sender.write(s.datagramBuffers());
                assertThat(written).isEqualTo(s.frameLength() - udpPayload);
                received.clear();
                receiver.receive(received);
                received.flip();
                byte[] datagram = new byte[received.remaining()];
                received.get(datagram);
                assertThat(datagram).as("datagram %d", i)
                        .isEqualTo(Arrays.copyOfRange(expected.get(i), udpPayload, expected.get(i).length));
            }
            assertThat(i).isEqualTo(expected.size());
        }
        Pipe pipe = Pipe.open();
        pipe.source().configureBlocking(false);
        ByteBuffer got = ByteBuffer.allocate(4096);
        int i = 0;
        for (SegmentCursor s = segmenter.gather(frame, 0, inner.length); s.next(); i++) {
            ByteBuffer[] buffers = s.buffers();
            while (buffers[1].hasRemaining()) {
                pipe.sink().write(buffers);
            }
            got.clear();
            while (got.position() < s.frameLength()) {
                pipe.source().read(got);
            }
            assertThat(Arrays.copyOf(got.array(), got.position())).as("frame %d", i).hasSize(expected.get(i).length);
        }
    }

    @Test
    void gatherDoesNotAllocatePerSegment() throws Exception {
        // reflection: the test class is compiled into the codec module, which does not read jdk.management
        Object threads = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean").invoke(null);
        java.lang.reflect.Method allocated = Class.forName("com.sun.management.ThreadMXBean")
                .getMethod("getThreadAllocatedBytes", long.class);
        TcpSegmenter segmenter = new TcpSegmenter(tunnel(IpVersion.IPV4, true, true, false, ProtocolType.ETHERNET), MSS, 1500);
        for (boolean nativeMemory : new boolean[] {false, true}) {
            MemorySegment frame = placed(TestFrames.tcp(IpVersion.IPV4, false, 12, TestFrames.payload(65_536, 1),
                    TcpView.ACK, 1, 1), nativeMemory, 0);
            long length = frame.byteSize() - 7;
            long total = 0;
            for (int i = 0; i < 2_000; i++) { // warm up: JIT, the header buffer, the payload's ByteBuffer
                total += walk(segmenter, frame, length);
            }
            long thread = Thread.currentThread().threadId();
            long before = (long) allocated.invoke(threads, thread);
            int rounds = 1_000;
            for (int i = 0; i < rounds; i++) {
                total += walk(segmenter, frame, length);
            }
            long perCall = ((long) allocated.invoke(threads, thread) - before) / rounds;
            // 47 segments per call: a per-segment allocation would show as well over 47 * 16 bytes
            assertThat(perCall).as("bytes allocated per 64 KiB gather walk, native=%b", nativeMemory).isLessThan(64);
            assertThat(total).isPositive();
        }
    }

    private static long walk(TcpSegmenter segmenter, MemorySegment frame, long length) {
        long bytes = 0;
        for (SegmentCursor s = segmenter.gather(frame, 0, length); s.next(); ) {
            ByteBuffer[] b = s.buffers();
            bytes += b[0].remaining() + b[1].remaining() + s.datagramBuffers()[0].remaining();
        }
        return bytes;
    }

    @Test
    void aFrameBeyondTwoGibibytesIsViewedThroughASlice(@TempDir Path dir) throws Exception {
        byte[] inner = TestFrames.tcp(IpVersion.IPV4, false, 0, TestFrames.payload(5_000, 8), FLAGS, 3, 4);
        long at = (3L << 30) + 1;
        try (Arena arena = Arena.ofConfined();
                FileChannel file = FileChannel.open(dir.resolve("sparse"), StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.SPARSE)) {
            long moved = at + inner.length + 1001;
            MemorySegment big = file.map(FileChannel.MapMode.READ_WRITE, 0, moved + inner.length + 1, arena);
            MemorySegment.copy(MemorySegment.ofArray(inner), 0, big, at, inner.length);
            TcpSegmenter copying = new TcpSegmenter(tunnel(IpVersion.IPV4, false, true, false, ProtocolType.ETHERNET), MSS, 1500);
            TcpSegmenter gathering = new TcpSegmenter(tunnel(IpVersion.IPV4, false, true, false, ProtocolType.ETHERNET), MSS, 1500);
            for (int round = 0; round < 2; round++) {
                assertSame(gathered(gathering, big, at, inner.length, MSS), copied(copying, big, at, inner.length, MSS),
                        "beyond 2 GiB, round " + round);
                // the same segment again at another offset: the slice must follow the frame
                MemorySegment.copy(MemorySegment.ofArray(inner), 0, big, moved, inner.length);
                assertSame(gathered(gathering, big, moved, inner.length, MSS),
                        copied(copying, big, moved, inner.length, MSS), "moved, round " + round);
            }
        }
    }

    @Test
    void aNewFrameSegmentGetsItsOwnPayloadBuffer() throws Exception {
        TcpSegmenter segmenter = new TcpSegmenter(tunnel(IpVersion.IPV4, false, true, false, ProtocolType.ETHERNET), MSS, 1500);
        byte[] one = TestFrames.tcp(IpVersion.IPV4, false, 0, TestFrames.payload(3_000, 1), FLAGS, 1, 1);
        byte[] two = TestFrames.tcp(IpVersion.IPV4, false, 0, TestFrames.payload(3_000, 2), FLAGS, 1, 1);
        SegmentCursor s = segmenter.gather(MemorySegment.ofArray(one), 0, one.length);
        assertThat(s.next()).isTrue();
        byte[] first = drain(s.buffers());
        s = segmenter.gather(MemorySegment.ofArray(two), 0, two.length);
        assertThat(s.next()).isTrue();
        byte[] second = drain(s.buffers());
        int end = 54 + s.payloadLength(); // the MTU lowers the segment size below the MSS here
        assertThat(Arrays.copyOfRange(second, second.length - 100, second.length))
                .isEqualTo(Arrays.copyOfRange(two, end - 100, end))
                .isNotEqualTo(Arrays.copyOfRange(first, first.length - 100, first.length));
        // a heap segment over a long[] has no ByteBuffer view
        MemorySegment longs = MemorySegment.ofArray(new long[(one.length + 7) / 8]);
        MemorySegment.copy(MemorySegment.ofArray(one), 0, longs, 0, one.length);
        SegmentCursor t = segmenter.gather(longs, 0, one.length);
        assertThat(t.next()).isTrue();
        assertThat(t.payloadLength()).isEqualTo(1500 - 36 - 54);
        assertThatThrownBy(t::buffers).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void theHeaderBufferIsOfTheFramesKind() throws Exception {
        TcpSegmenter segmenter = new TcpSegmenter(tunnel(IpVersion.IPV6, true, true, false, ProtocolType.ETHERNET), MSS, 1500);
        byte[] inner = TestFrames.tcp(IpVersion.IPV4, false, 0, TestFrames.payload(3_000, 1), FLAGS, 1, 1);
        for (boolean nativeMemory : new boolean[] {true, false, true}) {
            MemorySegment frame = placed(inner, nativeMemory, 0);
            SegmentCursor s = segmenter.gather(frame, 0, inner.length);
            assertThat(s.next()).isTrue();
            assertThat(s.headers().isNative()).isEqualTo(nativeMemory);
            assertThat(s.buffers()[0].isDirect()).as("header buffer direct").isEqualTo(nativeMemory);
            assertThat(s.buffers()[1].isDirect()).as("payload buffer direct").isEqualTo(nativeMemory);
        }
    }

    @Test
    void theCursorRefusesUseOffASegmentAndAfterTheSegmenterMovedOn() throws Exception {
        TcpSegmenter segmenter = new TcpSegmenter(tunnel(IpVersion.IPV4, false, true, false, ProtocolType.ETHERNET), MSS, 1500);
        byte[] inner = TestFrames.tcp(IpVersion.IPV4, false, 0, TestFrames.payload(3_000, 1), FLAGS, 1, 1);
        MemorySegment frame = MemorySegment.ofArray(inner);
        SegmentCursor s = segmenter.gather(frame, 0, inner.length);
        assertThat(s.count()).isEqualTo(3);
        List<Runnable> accessors = List.of(s::headers, s::headerLength, s::frame, s::payloadOffset, s::payloadLength,
                s::frameLength, s::buffers, s::datagramBuffers);
        for (Runnable accessor : accessors) {
            assertThatThrownBy(accessor::run).isInstanceOf(IllegalStateException.class).hasMessageContaining("next()");
        }
        assertThat(s.next()).isTrue();
        assertThat(s.headerLength()).isEqualTo(14 + 20 + 8 + 8 + 14 + 20 + 20);
        assertThat(s.payloadOffset()).isEqualTo(54);
        // segmenting another frame overtakes the walk
        segmenter.segment(frame, 0, inner.length, (b, o, l) -> { });
        assertThatThrownBy(s::next).isInstanceOf(IllegalStateException.class).hasMessageContaining("another frame");
        // so does a gather that fails on bad input
        SegmentCursor again = segmenter.gather(frame, 0, inner.length);
        assertThat(again).isSameAs(s);
        byte[] udp = inner.clone();
        udp[14 + 9] = 17;
        assertThatThrownBy(() -> segmenter.gather(MemorySegment.ofArray(udp), 0, udp.length))
                .isInstanceOf(GeneveFormatException.class);
        assertThatThrownBy(s::next).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> segmenter.gather(frame, 0, inner.length, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("segment size 0");
        // a fresh gather walks from the start again; after the last segment, accessors refuse
        s = segmenter.gather(frame, 0, inner.length);
        int n = 0;
        while (s.next()) {
            n++;
        }
        assertThat(n).isEqualTo(3);
        for (Runnable accessor : accessors) {
            assertThatThrownBy(accessor::run).isInstanceOf(IllegalStateException.class);
        }
        assertThat(frame.get(ValueLayout.JAVA_BYTE, 0)).as("the frame is left as it was").isEqualTo(inner[0]);
    }
}
