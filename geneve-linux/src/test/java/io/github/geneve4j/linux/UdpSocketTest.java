package io.github.geneve4j.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.endpoint.spi.DatagramSource;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Our FFM UDP socket over loopback (no privileges needed): datagrams sent with UDP segmentation
 * arrive one by one as they were cut, with GRO in as few receives as the kernel gives; where the
 * kernel refuses segmentation the socket falls back to one datagram per call without losing any;
 * every datagram's sender is reported; close wakes a waiting receive; nothing is allocated per
 * datagram.
 */
class UdpSocketTest {

    static final int SIZE = 1_200;
    static final int COUNT = 50; // fits one send: 65,000 / 1,200 = 54 per call at most

    /** Datagrams of SIZE bytes (the last 77 bytes), each filled with its index. */
    static MemorySegment datagrams(Arena arena) {
        MemorySegment s = arena.allocate((long) (COUNT - 1) * SIZE + 77);
        for (int i = 0; i < COUNT; i++) {
            s.asSlice((long) i * SIZE, Math.min(SIZE, s.byteSize() - (long) i * SIZE)).fill((byte) i);
        }
        return s;
    }

    /** Receives until COUNT datagrams or a timeout; each datagram's length and first and last byte. */
    static List<int[]> receiveAll(UdpSocket receiver, Arena arena, int[] receives) throws Exception {
        MemorySegment buffer = arena.allocate(70_000);
        DatagramSource source = new DatagramSource();
        List<int[]> got = new ArrayList<>();
        for (int tries = 0; got.size() < COUNT && tries < 20; ) {
            int n = receiver.receive(buffer, 0, buffer.byteSize(), true, source);
            if (n < 0) {
                tries++;
                continue;
            }
            receives[0]++;
            int size = source.segmentSize();
            for (int at = 0; at < n; at += size) {
                int length = Math.min(size, n - at);
                got.add(new int[] {length, buffer.get(ValueLayout.JAVA_BYTE, at) & 0xFF,
                        buffer.get(ValueLayout.JAVA_BYTE, at + length - 1) & 0xFF});
            }
        }
        return got;
    }

    /**
     * A socket that sends UDP without checksums ({@code SO_NO_CHECK}, IPv4; Open vSwitch's default),
     * set through the socket calls before the socket is made: the kernel then refuses UDP_SEGMENT.
     */
    static UdpSocket withoutChecksums(InetSocketAddress local) throws IOException {
        LinuxSocket.Bound b = LinuxSocket.openUdp(local, LinuxSocket.AF_INET, 1 << 20, false, true);
        try {
            LinuxSocket.setInt(b.fd(), LinuxSocket.SOL_SOCKET, LinuxSocket.SO_NO_CHECK, 1, "SO_NO_CHECK");
        } catch (IOException e) {
            Libc.closeQuietly(b.fd());
            throw e;
        }
        return new UdpSocket(b.fd(), b.fd(), b.port(), LinuxSocket.AF_INET, b.gro(),
                new InetSocketAddress(local.getAddress(), b.port()));
    }

    void sendAndCheck(boolean checksums) throws Exception {
        try (Arena arena = Arena.ofConfined();
                UdpSocket receiving = UdpSocket.open(new InetSocketAddress("127.0.0.1", 0), 1 << 20);
                UdpSocket sending = checksums ? UdpSocket.open(new InetSocketAddress("127.0.0.1", 0), 1 << 20)
                        : withoutChecksums(new InetSocketAddress("127.0.0.1", 0))) {
            InetSocketAddress to = receiving.localAddress();
            MemorySegment data = datagrams(arena);
            assertThat(sending.sendSegments(data, 0, data.byteSize(), SIZE, to)).as("datagrams sent").isEqualTo(COUNT);
            int calls = sending.lastSendCalls();
            if (checksums) {
                assertThat(sending.segmentation()).isTrue();
                assertThat(calls).as("one sendmsg per up to 54 datagrams").isEqualTo(1);
            } else {
                assertThat(sending.segmentation()).as("the kernel refuses UDP_SEGMENT without checksums").isFalse();
                assertThat(calls).as("the refused call, then one datagram per call").isEqualTo(COUNT + 1);
            }
            int[] receives = {0};
            List<int[]> got = receiveAll(receiving, arena, receives);
            assertThat(got).hasSize(COUNT);
            for (int i = 0; i < COUNT; i++) {
                assertThat(got.get(i)).as("datagram %d", i).containsExactly(i == COUNT - 1 ? 77 : SIZE, i, i);
            }
            if (checksums && receiving.gro()) {
                assertThat(receives[0]).as("GRO: the batch in fewer receives than datagrams").isLessThan(COUNT);
            }
        }
    }

    @Test
    void segmentedSendsArriveAsTheDatagramsTheyWereCutInto() throws Exception {
        sendAndCheck(true);
    }

    @Test
    void whereTheKernelRefusesSegmentationEveryDatagramStillArrives() throws Exception {
        sendAndCheck(false);
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "UDP_SEGMENT {0}")
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void gatheredDatagramsArriveAsTheirPiecesJoinedInOrder(boolean segmentation) throws Exception {
        try (Arena arena = Arena.ofConfined();
                UdpSocket receiving = UdpSocket.open(new InetSocketAddress("127.0.0.1", 0), 1 << 20);
                // without checksums the kernel refuses UDP_SEGMENT: one sendmsg per datagram
                UdpSocket sending = segmentation ? UdpSocket.open(new InetSocketAddress("127.0.0.1", 0), 1 << 20)
                        : withoutChecksums(new InetSocketAddress("127.0.0.1", 0))) {
            assertThat(sending.gathers()).isTrue();
            // datagram i: 40 header bytes of value i from one buffer, then SIZE - 40 payload bytes of 200 + i from another
            MemorySegment headers = arena.allocate(40L * COUNT);
            MemorySegment payload = arena.allocate((long) SIZE * COUNT);
            io.github.geneve4j.endpoint.spi.GatherList list = new io.github.geneve4j.endpoint.spi.GatherList(2 * COUNT, COUNT);
            for (int i = 0; i < COUNT; i++) {
                int body = i == COUNT - 1 ? 37 : SIZE - 40; // the last shorter
                headers.asSlice(40L * i, 40).fill((byte) i);
                payload.asSlice((long) SIZE * i, body).fill((byte) (200 + i));
                list.add(headers, 40L * i, 40).add(payload, (long) SIZE * i, body).endDatagram();
            }
            assertThat(sending.sendGathered(list, SIZE, receiving.localAddress())).isEqualTo(COUNT);
            // refused: the one segmented try, then one call per datagram
            assertThat(sending.lastSendCalls()).as("calls").isEqualTo(segmentation ? 1 : COUNT + 1);
            assertThat(sending.segmentation()).isEqualTo(segmentation);
            MemorySegment buffer = arena.allocate(70_000);
            DatagramSource source = new DatagramSource();
            int got = 0;
            for (int tries = 0; got < COUNT && tries < 20; ) {
                int n = receiving.receive(buffer, 0, buffer.byteSize(), true, source);
                if (n < 0) {
                    tries++;
                    continue;
                }
                for (int at = 0; at < n; at += source.segmentSize(), got++) {
                    int length = Math.min(source.segmentSize(), n - at);
                    assertThat(length).as("datagram %d", got).isEqualTo(got == COUNT - 1 ? 77 : SIZE);
                    assertThat(buffer.get(ValueLayout.JAVA_BYTE, at) & 0xFF).isEqualTo(got);
                    assertThat(buffer.get(ValueLayout.JAVA_BYTE, at + 39) & 0xFF).isEqualTo(got);
                    assertThat(buffer.get(ValueLayout.JAVA_BYTE, at + 40) & 0xFF).isEqualTo(200 + got);
                    assertThat(buffer.get(ValueLayout.JAVA_BYTE, at + length - 1) & 0xFF).isEqualTo(200 + got);
                }
            }
            assertThat(got).isEqualTo(COUNT);
            // a datagram but the last of another size is refused before anything is sent
            list.clear().add(headers, 0, 40).endDatagram().add(headers, 0, 40).endDatagram();
            assertThatThrownBy(() -> sending.sendGathered(list, SIZE, receiving.localAddress()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("datagram 0 of 40 bytes");
        }
    }

    /**
     * Nothing queued: a receive that does not wait and one that waits (until SO_RCVTIMEO) both
     * return -1 rather than block. The bound is a hang guard: 100 receives that each waited the
     * half-second timeout would take 50 s.
     */
    @Test
    @org.junit.jupiter.api.Timeout(20)
    void aReceiveWithNothingQueuedReturnsMinusOneRatherThanBlock() throws Exception {
        try (Arena arena = Arena.ofConfined();
                UdpSocket socket = UdpSocket.open(new InetSocketAddress("127.0.0.1", 0), 1 << 16)) {
            MemorySegment buffer = arena.allocate(2048);
            DatagramSource source = new DatagramSource();
            for (int i = 0; i < 100; i++) {
                assertThat(socket.receive(buffer, 0, 2048, false, source)).as("without waiting").isEqualTo(-1);
            }
            assertThat(socket.receive(buffer, 0, 2048, true, source)).as("after SO_RCVTIMEO").isEqualTo(-1);
        }
    }

    @Test
    void reportsTheSourceAddressAndPortOfEveryDatagram() throws Exception {
        try (Arena arena = Arena.ofConfined();
                UdpSocket receiving = UdpSocket.open(new InetSocketAddress("127.0.0.1", 0), 1 << 20);
                // Linux answers for all of 127.0.0.0/8 on lo: two senders with addresses of their own
                UdpSocket two = UdpSocket.open(new InetSocketAddress("127.0.0.2", 0), 1 << 16);
                UdpSocket three = UdpSocket.open(new InetSocketAddress("127.0.0.3", 0), 1 << 16)) {
            MemorySegment data = arena.allocate(64);
            InetSocketAddress to = receiving.localAddress();
            for (int i = 0; i < 3; i++) {
                data.set(ValueLayout.JAVA_BYTE, 0, (byte) (2 * i));
                assertThat(two.send(data, 0, 10 + i, to)).isTrue();
                data.set(ValueLayout.JAVA_BYTE, 0, (byte) (2 * i + 1));
                assertThat(three.send(data, 0, 20 + i, to)).isTrue();
            }
            MemorySegment buffer = arena.allocate(2048);
            DatagramSource source = new DatagramSource();
            for (int i = 0; i < 6; i++) {
                int n = receiving.receive(buffer, 8, 2000, true, source);
                boolean fromTwo = i % 2 == 0;
                assertThat(buffer.get(ValueLayout.JAVA_BYTE, 8)).as("datagram %d in order", i).isEqualTo((byte) i);
                assertThat(n).isEqualTo((fromTwo ? 10 : 20) + i / 2);
                assertThat(source.isIpv6()).isFalse();
                assertThat(source.low()).as("datagram %d's source %s", i, source).isEqualTo(fromTwo ? 0x7F000002L : 0x7F000003L);
                assertThat(source.high()).isZero();
                assertThat(source.port()).isEqualTo((fromTwo ? two : three).localPort());
                assertThat(source.hasAddress(InetAddress.getByName(fromTwo ? "127.0.0.2" : "127.0.0.3"))).isTrue();
                assertThat(source.segmentSize()).as("no coalescing across senders").isEqualTo(n);
                assertThat(source.toSocketAddress()).isEqualTo((fromTwo ? two : three).localAddress());
            }
        }
    }

    static void assumeIpv6Loopback() throws Exception {
        NetworkInterface lo = NetworkInterface.getByName("lo");
        Assumptions.assumeTrue(lo != null && lo.inetAddresses().anyMatch(a -> a instanceof Inet6Address
                && a.isLoopbackAddress()), "no ::1 on this machine");
    }

    @Test
    void reportsIpv6SourcesOnLoopback() throws Exception {
        assumeIpv6Loopback();
        try (Arena arena = Arena.ofConfined();
                UdpSocket receiving = UdpSocket.open(new InetSocketAddress("::1", 0), 1 << 20);
                UdpSocket sending = UdpSocket.open(new InetSocketAddress("::1", 0), 1 << 20)) {
            MemorySegment data = arena.allocate(3 * 1000);
            assertThat(sending.send(data, 0, 100, receiving.localAddress())).isTrue();
            assertThat(sending.sendSegments(data, 0, data.byteSize(), 1000, receiving.localAddress())).isEqualTo(3);
            assertThat(sending.lastSendCalls()).isEqualTo(1);
            MemorySegment buffer = arena.allocate(65_536);
            DatagramSource source = new DatagramSource();
            assertThat(receiving.receive(buffer, 0, buffer.byteSize(), true, source)).isEqualTo(100);
            assertThat(source.isIpv6()).isTrue();
            assertThat(source.high()).isZero();
            assertThat(source.low()).as("::1").isEqualTo(1L);
            assertThat(source.port()).isEqualTo(sending.localPort());
            assertThat(source.hasAddress(InetAddress.getByName("::1"))).isTrue();
            int total = 0;
            while (total < 3000) {
                int n = receiving.receive(buffer, 0, buffer.byteSize(), true, source);
                assertThat(n).isPositive();
                assertThat(source.segmentSize()).isEqualTo(1000);
                assertThat(source.port()).isEqualTo(sending.localPort());
                total += n;
            }
            assertThat(total).isEqualTo(3000);
        }
    }

    @Test
    void aDualStackSocketReportsAnIpv4SenderAsIpv4() throws Exception {
        assumeIpv6Loopback();
        try (Arena arena = Arena.ofConfined();
                UdpSocket receiving = UdpSocket.open(new InetSocketAddress("::", 0), 1 << 20);
                UdpSocket sending = UdpSocket.open(new InetSocketAddress("127.0.0.2", 0), 1 << 16)) {
            MemorySegment data = arena.allocate(64);
            assertThat(sending.send(data, 0, 64, new InetSocketAddress("127.0.0.1", receiving.localPort()))).isTrue();
            DatagramSource source = new DatagramSource();
            assertThat(receiving.receive(arena.allocate(2048), 0, 2048, true, source)).isEqualTo(64);
            assertThat(source.isIpv6()).as("::ffff:127.0.0.2 as the JDK reports it").isFalse();
            assertThat(source.low()).isEqualTo(0x7F000002L);
            assertThat(source.port()).isEqualTo(sending.localPort());
            // and the reply goes back to the IPv4 sender through the same IPv6 socket, IPv4-mapped
            assertThat(receiving.send(data, 0, 32, source.toSocketAddress())).isTrue();
            assertThat(sending.receive(arena.allocate(2048), 0, 2048, true, source)).isEqualTo(32);
            assertThat(source.port()).isEqualTo(receiving.localPort());
        }
    }

    @Test
    void aDatagramLongerThanTheCapacityIsAnErrorAndTheNextOneArrives() throws Exception {
        try (Arena arena = Arena.ofConfined();
                UdpSocket receiving = UdpSocket.open(new InetSocketAddress("127.0.0.1", 0), 1 << 20);
                UdpSocket sending = UdpSocket.open(new InetSocketAddress("127.0.0.1", 0), 1 << 20)) {
            MemorySegment data = arena.allocate(1000);
            sending.send(data, 0, 1000, receiving.localAddress());
            sending.send(data, 0, 100, receiving.localAddress());
            MemorySegment buffer = arena.allocate(2048);
            DatagramSource source = new DatagramSource();
            assertThatThrownBy(() -> receiving.receive(buffer, 0, 500, true, source))
                    .isInstanceOf(IOException.class).hasMessageContaining("longer than 500 bytes");
            assertThat(receiving.receive(buffer, 0, 500, true, source)).isEqualTo(100);
        }
    }

    /**
     * Close wakes a waiting receive: the socket's receive timeout is made a minute long (through the
     * socket calls), and the receive ends with ClosedChannelException well before it (the bound is a
     * hang guard: it would take the whole minute without the wake-up).
     */
    @Test
    void closeFromAnotherThreadEndsAWaitingReceive() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            LinuxSocket.Bound b = LinuxSocket.openUdp(new InetSocketAddress("127.0.0.1", 0), LinuxSocket.AF_INET,
                    1 << 16, false, true);
            LinuxSocket.setReceiveTimeout(b.fd(), 60_000_000L);
            UdpSocket socket = new UdpSocket(b.fd(), b.fd(), b.port(), LinuxSocket.AF_INET, b.gro(),
                    new InetSocketAddress("127.0.0.1", b.port()));
            MemorySegment buffer = arena.allocate(2048);
            CompletableFuture<Throwable> receiver = new CompletableFuture<>();
            Thread thread = new Thread(() -> {
                DatagramSource source = new DatagramSource();
                try {
                    while (true) {
                        socket.receive(buffer, 0, 2048, true, source);
                    }
                } catch (Throwable t) {
                    receiver.complete(t);
                }
            });
            thread.start();
            TimeUnit.MILLISECONDS.sleep(200); // most likely inside recvmsg by now (either way it must end)
            socket.close();
            Throwable ended = receiver.get(30, TimeUnit.SECONDS);
            assertThat(ended).isInstanceOf(ClosedChannelException.class);
            assertThat(socket.isOpen()).isFalse();
            socket.close(); // idempotent
            assertThatThrownBy(() -> socket.send(buffer, 0, 10, new InetSocketAddress("127.0.0.1", 9)))
                    .isInstanceOf(ClosedChannelException.class);
            assertThatThrownBy(() -> socket.receive(buffer, 0, 10, false, new DatagramSource()))
                    .isInstanceOf(ClosedChannelException.class);
        }
    }

    @Test
    void rejectsHeapMemoryBoundsOutsideTheBufferAndTheWrongIpVersion() throws Exception {
        try (Arena arena = Arena.ofConfined();
                UdpSocket socket = UdpSocket.open(new InetSocketAddress("127.0.0.1", 0), 1 << 16)) {
            InetSocketAddress to = new InetSocketAddress("127.0.0.1", 9);
            MemorySegment buffer = arena.allocate(100);
            assertThatThrownBy(() -> socket.send(MemorySegment.ofArray(new byte[100]), 0, 10, to))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected: native memory");
            assertThatThrownBy(() -> socket.send(buffer, 95, 10, to))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("offset + length <= 100");
            assertThatThrownBy(() -> socket.receive(buffer, -1, 10, false, new DatagramSource()))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> socket.send(buffer, 0, 10, new InetSocketAddress("::1", 9)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected: an IPv4 address");
            assertThatThrownBy(() -> socket.sendSegments(buffer, 0, 10, 0, to))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("found segment size 0");
            assertThatThrownBy(() -> UdpSocket.open(socket.localAddress(), 0))
                    .isInstanceOf(java.net.BindException.class).hasMessageContaining("127.0.0.1:" + socket.localPort());
        }
    }

    @Test
    void sendAndReceiveAllocateNothingPerDatagram() throws Exception {
        try (Arena arena = Arena.ofConfined();
                UdpSocket receiving = UdpSocket.open(new InetSocketAddress("127.0.0.1", 0), 1 << 20);
                UdpSocket sending = UdpSocket.open(new InetSocketAddress("127.0.0.2", 0), 1 << 20)) {
            MemorySegment data = arena.allocate(2048);
            MemorySegment buffer = arena.allocate(2048);
            DatagramSource source = new DatagramSource();
            InetSocketAddress to = receiving.localAddress();
            ThreadAllocation.Loop loop = n -> {
                long sink = 0;
                for (int i = 0; i < n; i++) {
                    data.set(ValueLayout.JAVA_INT, 0, i);
                    if (!sending.send(data, 16, 1000, to)) {
                        throw new AssertionError("send buffer full at " + i);
                    }
                    int got = receiving.receive(buffer, 16, 2000, true, source);
                    sink += got + source.port() + source.low();
                }
                return sink;
            };
            long bytes = ThreadAllocation.of(loop, 20_000, 1_000);
            System.out.printf("UdpSocket: %d bytes allocated over 1000 send+receive pairs (%.2f B/datagram)%n",
                    bytes, bytes / 1000.0);
            assertThat(bytes).as("bytes allocated over 1,000 sends and receives").isLessThan(4_000);
        }
    }
}
