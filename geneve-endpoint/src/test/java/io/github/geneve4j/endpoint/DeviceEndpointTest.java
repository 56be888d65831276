package io.github.geneve4j.endpoint;

import static io.github.geneve4j.endpoint.Loopback.address;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.codec.net.InternetChecksum;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.TcpView;
import io.github.geneve4j.endpoint.spi.FrameOffload;
import io.github.geneve4j.endpoint.testing.MemoryDevice;
import io.github.geneve4j.endpoint.testing.MemoryTransport;
import io.github.geneve4j.testing.TestFrames;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two endpoints with frame devices in memory, over transports in memory connected back to back: plain frames cross as they are; with
 * offload, a TCP super-frame is cut by the sender's segmenter and merged back by the receiver's
 * coalescer into one large frame with a partial checksum, as a NIC's TSO and GRO would.
 */
@Timeout(60)
class DeviceEndpointTest {

    record Pair(GeneveEndpoint a, GeneveEndpoint b, MemoryDevice deviceA, MemoryDevice deviceB) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            try {
                a.close();
            } finally {
                b.close();
            }
        }
    }

    static Pair pair(boolean offload, int mtu) throws IOException {
        MemoryTransport udpA = new MemoryTransport(address("127.0.0.1", 6081));
        MemoryTransport udpB = new MemoryTransport(address("127.0.0.2", 6081));
        udpA.connect(udpB);
        MemoryDevice deviceA = new MemoryDevice(offload);
        MemoryDevice deviceB = new MemoryDevice(offload);
        GeneveEndpoint a = GeneveEndpoint.builder().transport(udpA).peer(udpB.localAddress()).vni(5000).mtu(mtu)
                .offload(offload).device(deviceA).start();
        GeneveEndpoint b = GeneveEndpoint.builder().transport(udpB).peer(udpA.localAddress()).vni(5000).mtu(mtu)
                .offload(offload).device(deviceB).start();
        return new Pair(a, b, deviceA, deviceB);
    }

    @Test
    void plainFramesCrossBetweenDevicesUnchanged() throws Exception {
        try (Pair p = pair(false, 1500)) {
            for (int i = 0; i < 20; i++) {
                p.deviceA().inject(Loopback.frame(60 + 70 * i, i));
            }
            assertThat(Loopback.await(() -> p.deviceB().writtenCount() == 20)).isTrue();
            for (int i = 0; i < 20; i++) {
                assertThat(p.deviceB().written().get(i).bytes()).isEqualTo(Loopback.frame(60 + 70 * i, i));
                assertThat(p.deviceB().written().get(i).gso()).isEqualTo(FrameOffload.Gso.NONE);
            }
            assertThat(Loopback.await(() -> p.a().stats().framesToTunnel() == 20)).isTrue();
            assertThat(p.b().stats().framesFromTunnel()).isEqualTo(20);
        }
    }

    @Test
    void aSuperFrameIsSegmentedAndCoalescedBackIntoOneLargeFrame() throws Exception {
        for (IpVersion version : IpVersion.values()) {
            try (Pair p = pair(true, 1500)) {
                byte[] payload = TestFrames.payload(60_000, 3);
                byte[] superFrame = TestFrames.tcp(version, false, 12, payload, TcpView.ACK | TcpView.PSH, 1000, 1);
                p.deviceA().inject(new MemoryDevice.Frame(superFrame, version == IpVersion.IPV4
                        ? FrameOffload.Gso.TCPV4 : FrameOffload.Gso.TCPV6, 1388, false, 0, 0));
                assertThat(Loopback.await(() -> received(p.deviceB()) >= payload.length)).as(version.name()).isTrue();
                assertThat(Loopback.await(() -> p.a().stats().framesToTunnel() > 0)).isTrue();
                EndpointStats a = p.a().stats();
                EndpointStats b = p.b().stats();
                // the MTU caps the segment: outer IPv4 20, UDP 8, Geneve 8, Ethernet 14, inner IP, TCP 32
                int mss = Math.min(1388, 1500 - 20 - 8 - 8 - 14 - version.headerLength() - 32);
                int segments = (payload.length + mss - 1) / mss;
                assertThat(a.superFrames()).isEqualTo(1);
                assertThat(a.segments()).isEqualTo(segments);
                assertThat(a.framesToTunnel()).isEqualTo(segments);
                assertThat(b.framesFromTunnel()).isEqualTo(segments);
                assertThat(b.coalescedWrites()).isGreaterThanOrEqualTo(1);
                assertThat(b.coalescedDatagrams()).isGreaterThan(b.coalescedWrites());
                assertThat(a.drops()).isEmpty();
                assertThat(b.drops()).isEmpty();
                // the payload arrives whole and in order, in GSO frames as a NIC's GRO would give them
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                int tcpAt = 14 + version.headerLength();
                for (MemoryDevice.Frame f : p.deviceB().written()) {
                    TcpView tcp = new TcpView().wrap(MemorySegment.ofArray(f.bytes()), tcpAt, f.bytes().length - tcpAt);
                    got.write(f.bytes(), (int) tcp.payloadOffset(), (int) (f.bytes().length - tcp.payloadOffset()));
                    if (f.gso() != FrameOffload.Gso.NONE) {
                        assertThat(f.gso()).isEqualTo(version == IpVersion.IPV4
                                ? FrameOffload.Gso.TCPV4 : FrameOffload.Gso.TCPV6);
                        assertThat(f.gsoSize()).isEqualTo(mss);
                        assertThat(f.needsChecksum()).isTrue();
                        assertThat(f.checksumStart()).isEqualTo(tcpAt);
                        assertThat(f.checksumOffset()).isEqualTo(16);
                    }
                }
                assertThat(Arrays.equals(got.toByteArray(), payload)).as(version.name()).isTrue();
            }
        }
    }

    private static long received(MemoryDevice device) {
        return device.written().stream().mapToLong(f -> f.bytes().length - 66 - (f.bytes()[12] == (byte) 0x86 ? 20 : 0))
                .sum();
    }

    @Test
    void aPartialChecksumIsCompletedBeforeTheFrameLeaves() throws Exception {
        try (Pair p = pair(true, 1500)) {
            byte[] frame = TestFrames.tcp(IpVersion.IPV4, false, 0, TestFrames.payload(500, 1), TcpView.ACK, 5, 1);
            int tcpAt = 34;
            byte[] good = frame.clone();
            // as the kernel leaves it: the checksum field holds the pseudo-header sum
            long pseudo = InternetChecksum.pseudoHeaderIpv4(0x0a000001L, 0x0a000002L, 6, frame.length - tcpAt);
            int folded = InternetChecksum.fold(pseudo);
            frame[tcpAt + 16] = (byte) (folded >>> 8);
            frame[tcpAt + 17] = (byte) folded;
            p.deviceA().inject(new MemoryDevice.Frame(frame, FrameOffload.Gso.NONE, 0, true, tcpAt, 16));
            // offsets outside the frame: dropped and counted
            p.deviceA().inject(new MemoryDevice.Frame(frame, FrameOffload.Gso.NONE, 0, true, frame.length - 1, 16));
            p.deviceA().inject(new MemoryDevice.Frame(frame, FrameOffload.Gso.OTHER, 1000, false, 0, 0));
            assertThat(Loopback.await(() -> p.deviceB().writtenCount() == 1
                    && p.a().stats().totalDrops() == 2)).isTrue();
            assertThat(p.deviceB().written().get(0).bytes()).isEqualTo(good);
            assertThat(p.a().stats().drops()).containsOnlyKeys(DropReason.BAD_CHECKSUM_OFFSETS,
                    DropReason.UNSUPPORTED_GSO);
        }
    }

    @Test
    void withoutOffloadASuperFrameIsDroppedAndAFailingDeviceWriteIsCounted() throws Exception {
        try (Pair p = pair(false, 1500)) {
            byte[] superFrame = TestFrames.tcp(IpVersion.IPV4, false, 0, TestFrames.payload(4000, 1), TcpView.ACK, 5, 1);
            p.deviceA().inject(new MemoryDevice.Frame(superFrame, FrameOffload.Gso.TCPV4, 1000, false, 0, 0));
            p.deviceA().inject(new byte[10]);
            p.deviceB().failWrites(new IOException("device is down"));
            p.deviceA().inject(Loopback.frame(100, 1));
            assertThat(Loopback.await(() -> p.b().stats().drops(DropReason.DEVICE_WRITE_ERROR) == 1)).isTrue();
            assertThat(p.a().stats().drops()).containsOnlyKeys(DropReason.GSO_WITHOUT_OFFLOAD, DropReason.SHORT_FRAME);
            p.deviceB().failWrites(null);
            p.deviceA().inject(Loopback.frame(100, 2));
            assertThat(Loopback.await(() -> p.deviceB().writtenCount() == 1)).isTrue(); // it goes on
            assertThat(p.b().isRunning()).isTrue();
        }
    }

    @Test
    void aDeviceThatClosesUnderTheEndpointStopsItVisibly() throws Exception {
        Pair p = pair(false, 1500);
        p.deviceA().close();
        assertThat(p.a().awaitStop(Duration.ofSeconds(10))).isTrue();
        assertThat(p.a().failure()).get().isInstanceOf(java.nio.channels.ClosedChannelException.class);
        assertThatThrownBy(p.a()::close).isInstanceOf(EndpointFailedException.class);
        p.b().close();
        assertThatThrownBy(() -> p.b().send(java.nio.ByteBuffer.allocate(64)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("device memory");
    }
}
