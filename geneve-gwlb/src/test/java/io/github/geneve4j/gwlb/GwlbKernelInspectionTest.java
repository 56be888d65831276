package io.github.geneve4j.gwlb;

import static io.github.geneve4j.testing.GwlbWire.datagram;
import static io.github.geneve4j.testing.GwlbWire.ip;
import static io.github.geneve4j.testing.GwlbWire.ipv4;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.endpoint.spi.ChannelTransport;
import io.github.geneve4j.endpoint.spi.FrameDevice;
import io.github.geneve4j.endpoint.spi.FrameOffload;
import io.github.geneve4j.testing.GwlbWire;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kernel-inspection mode with in-memory devices standing in for the TUN pairs (no root): the pair of
 * each endpoint ID made on its first packet with the hook run, the inner packet written to the ingress
 * device as received, what "the kernel" sends out of the egress device returned with its flow's Geneve
 * header and GWLB's addresses and ports, either direction; packets of flows GWLB never sent dropped.
 */
@Timeout(60)
class GwlbKernelInspectionTest {

    /** A layer-3 device in memory: what the appliance writes, and what a test queues for it to read. */
    static final class MemoryDevice implements FrameDevice {
        final String name;
        final BlockingQueue<byte[]> written = new LinkedBlockingQueue<>();
        final BlockingQueue<byte[]> toRead = new LinkedBlockingQueue<>();
        volatile boolean closed;

        MemoryDevice(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
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
        public int read(MemorySegment buffer, long offset, long capacity, FrameOffload offload) throws ClosedChannelException {
            try {
                byte[] p = toRead.poll(100, TimeUnit.MILLISECONDS);
                if (closed) {
                    throw new ClosedChannelException();
                }
                if (p == null) {
                    return -1;
                }
                MemorySegment.copy(p, 0, buffer, ValueLayout.JAVA_BYTE, offset, p.length);
                return p.length;
            } catch (InterruptedException e) {
                throw new ClosedChannelException();
            }
        }

        @Override
        public void write(MemorySegment buffer, long offset, long length, FrameOffload offload) {
            written.add(buffer.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE));
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
    void packetsGoThroughTheEndpointsDevicesAndBackOnTheirFlow(@TempDir Path dir) throws Exception {
        Map<String, MemoryDevice> devices = new ConcurrentHashMap<>();
        GwlbApplianceTest.Capture returned = new GwlbApplianceTest.Capture();
        Path hookLog = dir.resolve("hook.log");
        GwlbKernelInspection kernel = new GwlbKernelInspection(name -> devices.computeIfAbsent(name, MemoryDevice::new),
                () -> returned, List.of("sh", "-c", "echo \"$0 $1 $2 $3\" >> " + hookLog));
        ChannelTransport transport = ChannelTransport.open(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        long a = GwlbApplianceTest.ENDPOINT_A;
        long b = GwlbApplianceTest.ENDPOINT_B;
        String gwiA = GwlbKernelInspection.ingressName(a);
        String gwoA = GwlbKernelInspection.egressName(a);
        assertThat(gwiA).hasSize(15).startsWith("gwi-");
        int x = ip(10, 0, 0, 1);
        int y = ip(10, 0, 0, 2);
        byte[] tcp = ipv4(x, y, 6, GwlbWire.tcp(40000, 443, "hello"));
        byte[] fromA = datagram(a, 0x11, 0x0a0b0c0d, GwlbWire.IPV4, true, tcp);
        byte[] fromB = datagram(b, 0x22, 0x01, GwlbWire.IPV4, false, ipv4(x, y, 17, GwlbWire.udp(1, 53, "q")));
        try (GwlbAppliance appliance = GwlbApplianceTest.builder().transport(transport).kernelInspection(kernel).start();
                DatagramChannel gwlb = DatagramChannel.open(StandardProtocolFamily.INET)) {
            gwlb.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.3"), 0));
            int gwlbPort = ((InetSocketAddress) gwlb.getLocalAddress()).getPort();
            InetSocketAddress to = appliance.localAddresses().getFirst();
            gwlb.send(ByteBuffer.wrap(fromA), to);
            gwlb.send(ByteBuffer.wrap(fromB), to);
            GwlbApplianceTest.waitFor(() -> devices.size() == 4 && appliance.stats().toKernel() == 2);
            assertThat(devices.keySet()).containsExactlyInAnyOrder(gwiA, gwoA, GwlbKernelInspection.ingressName(b),
                    GwlbKernelInspection.egressName(b));
            assertThat(devices.get(gwiA).written.poll()).as("the inner packet, as received").isEqualTo(tcp);
            assertThat(Files.readAllLines(hookLog)).containsExactly("CREATE " + gwiA + " " + gwoA + " 2b8ee1d4db0c51c4",
                    "CREATE " + GwlbKernelInspection.ingressName(b) + " " + GwlbKernelInspection.egressName(b)
                            + " 8000000000000abc");

            // the kernel forwards it out of gwo-A (TTL one less), and answers it the other way
            byte[] forwarded = tcp.clone();
            forwarded[8]--;
            byte[] answer = ipv4(y, x, 6, GwlbWire.tcp(443, 40000, "back"));
            byte[] stranger = ipv4(y, x, 6, GwlbWire.tcp(443, 40001, "not GWLB's flow"));
            devices.get(gwoA).toRead.addAll(List.of(forwarded, answer, stranger));
            GwlbApplianceTest.waitFor(() -> returned.packets.size() == 2
                    && appliance.stats().dropped(GwlbDropReason.KERNEL_UNKNOWN_FLOW) == 1);
            int header = fromA.length - tcp.length;
            for (byte[] inner : List.of(forwarded, answer)) {
                byte[] p = returned.packets.poll();
                ByteBuffer w = ByteBuffer.wrap(p);
                assertThat(w.getInt(12)).as("from the appliance").isEqualTo(ip(127, 0, 0, 1));
                assertThat(w.getInt(16)).as("to GWLB").isEqualTo(ip(127, 0, 0, 3));
                assertThat(w.getShort(20) & 0xFFFF).as("GWLB's source port kept").isEqualTo(gwlbPort);
                assertThat(w.getShort(22) & 0xFFFF).isEqualTo(to.getPort());
                assertThat(Arrays.copyOfRange(p, 28, 28 + header)).as("the flow's Geneve header")
                        .isEqualTo(Arrays.copyOf(fromA, header));
                assertThat(Arrays.copyOfRange(p, 28 + header, p.length)).isEqualTo(inner);
                long pseudo = 0x7f00 + 0x0001 + 0x7f00 + 0x0003 + 17 + p.length - 20;
                assertThat(GwlbWire.sum(p, 20, p.length, pseudo)).as("UDP checksum").isEqualTo(0xFFFF);
            }
            // a stranger (inside the allow-list: spoofing is cheap) replays the flow's first packet with
            // its own cookie: dropped, and the kernel's next answer still goes to GWLB with GWLB's header
            byte[] replay = datagram(a, 0x11, 0x66666666, GwlbWire.IPV4, true, tcp);
            try (DatagramChannel other = DatagramChannel.open(StandardProtocolFamily.INET)) {
                other.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.4"), 0));
                other.send(ByteBuffer.wrap(replay), to);
            }
            GwlbApplianceTest.waitFor(() -> appliance.stats().dropped(GwlbDropReason.FLOW_SOURCE_MISMATCH) == 1);
            assertThat(devices.get(gwiA).written).as("not handed to the kernel").isEmpty();
            devices.get(gwoA).toRead.add(answer);
            GwlbApplianceTest.waitFor(() -> returned.packets.size() == 1);
            byte[] after = returned.packets.poll();
            assertThat(ByteBuffer.wrap(after).getInt(16)).as("still to GWLB").isEqualTo(ip(127, 0, 0, 3));
            assertThat(ByteBuffer.wrap(after).getShort(20) & 0xFFFF).isEqualTo(gwlbPort);
            assertThat(Arrays.copyOfRange(after, 28, 28 + header)).as("GWLB's cookie, not the stranger's")
                    .isEqualTo(Arrays.copyOf(fromA, header));
            GwlbStats stats = appliance.stats();
            assertThat(stats.fromKernel()).isEqualTo(3);
            assertThat(stats.kernelEndpoints()).isEqualTo(2);
            assertThat(stats.toJson()).contains("\"kernel\":{\"toKernel\":2,\"fromKernel\":3,\"endpoints\":2,\"endpointFailures\":0,\"endpointsReclaimed\":0}");
        }
        assertThat(Files.readAllLines(hookLog)).hasSize(4).last().asString().startsWith("DESTROY gwi-");
    }
}
