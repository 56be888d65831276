package io.github.geneve4j.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.endpoint.spi.DatagramSource;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The capture on a real interface: the loopback of a namespace this test creates, where the
 * kernel's filter lets through the UDP datagrams to the capture's ports and nothing else, each
 * received once (not also as sent), with its lengths, time and the kernel's counters; closing wakes
 * a receive waiting in another thread.
 */
@Tag("system")
class PacketCaptureNetnsTest {

    private static final byte[] GENEVE = {0, 0, 0x65, 0x58, 0, 0, 7, 0, 1, 2, 3, 4};

    @Test
    void capturesTheDatagramsToItsPortsOnlyWithLengthsTimeAndCounters() throws Exception {
        try (Netns ns = Netns.create("cap")) {
            ns.inside(() -> {
                try (PacketCapture capture = PacketCapture.open("lo", List.of(6081, 7000), 1 << 20);
                        Arena arena = Arena.ofConfined();
                        DatagramChannel v4 = DatagramChannel.open(StandardProtocolFamily.INET);
                        DatagramChannel v6 = DatagramChannel.open(StandardProtocolFamily.INET6)) {
                    assertThat(capture.interfaceIndex()).isEqualTo(1);
                    InetAddress local4 = InetAddress.getByName("127.0.0.1");
                    InetAddress local6 = InetAddress.getByName("::1");
                    v4.bind(new InetSocketAddress(local4, 40001));
                    v6.bind(new InetSocketAddress(local6, 40002));
                    v4.send(ByteBuffer.wrap(GENEVE), new InetSocketAddress(local4, 6082)); // another port
                    v4.send(ByteBuffer.wrap(GENEVE), new InetSocketAddress(local4, 6081));
                    v6.send(ByteBuffer.wrap(GENEVE), new InetSocketAddress(local6, 7000));
                    v4.send(ByteBuffer.wrap(new byte[100]), new InetSocketAddress(local4, 53)); // another port
                    v4.send(ByteBuffer.wrap(new byte[1000]), new InetSocketAddress(local4, 7000));

                    MemorySegment buffer = arena.allocate(PacketCapture.DEFAULT_CAPACITY);
                    CapturedFrame frame = new CapturedFrame();
                    List<Integer> ports = new ArrayList<>();
                    List<Long> lengths = new ArrayList<>();
                    long previous = 0;
                    for (int i = 0; i < 3; i++) {
                        int n = capture.receive(buffer, 0, buffer.byteSize(), true, frame);
                        assertThat(n).as("frame %d", i).isPositive();
                        assertThat(frame.capturedLength()).isEqualTo(n).isEqualTo(frame.originalLength());
                        assertThat(frame.truncated()).isFalse();
                        assertThat(frame.timestampNanos()).as("kernel time, in order").isGreaterThanOrEqualTo(previous)
                                .isPositive();
                        previous = frame.timestampNanos();
                        ByteBuffer b = buffer.asSlice(0, n).asByteBuffer().order(ByteOrder.BIG_ENDIAN);
                        int ip = 14;
                        int udp = b.getShort(12) == 0x0800 ? ip + 20 : ip + 40;
                        ports.add(b.getShort(udp + 2) & 0xFFFF);
                        lengths.add((long) n);
                    }
                    assertThat(ports).containsExactly(6081, 7000, 7000);
                    assertThat(lengths).containsExactly(14L + 20 + 8 + GENEVE.length, 14L + 40 + 8 + GENEVE.length,
                            14L + 20 + 8 + 1000);
                    assertThat(capture.receive(buffer, 0, buffer.byteSize(), false, frame))
                            .as("nothing else reached the socket: not the other ports, not the sent copies").isEqualTo(-1);
                    assertThat(capture.statistics()).isEqualTo(new PacketCapture.Statistics(3, 0));

                    // a buffer too small keeps the frame's head and says how long it was
                    v4.send(ByteBuffer.wrap(GENEVE), new InetSocketAddress(local4, 6081));
                    assertThat(capture.receive(buffer, 0, 20, true, frame)).isEqualTo(20);
                    assertThat(frame.originalLength()).isEqualTo(14 + 20 + 8 + GENEVE.length);
                    assertThat(frame.truncated()).isTrue();
                    assertThat(capture.statistics()).isEqualTo(new PacketCapture.Statistics(4, 0));
                    capture.close();
                    assertThat(capture.statistics()).as("kept after close").isEqualTo(new PacketCapture.Statistics(4, 0));
                    assertThatThrownBy(() -> capture.receive(buffer, 0, 64, false, frame))
                            .isInstanceOf(ClosedChannelException.class);
                }
                return null;
            });
        }
    }

    @Test
    void receivingAllocatesNothingPerFrame() throws Exception {
        try (Netns ns = Netns.create("cap-alloc")) {
            ns.inside(() -> {
                InetSocketAddress geneve = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 6081);
                try (PacketCapture capture = PacketCapture.open("lo", List.of(6081), 4 << 20);
                        UdpSocket receiver = UdpSocket.open(geneve, 0);
                        UdpSocket sender = UdpSocket.open(new InetSocketAddress(geneve.getAddress(), 0), 0);
                        Arena arena = Arena.ofConfined()) {
                    MemorySegment data = arena.allocate(64);
                    MemorySegment.copy(GENEVE, 0, data, ValueLayout.JAVA_BYTE, 0, GENEVE.length);
                    MemorySegment buffer = arena.allocate(2048);
                    MemorySegment drain = arena.allocate(2048);
                    CapturedFrame frame = new CapturedFrame();
                    DatagramSource source = new DatagramSource();
                    ThreadAllocation.Loop loop = n -> {
                        long sink = 0;
                        for (int i = 0; i < n; i++) {
                            if (!sender.send(data, 0, GENEVE.length, geneve)) {
                                throw new AssertionError("send buffer full at " + i);
                            }
                            int got = capture.receive(buffer, 0, 2048, true, frame);
                            sink += got + frame.originalLength() + frame.timestampNanos();
                            sink += receiver.receive(drain, 0, 2048, true, source); // no ICMP errors, no queue growing
                        }
                        return sink;
                    };
                    long bytes = ThreadAllocation.of(loop, 20_000, 1_000);
                    System.out.printf("PacketCapture: %d bytes allocated over 1000 send+capture+receive (%.2f B/frame)%n",
                            bytes, bytes / 1000.0);
                    assertThat(bytes).as("bytes allocated over 1,000 frames").isLessThan(4_000);
                    assertThat(capture.statistics().drops()).isZero();
                }
                return null;
            });
        }
    }

    @Test
    void closeEndsTheCaptureLoopWaitingInAnotherThread() throws Exception {
        try (Netns ns = Netns.create("cap-close")) {
            PacketCapture capture = ns.inside(() -> PacketCapture.open("lo", List.of(6081), 0));
            try (Arena arena = Arena.ofShared()) {
                MemorySegment buffer = arena.allocate(2048);
                CompletableFuture<Long> loop = new CompletableFuture<>();
                CompletableFuture<Void> entered = new CompletableFuture<>();
                Thread thread = new Thread(() -> {
                    try {
                        entered.complete(null);
                        loop.complete(capture.run(buffer, (b, f) -> true));
                    } catch (Throwable t) {
                        loop.completeExceptionally(t);
                    }
                });
                thread.start();
                entered.get(10, TimeUnit.SECONDS);
                assertThat(loop).isNotDone();
                capture.close();
                assertThat(loop.get(10, TimeUnit.SECONDS)).as("frames handed over").isZero();
                assertThat(capture.isOpen()).isFalse();
            }
        }
    }
}
