package io.github.geneve4j.linux.xdp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.endpoint.spi.DatagramBatch;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@link XdpBatchIo} on a veth pair between two namespaces ({@link VethPair}): a peer in one sends
 * UDP datagrams to port 6081 of the other, where a reader echoes each slot through the I/O, as the
 * GWLB appliance does. The slots hold the UDP payloads with their sources, the replies come back
 * from the I/O's address with the ports as received and the payload as the reader left it (checked
 * by the peer's kernel: a wrong UDP checksum would be dropped there); ping, ARP and other ports go
 * on; the program is detached once the last I/O is closed, also when opening fails half-way.
 */
@Tag("system")
@Timeout(300)
class XdpBatchIoSystemTest {

    private static final int PORT = 6081;
    private static final int PEER_PORT = 40001;

    /** Echoes every slot until closed; odd-length payloads with their last byte changed (the checksum recomputed). */
    private static CompletableFuture<Long> echo(XdpBatchIo io) {
        CompletableFuture<Long> done = new CompletableFuture<>();
        Thread.ofPlatform().daemon(true).name("echo").start(() -> {
            DatagramBatch batch = io.newBatch();
            long slots = 0;
            try {
                while (true) {
                    int n = io.receive(batch, true);
                    for (int slot = 0; slot < n; slot++) {
                        assertThat(batch.source(slot).toSocketAddress())
                                .isEqualTo(new InetSocketAddress(VethPair.A_ADDRESS, PEER_PORT));
                        int length = batch.length(slot);
                        boolean change = length % 2 == 1;
                        if (change) {
                            MemorySegment m = batch.segment(slot);
                            long last = batch.offset(slot) + length - 1;
                            m.set(ValueLayout.JAVA_BYTE, last, (byte) ~m.get(ValueLayout.JAVA_BYTE, last));
                        }
                        batch.reply(slot, change);
                    }
                    io.sendReplies(batch);
                    slots += n;
                }
            } catch (ClosedChannelException closed) {
                done.complete(slots);
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        });
        return done;
    }

    private static List<XdpBatchIo> open(VethPair pair, int queues) throws Exception {
        return VethPair.inside(pair.b, () -> XdpBatchIo.open(VethPair.B_DEVICE, new InetSocketAddress(VethPair.B_ADDRESS, PORT),
                queues, XdpProgram.Mode.AUTO, XdpSocket.Options.DEFAULT));
    }

    @Test
    void slotsAreTheDatagramsAndRepliesComeBackWithThePortsAsReceivedWhileTheHostKeepsWorking() throws Exception {
        try (VethPair pair = VethPair.create("bio")) {
            List<XdpBatchIo> ios = open(pair, 1);
            XdpBatchIo io = ios.getFirst();
            CompletableFuture<Long> echoed;
            try (DatagramChannel other = VethPair.inside(pair.b, () -> DatagramChannel.open(StandardProtocolFamily.INET)
                    .bind(new InetSocketAddress(VethPair.B_ADDRESS, PORT + 1)))) {
                assertThat(io.localAddress()).isEqualTo(new InetSocketAddress(VethPair.B_ADDRESS, PORT));
                assertThat(io.queue()).isZero();
                assertThat(io.zeroCopy()).isFalse();
                echoed = echo(io);
                int replies = VethPair.inside(pair.a, () -> {
                    try (DatagramChannel gwlb = DatagramChannel.open(StandardProtocolFamily.INET)
                                    .bind(new InetSocketAddress(VethPair.A_ADDRESS, PORT));
                            DatagramChannel sender = DatagramChannel.open(StandardProtocolFamily.INET)
                                    .bind(new InetSocketAddress(VethPair.A_ADDRESS, PEER_PORT))) {
                        int count = 0;
                        ByteBuffer in = ByteBuffer.allocate(2048);
                        for (int i = 0; i < 200; i++) {
                            int length = (i * 97) % 1473; // 0 to 1472 bytes, a full 1500-byte packet
                            byte[] payload = new byte[length];
                            for (int j = 0; j < length; j++) {
                                payload[j] = (byte) (i * 31 + j);
                            }
                            sender.send(ByteBuffer.wrap(payload), new InetSocketAddress(VethPair.B_ADDRESS, PORT));
                            in.clear();
                            InetSocketAddress from = receive(gwlb, in);
                            assertThat(from).as("reply %d: from the I/O's address, GWLB's source port kept", i)
                                    .isEqualTo(new InetSocketAddress(VethPair.B_ADDRESS, PEER_PORT));
                            if (length % 2 == 1) {
                                payload[length - 1] = (byte) ~payload[length - 1];
                            }
                            assertThat(Arrays.copyOf(in.array(), in.position())).as("payload %d", i).isEqualTo(payload);
                            count++;
                        }
                        sender.send(ByteBuffer.wrap(new byte[] {42}), new InetSocketAddress(VethPair.B_ADDRESS, PORT + 1));
                        return count;
                    }
                });
                assertThat(replies).isEqualTo(200);
                ByteBuffer got = ByteBuffer.allocate(16);
                other.configureBlocking(true);
                assertThat(other.receive(got)).as("another port reaches the kernel's socket").isNotNull();
                assertThat(got.position()).isEqualTo(1);
                // ARP and ping between the namespaces go through the kernel as before
                VethPair.sh(pair.a, "ip neigh flush all");
                VethPair.sh(pair.a, "ping -c 2 -W 5 " + VethPair.B_ADDRESS);
                assertThat(VethPair.sh(pair.a, "ip neigh show " + VethPair.B_ADDRESS)).contains("lladdr");
                assertThat(VethPair.sh(pair.b, "ip neigh show " + VethPair.A_ADDRESS)).contains("lladdr");
                XdpStatistics statistics = io.statistics();
                assertThat(statistics.rxInvalidDescriptors()).isZero();
                assertThat(statistics.txInvalidDescriptors()).isZero();
                for (XdpBatchIo.DropReason reason : XdpBatchIo.DropReason.values()) {
                    assertThat(io.drops(reason)).as("%s", reason).isZero();
                }
            } finally {
                io.close();
            }
            assertThat(echoed.get(10, TimeUnit.SECONDS)).isEqualTo(200);
            assertThat(io.isOpen()).isFalse();
            assertThat(io.statistics()).as("kept from close").isNotNull();
            assertThatThrownBy(() -> io.receive(io.newBatch(), false)).isInstanceOf(ClosedChannelException.class);
            awaitDetached(pair, true);
        }
    }

    private static InetSocketAddress receive(DatagramChannel channel, ByteBuffer into) throws Exception {
        channel.configureBlocking(false);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() - deadline < 0) {
            InetSocketAddress from = (InetSocketAddress) channel.receive(into);
            if (from != null) {
                return from;
            }
            Thread.sleep(1);
        }
        throw new AssertionError("no reply within 5 s");
    }

    @Test
    void theProgramStaysUntilTheLastQueueClosesAndAFailedOpenLeavesNothingAttached() throws Exception {
        try (VethPair pair = VethPair.create("bioq", 2)) {
            List<XdpBatchIo> ios = open(pair, 2);
            assertThat(ios).extracting(XdpBatchIo::queue).containsExactly(0, 1);
            ios.get(1).close(); // as when its worker failed and the appliance closed it
            assertThat(VethPair.hasXdp(VethPair.link(pair.b, VethPair.B_DEVICE))).as("queue 0 still served").isTrue();
            ios.get(0).close();
            ios.get(0).close(); // idempotent
            awaitDetached(pair, true);
            assertThatThrownBy(() -> open(pair, 3)).isInstanceOf(XdpException.class).hasMessageContaining("queue 2");
            awaitDetached(pair, true);
        }
    }

    @Test
    void receiveAndSendRepliesAllocateNothingPerBatch() throws Exception {
        var threads = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(threads instanceof com.sun.management.ThreadMXBean bean
                && bean.isThreadAllocatedMemorySupported(), "per-thread allocation counter unavailable");
        var bean = (com.sun.management.ThreadMXBean) threads;
        try (VethPair pair = VethPair.create("bioa")) {
            XdpBatchIo io = open(pair, 1).getFirst();
            AtomicBoolean sending = new AtomicBoolean(true);
            Thread sender = VethPair.start(pair.a, "xdp-sender", () -> {
                try (DatagramChannel gwlb = DatagramChannel.open(StandardProtocolFamily.INET)
                                .bind(new InetSocketAddress(VethPair.A_ADDRESS, PORT));
                        DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET)
                                .bind(new InetSocketAddress(VethPair.A_ADDRESS, PEER_PORT))) {
                    gwlb.configureBlocking(false);
                    ByteBuffer packet = ByteBuffer.allocate(84);
                    ByteBuffer sink = ByteBuffer.allocate(2048);
                    InetSocketAddress to = new InetSocketAddress(VethPair.B_ADDRESS, PORT);
                    while (sending.get()) {
                        channel.send(packet.clear(), to);
                        while (gwlb.receive(sink.clear()) != null) {
                            // drained: the replies arrive and are dropped here
                        }
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try (io) {
                DatagramBatch batch = io.newBatch();
                run(io, batch, 30_000); // warm-up: C2 compiles the loop
                long least = Long.MAX_VALUE;
                long packets = 0;
                for (int round = 0; round < 3; round++) {
                    long before = bean.getCurrentThreadAllocatedBytes();
                    packets = run(io, batch, 20_000);
                    least = Math.min(least, bean.getCurrentThreadAllocatedBytes() - before);
                }
                System.out.println("XdpBatchIo: " + least + " bytes allocated over " + packets + " packets");
                assertThat(packets).isGreaterThanOrEqualTo(20_000);
                // an object per batch would be thousands of bytes, one per packet 320,000+
                assertThat(least).as("bytes allocated over 20,000 packets").isLessThan(1024);
            } finally {
                sending.set(false);
                sender.join(10_000);
            }
            awaitDetached(pair, true);
        }
    }

    /** Receives and echoes unchanged until {@code packets} datagrams came (bounded: two minutes). */
    private static long run(XdpBatchIo io, DatagramBatch batch, long packets) throws Exception {
        long received = 0;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (received < packets && System.nanoTime() - deadline < 0) {
            int n = io.receive(batch, true);
            for (int slot = 0; slot < n; slot++) {
                batch.reply(slot, false);
            }
            io.sendReplies(batch);
            received += n;
        }
        return received;
    }

    private static void awaitDetached(VethPair pair, boolean detached) throws Exception {
        String link = VethPair.link(pair.b, VethPair.B_DEVICE);
        for (int i = 0; i < 100 && VethPair.hasXdp(link) == detached; i++) {
            Thread.sleep(100);
            link = VethPair.link(pair.b, VethPair.B_DEVICE);
        }
        assertThat(VethPair.hasXdp(link)).as("XDP program on the device:\n%s", link).isEqualTo(!detached);
    }
}
