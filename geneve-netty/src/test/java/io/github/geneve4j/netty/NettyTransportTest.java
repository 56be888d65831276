package io.github.geneve4j.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.endpoint.EndpointStats;
import io.github.geneve4j.endpoint.GeneveEndpoint;
import io.github.geneve4j.endpoint.spi.DatagramSource;
import io.github.geneve4j.testing.TestFrames;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The endpoint transport on Netty's epoll channel over loopback, alone and under the engine. */
@Timeout(60)
@ExtendWith(LeakCheck.class)
class NettyTransportTest {

    static final int SIZE = 1_200;
    static final int COUNT = 50;

    /** COUNT datagrams of SIZE bytes back to back (the last 77 bytes), each filled with its index. */
    static MemorySegment datagrams(Arena arena) {
        MemorySegment s = arena.allocate((long) (COUNT - 1) * SIZE + 77);
        for (int i = 0; i < COUNT; i++) {
            s.asSlice((long) i * SIZE, Math.min(SIZE, s.byteSize() - (long) i * SIZE)).fill((byte) i);
        }
        return s;
    }

    @Test
    void segmentsLeaveInOneSendAndArriveAsTheDatagramsTheyWereCutInto() throws Exception {
        try (Arena arena = Arena.ofConfined();
                NettyTransport sending = NettyTransport.open(Epoll.address("127.0.0.2", 0), 1 << 20);
                DatagramChannel receiving = Epoll.socket("127.0.0.1")) {
            receiving.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 1 << 20);
            assertThat(sending.segmentation()).isTrue();
            MemorySegment data = datagrams(arena);
            int sent = sending.sendSegments(data, 0, data.byteSize(), SIZE, (InetSocketAddress) receiving.getLocalAddress());
            assertThat(sent).isEqualTo(COUNT);
            assertThat(sending.lastSendCalls()).as("one SegmentedDatagramPacket: 50 x 1,200 bytes fit one send")
                    .isEqualTo(1);
            for (int i = 0; i < COUNT; i++) {
                byte[] d = Epoll.receive(receiving);
                assertThat(d).as("datagram %d", i).isNotNull().hasSize(i == COUNT - 1 ? 77 : SIZE);
                assertThat(d[0]).isEqualTo((byte) i);
                assertThat(d[d.length - 1]).isEqualTo((byte) i);
            }
        }
    }

    @Test
    void aGroBatchIsReceivedInFewCallsWithItsSegmentSize() throws Exception {
        try (Arena arena = Arena.ofConfined();
                NettyTransport sending = NettyTransport.open(Epoll.address("127.0.0.2", 0), 1 << 20);
                NettyTransport receiving = NettyTransport.open(Epoll.address("127.0.0.1", 0), 1 << 20)) {
            MemorySegment data = datagrams(arena);
            assertThat(sending.sendSegments(data, 0, data.byteSize(), SIZE, receiving.localAddress())).isEqualTo(COUNT);
            MemorySegment buffer = arena.allocate(70_000);
            DatagramSource source = new DatagramSource();
            List<int[]> got = new ArrayList<>();
            int receives = 0;
            int largest = 0;
            for (int tries = 0; got.size() < COUNT && tries < 20; ) {
                int n = receiving.receive(buffer, 16, 65_536, true, source);
                if (n < 0) {
                    tries++;
                    continue;
                }
                receives++;
                largest = Math.max(largest, n);
                assertThat(source.toSocketAddress()).isEqualTo(sending.localAddress());
                int size = source.segmentSize();
                for (int at = 0; at < n; at += size) {
                    int length = Math.min(size, n - at);
                    got.add(new int[] {length, buffer.get(ValueLayout.JAVA_BYTE, 16 + at),
                        buffer.get(ValueLayout.JAVA_BYTE, 16 + at + length - 1)});
                }
            }
            assertThat(got).hasSize(COUNT);
            for (int i = 0; i < COUNT; i++) {
                assertThat(got.get(i)).as("datagram %d", i).containsExactly(i == COUNT - 1 ? 77 : SIZE, i, i);
            }
            // how the kernel's GRO cuts the batch depends on timing (a loaded machine splits it more):
            // what must hold is that receives coalesce, each reporting its segment size
            assertThat(largest).as("a receive of several datagrams (GRO)").isGreaterThan(SIZE);
            assertThat(receives).as("the batch in fewer receives than datagrams").isLessThan(COUNT);
            assertThat(receiving.receive(buffer, 0, 2048, false, source)).as("nothing left").isEqualTo(-1);
        }
    }

    @Test
    void aDatagramLongerThanTheRoomIsAnErrorAndConsumed() throws Exception {
        try (Arena arena = Arena.ofConfined();
                NettyTransport receiving = NettyTransport.open(Epoll.address("127.0.0.1", 0), 0);
                DatagramChannel sending = Epoll.socket("127.0.0.2")) {
            sending.send(ByteBuffer.allocate(3000), receiving.localAddress());
            sending.send(ByteBuffer.allocate(100), receiving.localAddress());
            MemorySegment buffer = arena.allocate(4096);
            DatagramSource source = new DatagramSource();
            assertThat(Epoll.await(() -> {
                try {
                    receiving.receive(buffer, 0, 2048, true, source);
                    return false;
                } catch (java.io.IOException e) {
                    return e.getMessage().contains("3000 bytes");
                }
            })).isTrue();
            assertThat(receiving.receive(buffer, 0, 2048, true, source)).isEqualTo(100);
        }
    }

    @Test
    void closeWakesAWaitingReceiveAndReleasesWhatIsQueued() throws Exception {
        try (Arena arena = Arena.ofShared();
                DatagramChannel sending = Epoll.socket("127.0.0.2")) {
            NettyTransport transport = NettyTransport.open(Epoll.address("127.0.0.1", 0), 0);
            for (int i = 0; i < 5; i++) {
                sending.send(ByteBuffer.allocate(100 + i), transport.localAddress()); // growing: one per receive
            }
            Thread.sleep(200);
            MemorySegment buffer = arena.allocate(70_000);
            DatagramSource source = new DatagramSource();
            assertThat(transport.receive(buffer, 0, 65_536, false, source)).isEqualTo(100);
            CompletableFuture<Throwable> waiting = CompletableFuture.supplyAsync(() -> {
                try {
                    while (true) {
                        transport.receive(buffer, 0, 65_536, true, source);
                    }
                } catch (Throwable t) {
                    return t;
                }
            });
            Thread.sleep(100);
            long start = System.nanoTime();
            transport.close();
            assertThat(waiting.get(5, TimeUnit.SECONDS)).isInstanceOf(ClosedChannelException.class);
            assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(2));
            assertThat(transport.isOpen()).isFalse();
            assertThatThrownBy(() -> transport.send(buffer, 0, 10, sending.getLocalAddress() instanceof InetSocketAddress a
                    ? a : null)).isInstanceOf(ClosedChannelException.class);
            transport.close(); // idempotent
        }
    }

    @Test
    void twoEndpointsCarryFramesBothWaysOverNetty() throws Exception {
        List<byte[]> atB = Collections.synchronizedList(new ArrayList<>());
        List<byte[]> atA = Collections.synchronizedList(new ArrayList<>());
        NettyTransport udpA = NettyTransport.open(Epoll.address("127.0.0.1", 0), 1 << 20);
        NettyTransport udpB = NettyTransport.open(Epoll.address("127.0.0.2", 0), 1 << 20);
        GeneveEndpoint[] b = new GeneveEndpoint[1];
        try (GeneveEndpoint a = GeneveEndpoint.builder().transport(udpA).peer(udpB.localAddress()).vni(5000)
                .handler(f -> atA.add(f.toByteArray())).start();
             GeneveEndpoint endB = GeneveEndpoint.builder().transport(udpB).peer(udpA.localAddress()).vni(5000)
                .handler(f -> {
                    atB.add(f.toByteArray());
                    b[0].reply(f, f.segment(), f.offset(), f.length()); // echo
                }).start()) {
            b[0] = endB;
            List<byte[]> sent = new ArrayList<>();
            long bytes = 0;
            for (int i = 0; i < 200; i++) {
                byte[] frame = TestFrames.payload(60 + 7 * i, i);
                frame[12] = (byte) 0x88;
                frame[13] = (byte) 0xB5;
                sent.add(frame);
                bytes += frame.length;
                assertThat(a.send(ByteBuffer.wrap(frame))).isTrue();
                if (i % 50 == 49) {
                    int expected = i + 1;
                    assertThat(Epoll.await(() -> atA.size() == expected)).as(atA.size() + " of " + expected).isTrue();
                }
            }
            assertThat(atB).usingElementComparator(Arrays::compare).containsExactlyElementsOf(sent);
            assertThat(atA).usingElementComparator(Arrays::compare).containsExactlyElementsOf(sent);
            assertThat(Epoll.await(() -> endB.stats().framesToTunnel() == 200)).isTrue();
            EndpointStats sa = a.stats();
            assertThat(sa.framesToTunnel()).isEqualTo(200);
            assertThat(sa.bytesToTunnel()).isEqualTo(bytes);
            assertThat(sa.framesFromTunnel()).isEqualTo(200);
            assertThat(sa.drops()).isEmpty();
            assertThat(endB.stats().drops()).isEmpty();
        }
    }
}
