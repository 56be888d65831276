package io.github.geneve4j.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.geneve4j.endpoint.spi.DatagramBatch;
import io.github.geneve4j.endpoint.spi.DatagramSource;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@link MmsgBatchIo} on loopback: one {@code recvmmsg} puts the queued datagrams of several sources in
 * their own slots (source, length, bytes, headroom), a datagram longer than a slot is dropped and
 * counted; one {@code sendmmsg} carries the marked replies, which arrive byte for byte with the ports
 * as received (raw, as root) or from the socket's port (udp); a refused reply is cancelled alone;
 * close wakes a waiting receive; nothing is allocated per batch.
 */
class MmsgBatchIoTest {

    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);

    /** Skips the calling test with a visible line when not root; fails it when {@code CI=true}. */
    static void requireRoot() {
        if (!"root".equals(System.getProperty("user.name"))) {
            String message = "MmsgBatchIo raw-socket test NOT RUN: not root (a raw socket needs CAP_NET_RAW)";
            if ("true".equals(System.getenv("CI"))) {
                fail(message + " — and CI=true, where it is required");
            }
            System.err.println("SKIPPED: " + message);
            Assumptions.abort(message);
        }
    }

    /** A channel bound to {@code address} on an ephemeral port. */
    private static DatagramChannel peer(String address) throws Exception {
        DatagramChannel c = DatagramChannel.open(StandardProtocolFamily.INET);
        c.bind(new InetSocketAddress(InetAddress.getByName(address), 0));
        return c;
    }

    private static byte[] datagram(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed * 31 + i * 7);
        }
        return b;
    }

    private static byte[] bytes(DatagramBatch batch, int slot) {
        byte[] b = new byte[batch.length(slot)];
        MemorySegment.copy(batch.segment(slot), ValueLayout.JAVA_BYTE, batch.offset(slot), b, 0, b.length);
        return b;
    }

    /** The next datagram at {@code c}, its sender in {@code from[0]}; fails after a while rather than hang (a hang guard). */
    private static byte[] receive(DatagramChannel c, InetSocketAddress[] from) throws Exception {
        java.net.DatagramPacket packet = new java.net.DatagramPacket(new byte[65_536], 65_536);
        c.socket().setSoTimeout(20_000);
        try {
            c.socket().receive(packet);
        } catch (java.net.SocketTimeoutException e) {
            throw new AssertionError("no datagram came to " + c.getLocalAddress(), e);
        }
        from[0] = (InetSocketAddress) packet.getSocketAddress();
        return java.util.Arrays.copyOf(packet.getData(), packet.getLength());
    }

    @Test
    void oneReceivePutsTheQueuedDatagramsOfSeveralSourcesInSlotsWithHeadroom() throws Exception {
        try (MmsgBatchIo io = MmsgBatchIo.udp(LOOPBACK, 1 << 20, false);
                DatagramChannel a = peer("127.0.0.1");
                DatagramChannel b = peer("127.0.0.2");
                DatagramChannel c = peer("127.0.0.3")) {
            DatagramChannel[] senders = {a, b, c, a, b, c, a};
            // an empty datagram takes a slot; the slot's largest fits; one byte more is dropped and counted
            int[] lengths = {68, 0, 1500, MmsgBatchIo.MAX_DATAGRAM, MmsgBatchIo.MAX_DATAGRAM + 1, 1, 8500};
            for (int i = 0; i < senders.length; i++) {
                senders[i].send(ByteBuffer.wrap(datagram(lengths[i], i)), io.localAddress());
            }
            DatagramBatch batch = io.newBatch();
            assertThat(batch.headroom()).isGreaterThanOrEqualTo(DatagramBatch.IPV4_UDP_HEADROOM);
            int n = io.receive(batch, true);
            assertThat(n).as("the queued datagrams but the one too long, in one call").isEqualTo(6).isEqualTo(batch.count());
            assertThat(io.truncated()).isEqualTo(1);
            long previousEnd = 0;
            for (int slot = 0, i = 0; slot < n; slot++, i++) {
                if (lengths[i] > MmsgBatchIo.MAX_DATAGRAM) {
                    i++;
                }
                InetSocketAddress from = (InetSocketAddress) senders[i].getLocalAddress();
                DatagramSource source = batch.source(slot);
                assertThat(source.isIpv6()).isFalse();
                assertThat(source.hasAddress(from.getAddress())).as("slot %d's source address", slot).isTrue();
                assertThat(source.port()).as("slot %d's source port", slot).isEqualTo(from.getPort());
                assertThat(batch.length(slot)).as("slot %d's length", slot).isEqualTo(lengths[i]);
                assertThat(bytes(batch, slot)).isEqualTo(datagram(lengths[i], i));
                assertThat(batch.offset(slot) - DatagramBatch.IPV4_UDP_HEADROOM)
                        .as("slot %d's headroom lies after the datagram before it", slot).isGreaterThanOrEqualTo(previousEnd);
                previousEnd = batch.offset(slot) + batch.length(slot);
                assertThat(batch.willReply(slot)).isFalse();
            }
            assertThat(io.receive(batch, false)).as("nothing left").isZero();
            assertThat(batch.count()).isZero();
            // the same batch again: only the headers the kernel wrote back are re-armed, and they must be
            int[] again = {20, MmsgBatchIo.MAX_DATAGRAM + 1, 1400, 9};
            for (int i = 0; i < again.length; i++) {
                senders[2 - i % 3].send(ByteBuffer.wrap(datagram(again[i], 40 + i)), io.localAddress());
            }
            assertThat(io.receive(batch, true)).as("the second round but the one too long").isEqualTo(3);
            assertThat(io.truncated()).isEqualTo(2);
            int[] expected = {0, 2, 3};
            for (int slot = 0; slot < 3; slot++) {
                int i = expected[slot];
                InetSocketAddress from = (InetSocketAddress) senders[2 - i % 3].getLocalAddress();
                assertThat(batch.source(slot).hasAddress(from.getAddress())).as("round 2, slot %d's source", slot).isTrue();
                assertThat(batch.source(slot).port()).isEqualTo(from.getPort());
                assertThat(bytes(batch, slot)).as("round 2, slot %d", slot).isEqualTo(datagram(again[i], 40 + i));
            }
        }
    }

    @Test
    void udpRepliesGoInOneSendmmsgFromTheSocketsPortByteForByte() throws Exception {
        try (MmsgBatchIo io = MmsgBatchIo.udp(LOOPBACK, 1 << 20, false)) {
            repliesArriveByteForByte(io, false);
        }
    }

    @Test
    void rawRepliesGoInOneSendmmsgWithThePortsAsReceivedByteForByte() throws Exception {
        requireRoot();
        try (MmsgBatchIo io = MmsgBatchIo.raw(LOOPBACK, 1 << 20, false, RawIpv4Socket.open())) {
            repliesArriveByteForByte(io, true);
        }
    }

    /**
     * Five datagrams from three sources; the reader rewrites one in place and leaves one unmarked; the
     * four replies go in one call and each arrives at its source address as it stood: over raw IPv4
     * with the ports as received (from the source's port to the port it was sent to, so a socket on the
     * source's address and the I/O's port gets it), over UDP from the I/O's port to the source's.
     */
    private static void repliesArriveByteForByte(MmsgBatchIo io, boolean raw) throws Exception {
        int port = io.localAddress().getPort();
        String[] addresses = {"127.0.0.2", "127.0.0.3", "127.0.0.4"};
        DatagramChannel[] peers = new DatagramChannel[3];
        DatagramChannel[] listeners = new DatagramChannel[3];
        try {
            for (int p = 0; p < 3; p++) {
                peers[p] = peer(addresses[p]);
                if (raw) {
                    listeners[p] = DatagramChannel.open(StandardProtocolFamily.INET)
                            .bind(new InetSocketAddress(InetAddress.getByName(addresses[p]), port));
                } else {
                    listeners[p] = peers[p];
                }
            }
            int[] from = {0, 1, 2, 1, 0};
            int[] lengths = {68, 1400, 0, 200, 8000};
            for (int i = 0; i < from.length; i++) {
                peers[from[i]].send(ByteBuffer.wrap(datagram(lengths[i], i)), io.localAddress());
            }
            DatagramBatch batch = io.newBatch();
            assertThat(io.receive(batch, true)).isEqualTo(5);
            List<byte[]> expected = new ArrayList<>();
            for (int slot = 0; slot < 5; slot++) {
                if (slot == 1) {
                    batch.segment(slot).set(ValueLayout.JAVA_BYTE, batch.offset(slot) + 3, (byte) 0x5A); // rewritten in place
                }
                expected.add(bytes(batch, slot));
                if (slot != 3) {
                    batch.reply(slot, slot == 1);
                }
            }
            assertThat(io.sendReplies(batch)).isEqualTo(4);
            assertThat(io.lastSendCalls()).as("system calls for four replies").isEqualTo(1);
            assertThat(io.failedReplies()).isZero();
            InetSocketAddress[] sender = new InetSocketAddress[1];
            for (int slot : new int[] {0, 4, 1, 2}) { // per peer in order; slot 3 was not marked
                int p = from[slot];
                byte[] reply = receive(listeners[p], sender);
                assertThat(reply).as("slot %d's reply", slot).isEqualTo(expected.get(slot));
                int peerPort = ((InetSocketAddress) peers[p].getLocalAddress()).getPort();
                assertThat(sender[0]).as("slot %d's reply's source", slot)
                        .isEqualTo(new InetSocketAddress("127.0.0.1", raw ? peerPort : port));
            }
            assertThat(expected.get(1)[3]).isEqualTo((byte) 0x5A);
            listeners[1].configureBlocking(false);
            assertThat(listeners[1].receive(ByteBuffer.allocate(2048))).as("no reply to the unmarked slot").isNull();
        } finally {
            for (int p = 0; p < 3; p++) {
                for (DatagramChannel c : new DatagramChannel[] {peers[p], listeners[p]}) {
                    if (c != null) {
                        c.close();
                    }
                }
            }
        }
    }

    /**
     * In a namespace with only loopback, a reply to an address without a route is refused by the
     * kernel in the middle of the batch: it alone is cancelled and counted, and the send goes on with
     * the ones after it (three calls: the one before, the refused one, the rest).
     */
    @Test
    @Tag("system")
    void aRefusedReplyIsCancelledAloneAndTheOthersStillGo() throws Exception {
        requireRoot();
        try (Netns ns = Netns.create("mmsg")) {
            ns.inside(() -> {
                try (MmsgBatchIo io = MmsgBatchIo.raw(LOOPBACK, 1 << 20, false, RawIpv4Socket.open());
                        DatagramChannel a = peer("127.0.0.2");
                        DatagramChannel replies = DatagramChannel.open(StandardProtocolFamily.INET)
                                .bind(new InetSocketAddress("127.0.0.2", io.localAddress().getPort()))) {
                    for (int i = 0; i < 4; i++) {
                        a.send(ByteBuffer.wrap(datagram(100 + i, i)), io.localAddress());
                    }
                    DatagramBatch batch = io.newBatch();
                    assertThat(io.receive(batch, true)).isEqualTo(4);
                    for (int slot = 0; slot < 4; slot++) {
                        batch.reply(slot, false);
                    }
                    batch.source(1).ipv4(0x0A09_0909, 4789); // 10.9.9.9: no route in the namespace
                    assertThat(io.sendReplies(batch)).isEqualTo(3);
                    assertThat(io.lastSendCalls()).isEqualTo(3);
                    assertThat(io.failedReplies()).isEqualTo(1);
                    assertThat(batch.willReply(1)).isFalse();
                    assertThat(batch.replies()).isEqualTo(3);
                    InetSocketAddress[] from = new InetSocketAddress[1];
                    for (int i : new int[] {0, 2, 3}) {
                        assertThat(receive(replies, from)).isEqualTo(datagram(100 + i, i));
                    }
                }
                return null;
            });
        }
    }

    @Test
    void aReplyToAnIpv6SourceIsCancelledWithoutACall() throws Exception {
        try (MmsgBatchIo io = MmsgBatchIo.udp(LOOPBACK, 1 << 20, false);
                DatagramChannel a = peer("127.0.0.1")) {
            a.send(ByteBuffer.wrap(datagram(10, 0)), io.localAddress());
            DatagramBatch batch = io.newBatch();
            assertThat(io.receive(batch, true)).isEqualTo(1);
            batch.reply(0, false);
            batch.source(0).ipv6(0x2001_0db8_0000_0000L, 1, 6081);
            assertThat(io.sendReplies(batch)).isZero();
            assertThat(io.lastSendCalls()).isZero();
            assertThat(io.failedReplies()).isEqualTo(1);
            assertThat(batch.willReply(0)).isFalse();
        }
    }

    @Test
    void rejectsABatchOfAnotherShapeAndAnAddressThatCannotBeTheRepliesSource() throws Exception {
        try (MmsgBatchIo io = MmsgBatchIo.udp(LOOPBACK, 0, false); Arena arena = Arena.ofConfined()) {
            DatagramBatch small = new DatagramBatch(64, 28, arena.allocate(65_536));
            assertThatThrownBy(() -> io.receive(small, false)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("expected: a batch from MmsgBatchIo.newBatch");
            assertThatThrownBy(() -> io.sendReplies(small)).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> MmsgBatchIo.udp(new InetSocketAddress("::1", 0), 0, false))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MmsgBatchIo.raw(new InetSocketAddress("0.0.0.0", 0), 0, false, null))
                .isInstanceOf(NullPointerException.class);
    }

    /**
     * Close wakes a waiting receive: the socket's receive timeout is made a minute long, and the
     * receive ends with ClosedChannelException well before it (the bound is a hang guard).
     */
    @Test
    void closeFromAnotherThreadEndsAWaitingReceive() throws Exception {
        LinuxSocket.Bound b = LinuxSocket.openUdp(LOOPBACK, LinuxSocket.AF_INET, 1 << 16, false, true);
        LinuxSocket.setReceiveTimeout(b.fd(), 60_000_000L);
        MmsgBatchIo io = new MmsgBatchIo(b.fd(), new InetSocketAddress("127.0.0.1", b.port()), null);
        DatagramBatch batch = io.newBatch();
        CompletableFuture<Throwable> receiver = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                while (true) {
                    io.receive(batch, true);
                }
            } catch (Throwable t) {
                receiver.complete(t);
            }
        });
        thread.start();
        TimeUnit.MILLISECONDS.sleep(200); // most likely inside recvmmsg by now (either way it must end)
        io.close();
        assertThat(receiver.get(30, TimeUnit.SECONDS)).isInstanceOf(ClosedChannelException.class);
        assertThat(io.isOpen()).isFalse();
        io.close(); // idempotent
        assertThatThrownBy(() -> io.receive(batch, false)).isInstanceOf(ClosedChannelException.class);
    }

    @Test
    void aBatchEachWayAllocatesNothing() throws Exception {
        requireRoot();
        try (Arena arena = Arena.ofConfined();
                MmsgBatchIo io = MmsgBatchIo.raw(LOOPBACK, 1 << 20, false, RawIpv4Socket.open());
                UdpSocket peer = UdpSocket.open(new InetSocketAddress("127.0.0.2", 0), 1 << 20);
                // the replies keep the ports: from the peer's port to the I/O's, on the peer's address
                UdpSocket replies = UdpSocket.open(new InetSocketAddress("127.0.0.2", io.localAddress().getPort()), 1 << 20)) {
            MemorySegment data = arena.allocate(2048);
            MemorySegment buffer = arena.allocate(65_536);
            DatagramSource source = new DatagramSource();
            DatagramBatch batch = io.newBatch();
            InetSocketAddress to = io.localAddress();
            int perBatch = 8;
            ThreadAllocation.Loop loop = n -> {
                long sink = 0;
                for (int i = 0; i < n; i++) {
                    for (int d = 0; d < perBatch; d++) {
                        data.set(ValueLayout.JAVA_INT, 0, i + d);
                        if (!peer.send(data, 0, 100 + d, to)) {
                            throw new AssertionError("send buffer full at " + i);
                        }
                    }
                    int got = io.receive(batch, true);
                    for (int slot = 0; slot < got; slot++) {
                        batch.reply(slot, false);
                    }
                    sink += io.sendReplies(batch);
                    for (int r = 0; r < got; ) {
                        int bytes = replies.receive(buffer, 0, 65_535, true, source);
                        if (bytes < 0) {
                            throw new AssertionError("a reply did not come back at " + i);
                        }
                        int size = source.segmentSize() > 0 ? source.segmentSize() : bytes;
                        r += size == 0 ? 1 : (bytes + size - 1) / size;
                        sink += bytes;
                    }
                }
                return sink;
            };
            long bytes = ThreadAllocation.of(loop, 5_000, 1_000);
            System.out.printf("MmsgBatchIo: %d bytes allocated over 1000 batches of %d datagrams each way%n", bytes, perBatch);
            assertThat(bytes).as("bytes allocated over 1,000 batches").isLessThan(4_000);
        }
    }
}
