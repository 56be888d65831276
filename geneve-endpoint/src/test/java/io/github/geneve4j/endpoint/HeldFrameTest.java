package io.github.geneve4j.endpoint;

import static io.github.geneve4j.endpoint.Loopback.address;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.TcpView;
import io.github.geneve4j.endpoint.spi.DatagramSource;
import io.github.geneve4j.endpoint.spi.DatagramTransport;
import io.github.geneve4j.testing.TestFrames;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
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

    /** One datagram from the peer, then a stranger's, one every 20 µs, for ever. */
    static final class FloodAfterOne implements DatagramTransport {
        private final byte[] first;
        private final byte[] junk;
        private volatile boolean open = true;
        private boolean sentFirst;
        final AtomicLong junkServed = new AtomicLong();

        FloodAfterOne(byte[] first, byte[] junk) {
            this.first = first;
            this.junk = junk;
        }

        @Override
        public InetSocketAddress localAddress() {
            return address("127.0.0.1", 6081);
        }

        @Override
        public boolean send(MemorySegment buffer, long offset, long length, InetSocketAddress to) {
            return true;
        }

        @Override
        public int receive(MemorySegment buffer, long offset, long capacity, boolean wait, DatagramSource source)
                throws IOException {
            if (!open) {
                throw new ClosedChannelException();
            }
            byte[] d;
            if (!sentFirst) {
                sentFirst = true;
                d = first;
                source.ipv4(0x7f000002, 40000);
            } else {
                LockSupport.parkNanos(20_000);
                d = junk;
                source.ipv4(0x7f000003, 40000);
                junkServed.incrementAndGet();
            }
            MemorySegment.copy(d, 0, buffer, ValueLayout.JAVA_BYTE, offset, d.length);
            source.segmentSize(d.length);
            return d.length;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }

    @Test
    void aHeldSegmentReachesTheDeviceWhileAStrangerFloods() throws Exception {
        byte[] inner = TestFrames.tcp(IpVersion.IPV4, false, 0, TestFrames.payload(1000, 1), TcpView.ACK, 1, 1);
        byte[] segment = Loopback.datagram(5000, inner).array();
        byte[] junk = Loopback.datagram(5000, Loopback.frame(100, 7)).array();
        FloodAfterOne transport = new FloodAfterOne(segment, junk);
        MemoryDevice device = new MemoryDevice(true);
        try (GeneveEndpoint endpoint = GeneveEndpoint.builder().transport(transport).device(device).peer(PEER).vni(5000)
                .offload(true).start()) {
            assertThat(Loopback.await(() -> device.written.size() == 1)).as("the held segment was written").isTrue();
            long junkThen = transport.junkServed.get();
            assertThat(junkThen).as("the flood goes on meanwhile").isPositive();
            assertThat(device.written.get(0).bytes()).isEqualTo(inner);
            assertThat(Loopback.await(() -> endpoint.stats().drops(DropReason.NOT_A_PEER) > junkThen)).isTrue();
        }
    }
}
