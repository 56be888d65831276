package io.github.geneve4j.endpoint;

import static io.github.geneve4j.endpoint.Loopback.address;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.TcpView;
import io.github.geneve4j.endpoint.spi.DatagramSource;
import io.github.geneve4j.endpoint.testing.MemoryDevice;
import io.github.geneve4j.endpoint.testing.MemoryTransport;
import io.github.geneve4j.testing.TestFrames;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A segment the coalescer holds reaches the device within a bounded time whatever keeps arriving:
 * here a transport that, after one mergeable TCP segment from the peer, never stops handing over a
 * stranger's datagrams (before the bound, the segment waited as long as the flood lasted).
 */
@Timeout(30)
class HeldFrameTest {

    static final InetSocketAddress PEER = address("127.0.0.2", 6081);

    @Test
    void aHeldSegmentReachesTheDeviceWhileAStrangerFloods() throws Exception {
        byte[] inner = TestFrames.tcp(IpVersion.IPV4, false, 0, TestFrames.payload(1000, 1), TcpView.ACK, 1, 1);
        byte[] segment = Loopback.datagram(5000, inner).array();
        byte[] junk = Loopback.datagram(5000, Loopback.frame(100, 7)).array();
        // one datagram from the peer, then a stranger's, one every 20 µs, for ever
        MemoryTransport transport = new MemoryTransport(address("127.0.0.1", 6081));
        transport.inject(segment, new DatagramSource().set(address("127.0.0.2", 40000)).segmentSize(segment.length));
        transport.flood(junk, address("127.0.0.3", 40000), 20_000);
        MemoryDevice device = new MemoryDevice(true);
        try (GeneveEndpoint endpoint = GeneveEndpoint.builder().transport(transport).device(device).peer(PEER).vni(5000)
                .offload(true).start()) {
            assertThat(Loopback.await(() -> device.writtenCount() == 1)).as("the held segment was written").isTrue();
            long junkThen = transport.floodServed();
            assertThat(junkThen).as("the flood goes on meanwhile").isPositive();
            assertThat(device.written().get(0).bytes()).isEqualTo(inner);
            assertThat(Loopback.await(() -> endpoint.stats().drops(DropReason.NOT_A_PEER) > junkThen)).isTrue();
        }
    }
}
