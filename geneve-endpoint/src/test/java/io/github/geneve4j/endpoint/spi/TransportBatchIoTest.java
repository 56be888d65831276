package io.github.geneve4j.endpoint.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link TransportBatchIo} and {@link DatagramBatch} over a scripted transport: a GRO run becomes one
 * slot per datagram, each with its sender; the raw replies of a whole run are byte-exact although each
 * one's headroom is the end of the datagram before it; a refused or failing send cancels that reply
 * alone; replies through the transport go to each source; the batch's own checks.
 */
class TransportBatchIoTest {

    private static final int LOCAL = 0x0a000105; // 10.0.1.5
    private static final int GWLB = 0x0a000163; // 10.0.1.99

    /** A transport that hands out scripted receives (bytes, GRO segment size) and keeps what it sends. */
    static class ScriptedTransport implements DatagramTransport {
        final ArrayDeque<Object[]> receives = new ArrayDeque<>();
        final List<Object[]> sent = new ArrayList<>();
        boolean closed;

        void queue(byte[] bytes, int segmentSize) {
            receives.add(new Object[] {bytes, segmentSize});
        }

        @Override
        public InetSocketAddress localAddress() {
            return new InetSocketAddress(address(LOCAL), 6081);
        }

        @Override
        public boolean send(MemorySegment buffer, long offset, long length, InetSocketAddress to) throws IOException {
            if (closed) {
                throw new ClosedChannelException();
            }
            sent.add(new Object[] {buffer.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE), to});
            return true;
        }

        @Override
        public int receive(MemorySegment buffer, long offset, long capacity, boolean wait, DatagramSource source)
                throws IOException {
            if (closed) {
                throw new ClosedChannelException();
            }
            Object[] r = receives.poll();
            if (r == null) {
                return -1;
            }
            byte[] bytes = (byte[]) r[0];
            MemorySegment.copy(bytes, 0, buffer, ValueLayout.JAVA_BYTE, offset, bytes.length);
            source.ipv4(GWLB, 40_000).segmentSize((int) r[1]);
            return bytes.length;
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

    /** A raw sender that keeps each packet, refusing the ones whose index is in {@code refuse}, failing those in {@code fail}. */
    static final class Raw implements RawIpv4Sender {
        final List<byte[]> packets = new ArrayList<>();
        final List<Integer> refuse = new ArrayList<>();
        final List<Integer> fail = new ArrayList<>();
        int calls;
        boolean closed;

        @Override
        public boolean sendIpv4(MemorySegment buffer, long offset, long length) throws IOException {
            int call = calls++;
            if (fail.contains(call)) {
                throw new IOException("EMSGSIZE");
            }
            if (refuse.contains(call)) {
                return false;
            }
            packets.add(buffer.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE));
            return true;
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    static InetAddress address(int a) {
        try {
            return InetAddress.getByAddress(ByteBuffer.allocate(4).putInt(a).array());
        } catch (java.net.UnknownHostException impossible) {
            throw new AssertionError(impossible);
        }
    }

    /** {@code count} datagrams of {@code size} bytes back to back (the last {@code last} bytes), each filled with its index. */
    static byte[] run(int count, int size, int last) {
        byte[] b = new byte[(count - 1) * size + last];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i / size + 1);
        }
        return b;
    }

    @Test
    void aGroRunFillsOneSlotPerDatagramWithItsSource() throws Exception {
        ScriptedTransport udp = new ScriptedTransport();
        TransportBatchIo io = TransportBatchIo.udp(udp);
        DatagramBatch batch = io.newBatch();
        assertThat(batch.slots()).isEqualTo(64);
        assertThat(batch.headroom()).isEqualTo(DatagramBatch.IPV4_UDP_HEADROOM);
        udp.queue(run(5, 100, 37), 100);
        assertThat(io.receive(batch, false)).isEqualTo(5);
        assertThat(batch.count()).isEqualTo(5);
        for (int slot = 0; slot < 5; slot++) {
            assertThat(batch.length(slot)).isEqualTo(slot < 4 ? 100 : 37);
            assertThat(batch.offset(slot)).isEqualTo(28 + 100L * slot);
            assertThat(batch.segment(slot).get(ValueLayout.JAVA_BYTE, batch.offset(slot))).isEqualTo((byte) (slot + 1));
            assertThat(batch.source(slot).low()).isEqualTo(GWLB & 0xFFFF_FFFFL);
            assertThat(batch.source(slot).port()).isEqualTo(40_000);
        }
        assertThat(io.receive(batch, false)).as("nothing queued").isZero();
        assertThat(batch.count()).isZero();
        udp.queue(new byte[300], 0);
        assertThat(io.receive(batch, false)).as("no GRO: one datagram").isOne();
        assertThat(batch.length(0)).isEqualTo(300);
        udp.queue(new byte[0], 0);
        assertThat(io.receive(batch, false)).as("an empty datagram is one too").isOne();
        assertThat(batch.length(0)).isZero();
    }

    @Test
    void rawRepliesOfAGroRunAreByteExactThoughEachHeadroomIsThePreviousDatagramsEnd() throws Exception {
        ScriptedTransport udp = new ScriptedTransport();
        Raw raw = new Raw();
        TransportBatchIo io = TransportBatchIo.raw(udp, raw);
        DatagramBatch batch = io.newBatch();
        byte[] run = run(4, 60, 60);
        udp.queue(run, 60);
        io.receive(batch, true);
        for (int slot = 0; slot < 4; slot++) {
            batch.reply(slot, false);
        }
        assertThat(batch.replies()).isEqualTo(4);
        assertThat(io.sendReplies(batch)).isEqualTo(4);
        assertThat(raw.packets).hasSize(4);
        for (int i = 0; i < 4; i++) {
            byte[] p = raw.packets.get(i);
            ByteBuffer b = ByteBuffer.wrap(p);
            assertThat(p).hasSize(28 + 60);
            assertThat(b.getInt(12)).as("from the local address").isEqualTo(LOCAL);
            assertThat(b.getInt(16)).as("to the source").isEqualTo(GWLB);
            assertThat(b.getShort(20) & 0xFFFF).as("source port: the source's").isEqualTo(40_000);
            assertThat(b.getShort(22) & 0xFFFF).as("destination port: the one it was sent to").isEqualTo(6081);
            assertThat(Arrays.copyOfRange(p, 28, p.length)).as("datagram " + i).isEqualTo(Arrays.copyOfRange(run, 60 * i, 60 * i + 60));
            assertThat(checksum(p, 0, 20, 0)).as("IPv4 header checksum").isEqualTo(0xFFFF);
            long pseudo = (LOCAL >>> 16) + (LOCAL & 0xFFFF) + (GWLB >>> 16) + (GWLB & 0xFFFF) + 17 + 8 + 60;
            assertThat(checksum(p, 20, p.length, pseudo)).as("UDP checksum").isEqualTo(0xFFFF);
        }
    }

    @Test
    void aRefusedOrFailingReplyIsCancelledAloneAndTheOthersGo() throws Exception {
        ScriptedTransport udp = new ScriptedTransport();
        Raw raw = new Raw();
        raw.refuse.add(1);
        raw.fail.add(3);
        TransportBatchIo io = TransportBatchIo.raw(udp, raw);
        DatagramBatch batch = io.newBatch();
        udp.queue(run(5, 50, 50), 50);
        io.receive(batch, true);
        for (int slot = 0; slot < 5; slot++) {
            batch.reply(slot, true);
        }
        assertThat(io.sendReplies(batch)).isEqualTo(3);
        assertThat(batch.replies()).isEqualTo(3);
        assertThat(List.of(batch.willReply(0), batch.willReply(1), batch.willReply(2), batch.willReply(3), batch.willReply(4)))
                .containsExactly(true, false, true, false, true);
        assertThat(batch.changed(0)).isTrue();
        udp.close();
        io.close();
        assertThat(raw.closed).as("closing the I/O closes its sender").isTrue();
        assertThatThrownBy(() -> io.receive(batch, true)).isInstanceOf(ClosedChannelException.class);
    }

    @Test
    void repliesThroughTheTransportGoToEachSourceFromItsPort() throws Exception {
        ScriptedTransport udp = new ScriptedTransport();
        TransportBatchIo io = TransportBatchIo.udp(udp);
        DatagramBatch batch = io.newBatch();
        udp.queue(run(3, 20, 20), 20);
        io.receive(batch, true);
        batch.reply(0, false);
        batch.reply(2, false);
        assertThat(io.sendReplies(batch)).isEqualTo(2);
        assertThat(udp.sent).hasSize(2);
        assertThat((byte[]) udp.sent.get(1)[0]).isEqualTo(Arrays.copyOfRange(run(3, 20, 20), 40, 60));
        assertThat(udp.sent.get(0)[1]).isEqualTo(new InetSocketAddress(address(GWLB), 40_000));
    }

    @Test
    void rawRepliesNeedOneIpv4AddressAndABatchOfThisIo() throws Exception {
        ScriptedTransport wildcard = new ScriptedTransport() {
            @Override
            public InetSocketAddress localAddress() {
                return new InetSocketAddress(6081);
            }
        };
        assertThatThrownBy(() -> TransportBatchIo.raw(wildcard, new Raw())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expected: one IPv4 address");
        TransportBatchIo io = TransportBatchIo.udp(new ScriptedTransport());
        DatagramBatch foreign = new DatagramBatch(8, 28, Arena.ofAuto().allocate(1024));
        assertThatThrownBy(() -> io.receive(foreign, false)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("TransportBatchIo.newBatch");
    }

    @Test
    void aBatchChecksWhatItIsGiven() {
        DatagramBatch batch = new DatagramBatch(2, 28, Arena.ofAuto().allocate(1000));
        MemorySegment m = batch.memory();
        assertThatThrownBy(() -> batch.add(m, 27, 10)).as("no headroom").isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> batch.add(m, 990, 20)).as("past the memory").isInstanceOf(IllegalArgumentException.class);
        assertThat(batch.add(m, 28, 10)).isZero();
        assertThat(batch.add(m, 100, 10)).isOne();
        assertThatThrownBy(() -> batch.add(m, 200, 10)).as("full").isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> batch.reply(2, false)).isInstanceOf(IndexOutOfBoundsException.class);
        batch.reply(1, false);
        batch.reply(1, false);
        assertThat(batch.replies()).as("marked once").isOne();
        batch.source(1).ipv6(1, 2, 3);
        assertThatThrownBy(() -> batch.writeIpv4Reply(1, LOCAL, 6081)).isInstanceOf(IllegalStateException.class);
        batch.clear();
        assertThat(batch.count()).isZero();
        assertThat(batch.replies()).isZero();
        assertThatThrownBy(() -> new DatagramBatch(0, 28, m)).isInstanceOf(IllegalArgumentException.class);
    }

    /** The ones'-complement sum of {@code b[from..to)} plus {@code start}, folded: 0xFFFF over a valid checksum. */
    static int checksum(byte[] b, int from, int to, long start) {
        long sum = start;
        for (int i = from; i < to; i += 2) {
            sum += ((b[i] & 0xFF) << 8) | (i + 1 < to ? b[i + 1] & 0xFF : 0);
        }
        while (sum >>> 16 != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) sum;
    }
}
