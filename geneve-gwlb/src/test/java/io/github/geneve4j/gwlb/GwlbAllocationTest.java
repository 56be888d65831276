package io.github.geneve4j.gwlb;

import static io.github.geneve4j.testing.GwlbWire.datagram;
import static io.github.geneve4j.testing.GwlbWire.ip;
import static io.github.geneve4j.testing.GwlbWire.ipv4;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.endpoint.spi.ChannelTransport;
import io.github.geneve4j.endpoint.spi.RawIpv4Sender;
import io.github.geneve4j.testing.GwlbWire;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The appliance's receive thread allocates nothing per packet once warm: answered packets (with a
 * rewrite and its checksum fix, new flows and known ones, through {@code TransportBatchIo} writing the
 * raw reply's headers) and every drop path, measured with the thread's allocation counter over tens of
 * thousands of datagrams on a loopback socket.
 */
@Timeout(120)
class GwlbAllocationTest {

    @Test
    void receiveThreadAllocatesNothingPerPacket() throws Exception {
        Assumptions.assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean bean
                && bean.isThreadAllocatedMemorySupported(), "per-thread allocation counter unavailable");
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        AtomicLong sent = new AtomicLong();
        RawIpv4Sender counting = new RawIpv4Sender() {
            @Override
            public boolean sendIpv4(MemorySegment buffer, long offset, long length) {
                sent.incrementAndGet();
                return true;
            }

            @Override
            public void close() {
            }
        };
        ChannelTransport transport = ChannelTransport.open(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        try (GwlbAppliance appliance = GwlbAppliance.builder().gwlbSource(InetAddress.getByName("127.0.0.1"), 32)
                .transport(transport, counting).inspector(p -> {
            if (p.destinationPort() == 23) {
                return GwlbVerdict.DROP;
            }
            if (p.destinationPort() == 80) {
                p.ipv4().ttl(60);
                p.rewritten();
            }
            return GwlbVerdict.FORWARD;
        }).flowCapacity(1024).start(); DatagramChannel gwlb = DatagramChannel.open(StandardProtocolFamily.INET);
                DatagramChannel stranger = DatagramChannel.open(StandardProtocolFamily.INET)) {
            gwlb.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            stranger.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
            int a = ip(10, 0, 0, 1);
            int b = ip(10, 0, 0, 2);
            List<ByteBuffer> mix = new java.util.ArrayList<>(GwlbApplianceTest.mix().stream().map(ByteBuffer::wrap).toList());
            mix.add(ByteBuffer.wrap(datagram(1, 2, 3, GwlbWire.IPV4, true, ipv4(a, b, 6, GwlbWire.tcp(1, 80, "rewrite")))));
            mix.add(ByteBuffer.wrap(datagram(1, 2, 3, GwlbWire.IPV4, true, ipv4(a, b, 6, GwlbWire.tcp(1, 23, "drop")))));
            mix.add(ByteBuffer.wrap(GwlbWire.bare(ipv4(a, b, 17, GwlbWire.udp(1, 2, "no options")))));
            mix.add(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            InetSocketAddress to = appliance.localAddresses().getFirst();
            long rx = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("gwlb-rx-0"))
                    .findFirst().orElseThrow().threadId();
            send(gwlb, to, mix, 2_000, appliance);
            send(stranger, to, mix, 200, appliance);
            long before = threads.getThreadAllocatedBytes(rx);
            long received = received(appliance);
            // in two runs: the JDK's channel allocates a new sender address whenever the sender changes
            send(gwlb, to, mix, 4_000, appliance);
            send(stranger, to, mix, 500, appliance);
            long allocated = threads.getThreadAllocatedBytes(rx) - before;
            long packets = received(appliance) - received;
            assertThat(packets).as("datagrams received while measuring").isGreaterThan(30_000);
            assertThat(appliance.stats().dropped(GwlbDropReason.NOT_GWLB)).as("the stranger's").isGreaterThan(4_000);
            assertThat(sent.get()).isGreaterThan(20_000);
            assertThat(allocated).as("bytes allocated by the receive thread over %d datagrams", packets).isLessThan(50_000);
        }
    }

    /** A layer-3 device that counts what it is given and never has anything to read. */
    static final class CountingDevice implements io.github.geneve4j.endpoint.spi.FrameDevice {
        final AtomicLong written = new AtomicLong();
        volatile boolean closed;

        @Override
        public String name() {
            return "counting";
        }

        @Override
        public int headroom() {
            return 0;
        }

        @Override
        public boolean offloads() {
            return false;
        }

        @Override
        public int read(MemorySegment buffer, long offset, long capacity, io.github.geneve4j.endpoint.spi.FrameOffload o)
                throws java.nio.channels.ClosedChannelException {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                throw new java.nio.channels.ClosedChannelException();
            }
            if (closed) {
                throw new java.nio.channels.ClosedChannelException();
            }
            return -1;
        }

        @Override
        public void write(MemorySegment buffer, long offset, long length, io.github.geneve4j.endpoint.spi.FrameOffload o) {
            written.incrementAndGet();
        }

        @Override
        public boolean isOpen() {
            return !closed;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void kernelModeReceiveThreadAllocatesNothingPerPacketOnceItsPairsExist() throws Exception {
        Assumptions.assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean bean
                && bean.isThreadAllocatedMemorySupported(), "per-thread allocation counter unavailable");
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        java.util.Map<String, CountingDevice> devices = new java.util.concurrent.ConcurrentHashMap<>();
        GwlbKernelInspection kernel = new GwlbKernelInspection(name -> devices.computeIfAbsent(name, n -> new CountingDevice()),
                GwlbApplianceTest.Capture::new, List.of());
        ChannelTransport transport = ChannelTransport.open(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        try (GwlbAppliance appliance = GwlbApplianceTest.builder().transport(transport).kernelInspection(kernel).flowCapacity(1024)
                .start(); DatagramChannel gwlb = DatagramChannel.open(StandardProtocolFamily.INET)) {
            gwlb.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            List<ByteBuffer> mix = GwlbApplianceTest.mix().stream().map(ByteBuffer::wrap).toList();
            InetSocketAddress to = appliance.localAddresses().getFirst();
            long rx = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("gwlb-rx-0"))
                    .findFirst().orElseThrow().threadId();
            send(gwlb, to, mix, 2_000, appliance);
            long before = threads.getThreadAllocatedBytes(rx);
            long received = received(appliance);
            send(gwlb, to, mix, 4_000, appliance);
            long allocated = threads.getThreadAllocatedBytes(rx) - before;
            long packets = received(appliance) - received;
            assertThat(devices).hasSize(4); // two endpoint IDs, a pair each
            assertThat(packets).as("datagrams received while measuring").isGreaterThan(15_000);
            assertThat(appliance.stats().toKernel()).isGreaterThan(20_000);
            assertThat(allocated).as("bytes allocated by the receive thread over %d datagrams", packets).isLessThan(50_000);
        }
    }

    /** Datagrams the appliance received so far (its statistics: allocates, on this thread, not the receive thread's). */
    private static long received(GwlbAppliance appliance) {
        return appliance.stats().received();
    }

    private static void send(DatagramChannel gwlb, InetSocketAddress to, List<ByteBuffer> mix, int rounds,
            GwlbAppliance appliance) throws Exception {
        long target = received(appliance) + (long) rounds * mix.size();
        for (int r = 0; r < rounds; r++) {
            for (ByteBuffer d : mix) {
                gwlb.send(d.clear(), to);
            }
            if (r % 10 == 9) {
                // stay within the socket buffer: wait for the receive thread to catch up
                long expect = target - (long) (rounds - r - 1) * mix.size();
                for (int i = 0; i < 200 && received(appliance) < expect; i++) {
                    Thread.sleep(1);
                }
            }
        }
        for (int i = 0; i < 5000 && received(appliance) < target; i++) {
            Thread.sleep(1);
        }
    }
}
