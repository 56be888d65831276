package io.github.geneve4j.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.endpoint.spi.FrameOffload;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A TAP device against the kernel, inside a network namespace each test creates and deletes
 * (needs root and {@code /dev/net/tun}; skipped without them, failed when {@code CI=true}): the
 * TAP is {@code g4jtap0} with 10.99.0.1/24 on the kernel's side; the test plays 10.99.0.2 with MAC
 * {@link #OUR_MAC} through the TAP.
 */
@Tag("system")
class TapTest {

    static final String TAP = "g4jtap0";
    static final byte[] OUR_MAC = {0x02, 0, 0, 0, 0, 0x02};
    static final int KERNEL_IP = 0x0A630001; // 10.99.0.1
    static final int OUR_IP = 0x0A630002;    // 10.99.0.2
    static final int OFFSET = 64;            // frames at 64, the virtio-net header in the 10 bytes before
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    Netns ns;
    Tap tap;
    Arena arena;

    @BeforeEach
    void namespace() throws Exception {
        ns = Netns.create("tap");
        // no IPv6 on the TAP: its router solicitations and MLD reports would only be noise here
        ns.sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1");
        arena = Arena.ofShared();
    }

    @AfterEach
    void teardown() throws Exception {
        if (tap != null) {
            tap.close();
        }
        if (ns != null) {
            ns.close();
        }
        if (arena != null) {
            arena.close();
        }
    }

    /** Opens the TAP inside the namespace, brings it up with the kernel's address and our neighbour entry. */
    Tap open(boolean offloads) throws Exception {
        tap = ns.inside(() -> Tap.open(TAP, offloads));
        ns.sh("ip link set " + TAP + " up && ip addr add 10.99.0.1/24 dev " + TAP
                + " && ip neigh replace 10.99.0.2 lladdr 02:00:00:00:00:02 dev " + TAP + " nud permanent");
        return tap;
    }

    /** Writes an ARP request "who has 10.99.0.1, tell 10.99.0.2" at OFFSET of {@code buffer}. */
    static long arpRequest(MemorySegment buffer) {
        MemorySegment f = buffer.asSlice(OFFSET, 42);
        f.fill((byte) 0);
        f.asSlice(0, 6).fill((byte) 0xFF);
        MemorySegment.copy(OUR_MAC, 0, f, ValueLayout.JAVA_BYTE, 6, 6);
        f.set(U16, 12, (short) 0x0806);
        f.set(U16, 14, (short) 1);      // hardware: Ethernet
        f.set(U16, 16, (short) 0x0800); // protocol: IPv4
        f.set(ValueLayout.JAVA_BYTE, 18, (byte) 6);
        f.set(ValueLayout.JAVA_BYTE, 19, (byte) 4);
        f.set(U16, 20, (short) 1);      // request
        MemorySegment.copy(OUR_MAC, 0, f, ValueLayout.JAVA_BYTE, 22, 6);
        f.set(U32, 28, OUR_IP);
        f.set(U32, 38, KERNEL_IP);
        return 42;
    }

    static boolean isArpReply(MemorySegment buffer, int length) {
        return length >= 42 && buffer.get(U16, OFFSET + 12) == 0x0806 && buffer.get(U16, OFFSET + 20) == 2;
    }

    static boolean isUdp(MemorySegment buffer, int length) {
        return length >= 42 && buffer.get(U16, OFFSET + 12) == 0x0800 && buffer.get(ValueLayout.JAVA_BYTE, OFFSET + 23) == 17;
    }

    /** Reads frames until one matches (its length is returned) or five seconds pass (the TAP is then closed). */
    int readUntil(MemorySegment buffer, FrameOffload offload, Matcher matcher) throws Exception {
        CompletableFuture<Integer> found = reading(tap, buffer, offload, matcher,
                java.util.concurrent.ForkJoinPool.commonPool());
        try {
            return found.get(5, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            tap.close();
            throw new AssertionError("no matching frame from the TAP within 5 s");
        }
    }

    /** Reads frames from {@code queue} on {@code executor} until one matches; completes with its length. */
    static CompletableFuture<Integer> reading(Tap queue, MemorySegment buffer, FrameOffload offload, Matcher matcher,
            java.util.concurrent.Executor executor) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                while (true) {
                    int n = queue.read(buffer, OFFSET, buffer.byteSize() - OFFSET - 1, offload);
                    if (matcher.matches(buffer, n)) {
                        return n;
                    }
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, executor);
    }

    interface Matcher {
        boolean matches(MemorySegment buffer, int length);
    }

    @Test
    void theKernelAnswersAnArpRequestWrittenToTheTap() throws Exception {
        open(false);
        assertThat(tap.name()).isEqualTo(TAP);
        assertThat(tap.headroom()).isEqualTo(10);
        assertThat(tap.offloads()).isFalse();
        MemorySegment out = arena.allocate(2048);
        tap.write(out, OFFSET, arpRequest(out), new FrameOffload());
        MemorySegment in = arena.allocate(2048);
        FrameOffload offload = new FrameOffload().partialChecksum(1, 2); // stale state: read must clear it
        int n = readUntil(in, offload, TapTest::isArpReply);
        assertThat(n).as("an ARP reply, maybe padded").isBetween(42, 60);
        assertThat(in.asSlice(OFFSET, 6).toArray(ValueLayout.JAVA_BYTE)).as("to our MAC").containsExactly(OUR_MAC);
        assertThat(in.get(U32, OFFSET + 28)).as("10.99.0.1 is at ...").isEqualTo(KERNEL_IP);
        assertThat(in.get(U32, OFFSET + 38)).isEqualTo(OUR_IP);
        assertThat(offload.gso()).isEqualTo(FrameOffload.Gso.NONE);
        assertThat(offload.needsChecksum()).isFalse();
    }

    @Test
    void aMultiQueueTapHasAQueuePerTapEachOfWhichTheKernelAnswers() throws Exception {
        java.util.List<Tap> queues = ns.inside(() -> Tap.openQueues(TAP, Tap.TUN_F_CSUM | Tap.TUN_F_TSO4, 2));
        // a thread per waiting read (the common pool may have one thread on two cores)
        java.util.concurrent.ExecutorService readers = java.util.concurrent.Executors.newCachedThreadPool();
        try {
            assertThat(queues).hasSize(2).allMatch(Tap::multiQueue).allMatch(Tap::offloads);
            assertThat(queues.get(0).toString()).contains("a queue");
            String link = ns.sh("ip -d link show " + TAP);
            assertThat(link).as("the kernel's view of the device").contains("multi_queue").contains("numtxqueues 2");
            // a single-queue open of a multi-queue device is refused, with the call that failed named
            assertThatThrownBy(() -> ns.inside(() -> Tap.open(TAP, false))).hasMessageContaining("TUNSETIFF " + TAP);
            ns.sh("ip link set " + TAP + " up && ip addr add 10.99.0.1/24 dev " + TAP
                    + " && ip neigh replace 10.99.0.2 lladdr 02:00:00:00:00:02 dev " + TAP + " nud permanent");
            for (int i = 0; i < 2; i++) {
                Tap queue = queues.get(i);
                // an ARP request written to either queue is answered (on the queue the kernel picks for it)
                MemorySegment out = arena.allocate(2048);
                queue.write(out, OFFSET, arpRequest(out), new FrameOffload());
                java.util.List<CompletableFuture<Integer>> reads = new java.util.ArrayList<>();
                for (Tap q : queues) {
                    reads.add(reading(q, arena.allocate(2048), new FrameOffload(), TapTest::isArpReply, readers));
                }
                Object n = CompletableFuture.anyOf(reads.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
                assertThat((Integer) n).as("an ARP reply on a queue").isBetween(42, 60);
                // the other queue's read is still waiting: a fresh pair of queues for the next round
                queues.forEach(Tap::close);
                reads.forEach(r -> r.orTimeout(3, TimeUnit.SECONDS).exceptionally(t -> -1).join());
                queues = ns.inside(() -> Tap.openQueues(TAP, Tap.TUN_F_CSUM | Tap.TUN_F_TSO4, 2));
                ns.sh("ip link set " + TAP + " up && ip addr replace 10.99.0.1/24 dev " + TAP
                        + " && ip neigh replace 10.99.0.2 lladdr 02:00:00:00:00:02 dev " + TAP + " nud permanent");
            }
        } finally {
            queues.forEach(Tap::close);
            readers.shutdownNow();
        }
        assertThatThrownBy(() -> Tap.openQueues(TAP, 0, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1..256");
        assertThatThrownBy(() -> Tap.openQueues(TAP, 0, 257)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest(name = "offloads {0}")
    @ValueSource(booleans = {true, false})
    void aUdpDatagramFromTheKernelCarriesAPartialChecksumOnlyWithOffloads(boolean offloads) throws Exception {
        open(offloads);
        assertThat(tap.offloads()).isEqualTo(offloads);
        ns.inside(() -> {
            try (DatagramChannel channel = DatagramChannel.open()) {
                channel.send(ByteBuffer.wrap(new byte[100]), new InetSocketAddress("10.99.0.2", 4789));
            }
            return null;
        });
        MemorySegment in = arena.allocate(2048);
        FrameOffload offload = new FrameOffload();
        int n = readUntil(in, offload, TapTest::isUdp);
        assertThat(n).isEqualTo(14 + 20 + 8 + 100);
        assertThat(offload.gso()).isEqualTo(FrameOffload.Gso.NONE);
        MemorySegment ip = in.asSlice(OFFSET + 14, n - 14);
        if (offloads) {
            assertThat(offload.needsChecksum()).as("CHECKSUM_PARTIAL handed over: %s", offload).isTrue();
            assertThat(offload.checksumStart()).as("from the UDP header").isEqualTo(34);
            assertThat(offload.checksumOffset()).as("UDP's checksum field").isEqualTo(6);
            // the field holds the pseudo-header's sum: completing it over the UDP datagram gives a valid checksum
            int partial = ip.get(U16, 26) & 0xFFFF;
            ip.set(U16, 26, (short) 0);
            int folded = fold(sum(ip, 20, ip.byteSize() - 20) + partial);
            ip.set(U16, 26, (short) ~folded);
            assertThat(udpChecksumVerifies(ip)).isTrue();
        } else {
            assertThat(offload.needsChecksum()).as("%s", offload).isFalse();
            assertThat(udpChecksumVerifies(ip)).as("the kernel completed the checksum").isTrue();
        }
    }

    /** Whether an IPv4 packet's UDP checksum verifies (the sum over pseudo-header and datagram is 0xFFFF). */
    static boolean udpChecksumVerifies(MemorySegment ip) {
        int udpLength = ip.get(U16, 24) & 0xFFFF;
        long pseudo = sum(ip, 12, 8) + 17 + udpLength;
        return fold(pseudo + sum(ip, 20, udpLength)) == 0xFFFF;
    }

    static long sum(MemorySegment s, long from, long length) {
        long sum = 0;
        for (long i = 0; i + 1 < length; i += 2) {
            sum += s.get(U16, from + i) & 0xFFFF;
        }
        if ((length & 1) != 0) {
            sum += (s.get(ValueLayout.JAVA_BYTE, from + length - 1) & 0xFF) << 8;
        }
        return sum;
    }

    static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) sum;
    }

    @Test
    void aReadWaitingInAnotherThreadEndsWithinASecondOfClose() throws Exception {
        open(true);
        MemorySegment in = arena.allocate(70_000);
        CompletableFuture<Throwable> reader = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            FrameOffload offload = new FrameOffload();
            try {
                while (true) {
                    tap.read(in, OFFSET, 65_549, offload);
                }
            } catch (Throwable t) {
                reader.complete(t);
            }
        });
        thread.start();
        TimeUnit.MILLISECONDS.sleep(300); // waiting in poll by now: nothing comes with IPv6 off
        assertThat(reader).isNotDone();
        long start = System.nanoTime();
        tap.close();
        assertThat(reader.get(1, TimeUnit.SECONDS)).isInstanceOf(ClosedChannelException.class);
        assertThat(System.nanoTime() - start).isLessThan(1_000_000_000L);
        assertThat(tap.isOpen()).isFalse();
        // the descriptor is released: the interface is gone with it, and the name free again
        assertThat(Netns.run(10, "ip", "netns", "exec", ns.name, "ip", "link", "show", TAP).code()).isNotZero();
        assertThatThrownBy(() -> tap.write(in, OFFSET, 42, new FrameOffload())).isInstanceOf(ClosedChannelException.class);
        tap.close(); // idempotent
    }

    @Test
    void rejectsHeapMemoryNoHeadroomAndAnUnknownSegmentationKind() throws Exception {
        open(false);
        MemorySegment out = arena.allocate(2048);
        FrameOffload plain = new FrameOffload();
        assertThatThrownBy(() -> tap.write(MemorySegment.ofArray(new byte[2048]), OFFSET, 42, plain))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("native memory");
        assertThatThrownBy(() -> tap.write(out, 4, 42, plain))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("10 <= offset");
        assertThatThrownBy(() -> tap.read(out, OFFSET, 2048, plain))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("offset + length <= 2048");
        FrameOffload udp = new FrameOffload().segmentation(FrameOffload.Gso.OTHER, false, 1000, 0);
        assertThatThrownBy(() -> tap.write(out, OFFSET, 42, udp))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("found gso OTHER");
        assertThatThrownBy(() -> Tap.open("a-name-of-16-chr", false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 to 15 ASCII characters");
        assertThatThrownBy(() -> Tap.open("x", 0x100))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("found offload flags 0x100");
    }

    @Test
    void aFrameLongerThanTheCapacityIsDroppedWithoutAnException() throws Exception {
        open(false);
        ns.inside(() -> {
            try (DatagramChannel channel = DatagramChannel.open()) {
                channel.send(ByteBuffer.wrap(new byte[1000]), new InetSocketAddress("10.99.0.2", 4789));
            }
            return null;
        });
        MemorySegment in = arena.allocate(OFFSET + 2048);
        CompletableFuture<Integer> reader = CompletableFuture.supplyAsync(() -> {
            try {
                int n;
                while ((n = tap.read(in, OFFSET, 500, new FrameOffload())) >= 0) {
                    // frames that fit (IPv6 router solicitations, ...): read on
                }
                return n;
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertThat(reader.get(5, TimeUnit.SECONDS)).as("the frame of 1,042 bytes, asked for 500").isEqualTo(-1);
    }

    @Test
    void writesAndReadsAllocateNothingPerFrame() throws Exception {
        open(false);
        MemorySegment out = arena.allocate(2048);
        long length = arpRequest(out);
        MemorySegment in = arena.allocate(2048);
        FrameOffload plain = new FrameOffload();
        FrameOffload offload = new FrameOffload();
        // a watchdog: should a reply ever go missing, the blocked read ends with the TAP's close
        Thread watchdog = Thread.ofVirtual().start(() -> {
            try {
                TimeUnit.SECONDS.sleep(60);
                tap.close();
            } catch (InterruptedException done) {
                // finished in time
            }
        });
        try {
            ThreadAllocation.Loop loop = n -> {
                long sink = 0;
                for (int i = 0; i < n; i++) {
                    tap.write(out, OFFSET, length, plain);
                    int got = tap.read(in, OFFSET, 1900, offload); // the kernel's ARP reply
                    sink += got + offload.gsoSize();
                }
                return sink;
            };
            long bytes = ThreadAllocation.of(loop, 20_000, 1_000);
            System.out.printf("Tap: %d bytes allocated over 1000 write+read pairs (%.2f B/frame)%n", bytes, bytes / 1000.0);
            assertThat(bytes).as("bytes allocated over 1,000 writes and reads").isLessThan(4_000);
        } finally {
            watchdog.interrupt();
        }
    }

    @Test
    void sendReturnsFalseWhenTheSocketBufferIsFull() throws Exception {
        open(false);
        // a slow qdisc holds the datagrams, each charged to the sending socket until it leaves
        ns.sh("tc qdisc add dev " + TAP + " root tbf rate 8kbit burst 2kb limit 10mb");
        MemorySegment data = arena.allocate(2048);
        InetSocketAddress to = new InetSocketAddress("10.99.0.2", 4789);
        try (UdpSocket socket = ns.inside(() -> UdpSocket.open(new InetSocketAddress("10.99.0.1", 0), 4096))) {
            int sent = 0;
            boolean refused = false;
            for (int i = 0; i < 1000 && !refused; i++) {
                if (socket.send(data, 0, 1400, to)) {
                    sent++;
                } else {
                    refused = true;
                }
            }
            assertThat(refused).as("a full buffer after %d datagrams", sent).isTrue();
            assertThat(sent).isPositive();
            assertThat(socket.sendSegments(data, 0, 2 * 700, 700, to)).as("a full buffer: nothing sent").isZero();
        }
    }
}
