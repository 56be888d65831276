package io.github.geneve4j.endpoint.spi;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.Objects;

/**
 * {@link DatagramBatchIo} over a {@link DatagramTransport}: one {@link DatagramTransport#receive} per
 * batch (a UDP GRO run of several datagrams fills one slot each, in place), then one send per reply:
 * through a {@link RawIpv4Sender} with the UDP ports as received ({@link #raw}), or through the
 * transport itself, from its own port ({@link #udp}: no privileges, but not the ports as received).
 * JDK only; the portable choice, and what the GWLB appliance uses on sockets.
 *
 * <pre>{@code
 * DatagramBatchIo io = TransportBatchIo.raw(UdpSocket.open(local, 4 << 20), RawIpv4Socket.open());
 * }</pre>
 *
 * <p>Its batches hold one receive buffer of 64 KiB and 64 slots (the most datagrams Linux coalesces
 * into one GRO receive). The datagrams of a GRO run lie back to back, so a slot's headroom is the end
 * of the datagram before it: each reply is written and sent before the next one's headers are, in
 * slot order, so no reply overwrites one still to be sent.
 */
public final class TransportBatchIo implements DatagramBatchIo {

    /** The most UDP datagrams Linux coalesces into one GRO receive ({@code UDP_GRO_CNT_MAX}). */
    static final int SLOTS = 64;
    /** The largest UDP payload. */
    static final int MAX_DATAGRAM = 65_535;
    /** A batch's receive buffer: the headroom and the largest datagram (and a byte more, as the engine's). */
    private static final int BUFFER = DatagramBatch.IPV4_UDP_HEADROOM + MAX_DATAGRAM + 1;

    private final DatagramTransport transport;
    private final RawIpv4Sender sender;
    private final int localAddress;
    private final int localPort;
    // the reply address for replies through the transport, kept while the source stays the same
    private InetSocketAddress replyTo;
    private long replyHigh;
    private long replyLow = -1;
    private int replyPort = -1;

    private TransportBatchIo(DatagramTransport transport, RawIpv4Sender sender) {
        this.transport = transport;
        this.sender = sender;
        InetSocketAddress local = transport.localAddress();
        this.localAddress = local.getAddress() instanceof Inet4Address a ? a.hashCode() : 0; // Inet4Address's hash is its address
        this.localPort = local.getPort();
    }

    /**
     * Receives on {@code transport} and replies through {@code sender}, with the UDP ports as received:
     * from the transport's address and the port each datagram was sent to, to its source address and port.
     *
     * @throws IllegalArgumentException if the transport is not bound to one IPv4 address (the replies' source)
     */
    public static TransportBatchIo raw(DatagramTransport transport, RawIpv4Sender sender) {
        Objects.requireNonNull(sender, "sender");
        InetSocketAddress local = transport.localAddress();
        if (!(local.getAddress() instanceof Inet4Address) || local.getAddress().isAnyLocalAddress()) {
            throw new IllegalArgumentException("found a transport bound to " + local
                    + " (expected: one IPv4 address, the replies' source, when replies go over raw IPv4)");
        }
        return new TransportBatchIo(transport, sender);
    }

    /**
     * Receives on {@code transport} and replies through it: from the transport's own port to each
     * datagram's source address and port. No privileges needed; a peer that checks the reply's ports
     * (GWLB documents them kept) wants {@link #raw}.
     */
    public static TransportBatchIo udp(DatagramTransport transport) {
        return new TransportBatchIo(Objects.requireNonNull(transport, "transport"), null);
    }

    @Override
    public InetSocketAddress localAddress() {
        return transport.localAddress();
    }

    /** A batch of 64 slots over one receive buffer of 64 KiB (and the headroom in front of it). */
    @Override
    public DatagramBatch newBatch() {
        return new DatagramBatch(SLOTS, DatagramBatch.IPV4_UDP_HEADROOM,
                Arena.ofAuto().allocate(BUFFER, 8));
    }

    @Override
    public int receive(DatagramBatch batch, boolean wait) throws IOException {
        MemorySegment buffer = buffer(batch);
        batch.clear();
        DatagramSource source = batch.source(0);
        long at = DatagramBatch.IPV4_UDP_HEADROOM;
        int n = transport.receive(buffer, at, MAX_DATAGRAM, wait, source);
        if (n < 0) {
            return 0;
        }
        int size = source.segmentSize();
        if (size <= 0 || size > n) {
            size = n;
        }
        // one slot per datagram of the run (an empty datagram takes one too: the reader counts it);
        // Linux coalesces at most 64, as many as the slots
        long p = at;
        long end = at + n;
        do {
            int slot = batch.add(buffer, p, (int) Math.min(size, end - p));
            if (slot > 0) {
                copy(source, batch.source(slot));
            }
            p += size;
        } while (p < end && batch.count() < SLOTS);
        return batch.count();
    }

    private static void copy(DatagramSource from, DatagramSource to) {
        if (from.isIpv6()) {
            to.ipv6(from.high(), from.low(), from.port());
        } else {
            to.ipv4((int) from.low(), from.port());
        }
    }

    @Override
    public int sendReplies(DatagramBatch batch) throws IOException {
        int sent = 0;
        for (int slot = 0, n = batch.count(); slot < n; slot++) {
            if (!batch.willReply(slot)) {
                continue;
            }
            boolean ok;
            try {
                ok = sender != null ? sendRaw(batch, slot) : sendUdp(batch, slot);
            } catch (ClosedChannelException e) {
                throw e;
            } catch (IOException e) {
                ok = false; // this reply only: counted by the caller, the others still go
            }
            if (ok) {
                sent++;
            } else {
                batch.cancelReply(slot);
            }
        }
        return sent;
    }

    private boolean sendRaw(DatagramBatch batch, int slot) throws IOException {
        if (batch.source(slot).isIpv6()) {
            return false;
        }
        long ip = batch.writeIpv4Reply(slot, localAddress, localPort);
        return sender.sendIpv4(batch.segment(slot), ip, DatagramBatch.IPV4_UDP_HEADROOM + batch.length(slot));
    }

    private boolean sendUdp(DatagramBatch batch, int slot) throws IOException {
        DatagramSource source = batch.source(slot);
        if (source.low() != replyLow || source.high() != replyHigh || source.port() != replyPort || replyTo == null) {
            replyTo = source.toSocketAddress(); // allocates once per new source, not per datagram
            replyHigh = source.high();
            replyLow = source.low();
            replyPort = source.port();
        }
        return transport.send(batch.segment(slot), batch.offset(slot), batch.length(slot), replyTo);
    }

    private static MemorySegment buffer(DatagramBatch batch) {
        MemorySegment buffer = batch.memory();
        if (buffer.byteSize() < BUFFER || batch.slots() < SLOTS
                || batch.headroom() < DatagramBatch.IPV4_UDP_HEADROOM) {
            throw new IllegalArgumentException("found " + batch + " (expected: a batch from TransportBatchIo.newBatch)");
        }
        return buffer;
    }

    @Override
    public boolean isOpen() {
        return transport.isOpen();
    }

    /** Closes the transport and the sender. */
    @Override
    public void close() throws IOException {
        IOException first = null;
        try {
            transport.close();
        } catch (IOException e) {
            first = e;
        }
        if (sender != null) {
            try {
                sender.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    @Override
    public String toString() {
        return "TransportBatchIo[" + transport + (sender != null ? ", replies through " + sender : ", replies from its port")
                + "]";
    }
}
