package io.github.geneve4j.endpoint.gwlb;

import static io.github.geneve4j.endpoint.gwlb.GwlbWire.datagram;
import static io.github.geneve4j.endpoint.gwlb.GwlbWire.ip;
import static io.github.geneve4j.endpoint.gwlb.GwlbWire.ipv4;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.endpoint.spi.ChannelTransport;
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
 * rewrite and its checksum fix, new flows and known ones, over the raw return path's header writing)
 * and every drop path, measured with the thread's allocation counter over tens of thousands of datagrams.
 */
@Timeout(120)
class GwlbAllocationTest {

    @Test
    void receiveThreadAllocatesNothingPerPacket() throws Exception {
        Assumptions.assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean bean
                && bean.isThreadAllocatedMemorySupported(), "per-thread allocation counter unavailable");
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        AtomicLong sent = new AtomicLong();
        GwlbReturnPath counting = new GwlbReturnPath() {
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
        try (GwlbAppliance appliance = GwlbAppliance.builder().transport(transport, counting).inspector(p -> {
            if (p.destinationPort() == 23) {
                return GwlbVerdict.DROP;
            }
            if (p.destinationPort() == 80) {
                p.ipv4().ttl(60);
                p.rewritten();
            }
            return GwlbVerdict.FORWARD;
        }).build(); DatagramChannel gwlb = DatagramChannel.open(StandardProtocolFamily.INET)) {
            appliance.start();
            gwlb.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
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
            long before = threads.getThreadAllocatedBytes(rx);
            long received = appliance.receivedSoFar();
            send(gwlb, to, mix, 4_000, appliance);
            long allocated = threads.getThreadAllocatedBytes(rx) - before;
            long packets = appliance.receivedSoFar() - received;
            assertThat(packets).as("datagrams received while measuring").isGreaterThan(30_000);
            assertThat(sent.get()).isGreaterThan(20_000);
            assertThat(allocated).as("bytes allocated by the receive thread over %d datagrams", packets).isLessThan(50_000);
        }
    }

    private static void send(DatagramChannel gwlb, InetSocketAddress to, List<ByteBuffer> mix, int rounds,
            GwlbAppliance appliance) throws Exception {
        long target = appliance.receivedSoFar() + (long) rounds * mix.size();
        for (int r = 0; r < rounds; r++) {
            for (ByteBuffer d : mix) {
                gwlb.send(d.clear(), to);
            }
            if (r % 10 == 9) {
                // stay within the socket buffer: wait for the receive thread to catch up
                long expect = target - (long) (rounds - r - 1) * mix.size();
                for (int i = 0; i < 200 && appliance.receivedSoFar() < expect; i++) {
                    Thread.sleep(1);
                }
            }
        }
        for (int i = 0; i < 5000 && appliance.receivedSoFar() < target; i++) {
            Thread.sleep(1);
        }
    }
}
