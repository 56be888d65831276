package io.github.geneve4j.tools.tap;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Our FFM UDP socket over loopback (no privileges needed): datagrams sent with UDP segmentation
 * arrive one by one as they were cut, with GRO in as few receives as the kernel gives, and where the
 * kernel refuses segmentation the socket falls back to one datagram per call without losing any.
 */
class UdpSocketTest {

    static final int SIZE = 1_200;
    static final int COUNT = 50; // two sends' worth of segments: 65,000 / 1,200 = 54 per call at most

    /** Datagrams of SIZE bytes (the last 77 bytes), each filled with its index. */
    static MemorySegment datagrams(Arena arena) {
        MemorySegment s = arena.allocate((long) (COUNT - 1) * SIZE + 77);
        for (int i = 0; i < COUNT; i++) {
            s.asSlice((long) i * SIZE, Math.min(SIZE, s.byteSize() - (long) i * SIZE)).fill((byte) i);
        }
        return s;
    }

    /** Receives until COUNT datagrams or a timeout; each datagram's length and fill byte. */
    static List<int[]> receiveAll(UdpSocket.Receiver receiver, Arena arena, int[] receives) throws Exception {
        MemorySegment buffer = arena.allocate(70_000);
        List<int[]> got = new ArrayList<>();
        for (int tries = 0; got.size() < COUNT && tries < 20; ) {
            int n = receiver.receive(buffer, 0, buffer.byteSize(), true);
            if (n < 0) {
                tries++;
                continue;
            }
            receives[0]++;
            int size = receiver.segmentSize();
            for (int at = 0; at < n; at += size) {
                int length = Math.min(size, n - at);
                got.add(new int[] {length, buffer.get(ValueLayout.JAVA_BYTE, at) & 0xFF,
                        buffer.get(ValueLayout.JAVA_BYTE, at + length - 1) & 0xFF});
            }
        }
        return got;
    }

    void sendAndCheck(boolean checksums) throws Exception {
        try (Arena arena = Arena.ofConfined();
                UdpSocket receiving = UdpSocket.open(new InetSocketAddress("127.0.0.1", 0), 1 << 20)) {
            InetSocketAddress to = new InetSocketAddress("127.0.0.1", port(receiving));
            try (UdpSocket sending = UdpSocket.open(new InetSocketAddress("127.0.0.1", 0), 1 << 20)) {
                if (!checksums) {
                    sending.disableChecksums();
                }
                UdpSocket.Sender sender = sending.sender(to);
                MemorySegment data = datagrams(arena);
                int calls = sender.sendSegments(data, 0, data.byteSize(), SIZE);
                if (checksums) {
                    assertThat(sender.segmentation()).isTrue();
                    assertThat(calls).as("one sendmsg per up to 54 datagrams").isEqualTo(1);
                } else {
                    assertThat(sender.segmentation()).as("the kernel refuses UDP_SEGMENT without checksums").isFalse();
                    assertThat(calls).as("then one datagram per call").isEqualTo(COUNT);
                }
                int[] receives = {0};
                List<int[]> got = receiveAll(receiving.receiver(), arena, receives);
                assertThat(got).hasSize(COUNT);
                for (int i = 0; i < COUNT; i++) {
                    assertThat(got.get(i)).as("datagram %d", i).containsExactly(i == COUNT - 1 ? 77 : SIZE, i, i);
                }
                if (checksums && receiving.gro()) {
                    assertThat(receives[0]).as("GRO: the batch in fewer receives than datagrams").isLessThan(COUNT);
                }
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

    @Test
    void aReceiveWithNothingWaitingReturnsAtOnceOrAfterItsTimeout() throws Exception {
        try (Arena arena = Arena.ofConfined();
                UdpSocket socket = UdpSocket.open(new InetSocketAddress("127.0.0.1", 0), 1 << 16)) {
            MemorySegment buffer = arena.allocate(2048);
            long start = System.nanoTime();
            assertThat(socket.receiver().receive(buffer, 0, 2048, false)).isEqualTo(-1);
            assertThat(socket.receiver().receive(buffer, 0, 2048, true)).isEqualTo(-1);
            assertThat(System.nanoTime() - start).as("bounded by SO_RCVTIMEO (0.5 s)").isLessThan(5_000_000_000L);
        }
    }

    /** The bound port, read back with getsockname. */
    static int port(UdpSocket socket) throws Exception {
        return socket.localPort();
    }
}
