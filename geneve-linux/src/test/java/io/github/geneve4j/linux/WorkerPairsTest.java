package io.github.geneve4j.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.endpoint.GeneveEndpoint;
import io.github.geneve4j.endpoint.spi.DatagramSource;
import io.github.geneve4j.endpoint.testing.MemoryDevice;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

/**
 * Worker pairs over loopback (no privileges): an {@link UdpSocket#openGroup} group sends from one
 * port per socket, each its index mod the group's size, and steers what it receives to the socket
 * of the sender's port mod that size; so two endpoints with two worker pairs each carry what
 * queue <em>i</em> of one reads to queue <em>i</em> of the other, in both directions, and nothing
 * to the other queue.
 */
class WorkerPairsTest {

    @Test
    void aGroupSendsFromAPortOfItsIndexAndReceivesBySourcePort() throws Exception {
        List<UdpSocket> group = UdpSocket.openGroup(new InetSocketAddress("127.0.0.1", 0), 1 << 20, 3);
        try (Arena arena = Arena.ofConfined()) {
            int port = group.get(0).localPort();
            Set<Integer> sources = new HashSet<>();
            for (int i = 0; i < 3; i++) {
                assertThat(group.get(i).localPort()).as("one address for the group").isEqualTo(port);
                assertThat(group.get(i).sourcePort() % 3).as("socket %d's source port", i).isEqualTo(i);
                assertThat(group.get(i).sourcePort()).isBetween(49152, 65535).isNotEqualTo(port);
                sources.add(group.get(i).sourcePort());
            }
            assertThat(sources).hasSize(3);
            MemorySegment buffer = arena.allocate(2048);
            DatagramSource source = new DatagramSource();
            // a sender per residue: each datagram reaches the socket its source port names, and only it
            for (int from = 0; from < 6; from++) {
                try (UdpSocket sender = portOfResidue(from % 3, 3)) {
                    buffer.set(ValueLayout.JAVA_BYTE, 0, (byte) from);
                    assertThat(sender.send(buffer, 0, 100, group.get(0).localAddress())).isTrue();
                    int to = sender.localPort() % 3;
                    int n = group.get(to).receive(buffer, 0, 2048, true, source);
                    assertThat(n).as("datagram %d at socket %d", from, to).isEqualTo(100);
                    assertThat(source.port()).isEqualTo(sender.localPort());
                    for (int other = 0; other < 3; other++) {
                        if (other != to) {
                            assertThat(group.get(other).receive(buffer, 0, 2048, false, source))
                                    .as("socket %d got datagram %d", other, from).isEqualTo(-1);
                        }
                    }
                }
            }
            // and what a member sends leaves from its own port
            try (UdpSocket receiver = UdpSocket.open(new InetSocketAddress("127.0.0.1", 0))) {
                for (int i = 0; i < 3; i++) {
                    assertThat(group.get(i).send(buffer, 0, 10, receiver.localAddress())).isTrue();
                    assertThat(receiver.receive(buffer, 0, 2048, true, source)).isEqualTo(10);
                    assertThat(source.port()).isEqualTo(group.get(i).sourcePort());
                }
            }
        } finally {
            group.forEach(UdpSocket::close);
        }
    }

    @Test
    void aGroupOfOneIsAPlainSocketAndBadSizesAreRefused() throws Exception {
        List<UdpSocket> one = UdpSocket.openGroup(new InetSocketAddress("127.0.0.1", 0), 0, 1);
        try {
            assertThat(one).hasSize(1);
            assertThat(one.get(0).sourcePort()).isEqualTo(one.get(0).localPort());
        } finally {
            one.forEach(UdpSocket::close);
        }
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        assertThatThrownBy(() -> UdpSocket.openGroup(any, 0, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1..64");
        assertThatThrownBy(() -> UdpSocket.openGroup(any, 0, 65)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anIpv6GroupSteersBySourcePortToo() throws Exception {
        UdpSocketTest.assumeIpv6Loopback();
        List<UdpSocket> group = UdpSocket.openGroup(new InetSocketAddress("::1", 0), 1 << 20, 2);
        List<UdpSocket> senders = UdpSocket.openGroup(new InetSocketAddress("::1", 0), 0, 2);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(2048);
            DatagramSource source = new DatagramSource();
            for (int i = 0; i < 2; i++) {
                assertThat(senders.get(i).send(buffer, 0, 64, group.get(0).localAddress())).isTrue();
                assertThat(group.get(i).receive(buffer, 0, 2048, true, source)).as("socket %d", i).isEqualTo(64);
                assertThat(source.isIpv6()).isTrue();
                assertThat(source.port()).isEqualTo(senders.get(i).sourcePort());
                assertThat(group.get(1 - i).receive(buffer, 0, 2048, false, source)).isEqualTo(-1);
            }
        } finally {
            group.forEach(UdpSocket::close);
            senders.forEach(UdpSocket::close);
        }
    }

    @Test
    void twoEndpointsWithTwoWorkerPairsCarryEachQueueToTheSameQueue() throws Exception {
        List<UdpSocket> a = UdpSocket.openGroup(new InetSocketAddress("127.0.0.1", 0), 1 << 20, 2);
        List<UdpSocket> b = UdpSocket.openGroup(new InetSocketAddress("127.0.0.2", 0), 1 << 20, 2);
        List<MemoryDevice> queuesA = List.of(new MemoryDevice(false), new MemoryDevice(false));
        List<MemoryDevice> queuesB = List.of(new MemoryDevice(false), new MemoryDevice(false));
        try (GeneveEndpoint endpointA = GeneveEndpoint.builder().transports(a).devices(queuesA).vni(7)
                        .peer(b.get(0).localAddress()).start();
                GeneveEndpoint endpointB = GeneveEndpoint.builder().transports(b).devices(queuesB).vni(7)
                        .peer(a.get(0).localAddress()).start()) {
            for (int round = 0; round < 3; round++) {
                for (int q = 0; q < 2; q++) {
                    byte[] frame = frame(0x10 * q + round);
                    queuesA.get(q).inject(frame);
                    assertThat(written(queuesB.get(q), round)).as("A's queue %d to B's, round %d", q, round).isEqualTo(frame);
                    byte[] back = frame(0x80 + 0x10 * q + round);
                    queuesB.get(q).inject(back);
                    assertThat(written(queuesA.get(q), round)).as("B's queue %d to A's", q).isEqualTo(back);
                }
            }
            assertThat(counted(() -> endpointA.stats().framesToTunnel(), 6)).isEqualTo(6);
            assertThat(counted(() -> endpointB.stats().framesFromTunnel(), 6)).isEqualTo(6);
            for (MemoryDevice q : List.of(queuesA.get(0), queuesA.get(1), queuesB.get(0), queuesB.get(1))) {
                assertThat(q.writtenCount()).as("nothing but its own pair's frames").isEqualTo(3);
            }
        }
        assertThat(queuesA.get(1).isOpen()).as("the endpoint closes every queue").isFalse();
        assertThat(a.get(1).isOpen()).as("and every transport").isFalse();
    }

    @Test
    void queuesAndTransportsMustPairUp() throws Exception {
        List<UdpSocket> a = UdpSocket.openGroup(new InetSocketAddress("127.0.0.1", 0), 0, 2);
        try {
            GeneveEndpoint.Builder builder = GeneveEndpoint.builder().transports(a).peer(new InetSocketAddress("127.0.0.2", 6081));
            assertThatThrownBy(() -> builder.devices(List.of(new MemoryDevice(false))).start())
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("1 device queues for 2 transports");
            assertThatThrownBy(() -> GeneveEndpoint.builder().transports(a).handler(f -> { })
                    .peer(new InetSocketAddress("127.0.0.2", 6081)).start())
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("a handler takes one transport");
            MemoryDevice q = new MemoryDevice(false);
            assertThatThrownBy(() -> GeneveEndpoint.builder().devices(List.of(q, q)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("each once");
            try (UdpSocket elsewhere = UdpSocket.open(new InetSocketAddress("127.0.0.1", 0))) {
                assertThatThrownBy(() -> GeneveEndpoint.builder().transports(List.of(a.get(0), elsewhere))
                        .devices(List.of(new MemoryDevice(false), new MemoryDevice(false))).peer(new InetSocketAddress("127.0.0.2", 6081))
                        .start()).isInstanceOf(IllegalStateException.class).hasMessageContaining("one address");
            }
        } finally {
            a.forEach(UdpSocket::close);
        }
    }

    /** The {@code index}-th frame {@code queue} was given to write, waited for (5 s against a hang). */
    static byte[] written(MemoryDevice queue, int index) throws InterruptedException {
        MemoryDevice.Frame f = queue.awaitWritten(index, Duration.ofSeconds(5));
        assertThat(f).as("frame %d written within 5 s", index).isNotNull();
        return f.bytes();
    }

    /**
     * A statistic once it reaches {@code expected} (5 s against a hang): an endpoint counts a frame just
     * after its write, so a count read the moment the frame is seen can be one short.
     */
    static long counted(LongSupplier statistic, long expected) throws InterruptedException {
        for (int i = 0; i < 500 && statistic.getAsLong() < expected; i++) {
            Thread.sleep(10);
        }
        return statistic.getAsLong();
    }

    /** A socket bound to 127.0.0.1 on a free port that is {@code residue} mod {@code m}. */
    static UdpSocket portOfResidue(int residue, int m) throws IOException {
        for (int port = 40_000 + residue; port < 49_000; port += m) {
            try {
                return UdpSocket.open(new InetSocketAddress("127.0.0.1", port));
            } catch (java.net.BindException taken) {
                // the next one of that residue
            }
        }
        throw new IOException("no free port of residue " + residue);
    }

    /** A broadcast Ethernet frame (flooded to the one peer) of 60 bytes, marked with {@code mark}. */
    static byte[] frame(int mark) {
        byte[] f = new byte[60];
        java.util.Arrays.fill(f, 0, 6, (byte) 0xFF);
        f[6] = 0x02;
        f[11] = (byte) mark;
        f[12] = (byte) 0x88;
        f[13] = (byte) 0xB5; // IEEE local experimental EtherType
        java.util.Arrays.fill(f, 14, 60, (byte) mark);
        return f;
    }
}
