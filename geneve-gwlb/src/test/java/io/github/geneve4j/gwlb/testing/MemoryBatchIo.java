package io.github.geneve4j.gwlb.testing;

import io.github.geneve4j.endpoint.spi.DatagramBatch;
import io.github.geneve4j.endpoint.spi.DatagramBatchIo;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link DatagramBatchIo} in memory, the test double for code that reads batches (the GWLB
 * appliance): a test {@linkplain #deliver delivers} datagrams from a given IPv4 source, the reader
 * receives them in batches of up to {@link #SLOTS} (what is queued, as a socket gives it), and every
 * reply it sends is kept as the whole raw IPv4 packet the reply would be ({@link #replies()}: the outer
 * headers written by {@link DatagramBatch#writeIpv4Reply}, from {@link #localAddress()}).
 *
 * <p>{@link #awaitIdle()} waits until the reader has handled everything delivered and asked for more:
 * its counters then include every datagram and reply, without a test timing anything. {@link #refuse}
 * makes the next sends fail, as a full socket buffer does. Thread-safe between one reader and the test.
 */
public final class MemoryBatchIo implements DatagramBatchIo {

    /** Slots of a batch. */
    public static final int SLOTS = 8;
    private static final int SLOT = DatagramBatch.IPV4_UDP_HEADROOM + 65_535;

    private final InetSocketAddress local;
    private final int localAddress;
    private final BlockingQueue<Datagram> queue = new LinkedBlockingQueue<>();
    private final BlockingQueue<byte[]> replies = new LinkedBlockingQueue<>();
    private final AtomicInteger refusals = new AtomicInteger();
    private final Object idle = new Object();
    private int pending; // delivered, not yet handed back by a receive that found the queue empty
    private volatile boolean closed;

    private record Datagram(byte[] bytes, int address, int port) {
    }

    /** An I/O "bound" to {@code local} (an IPv4 address and a port). */
    public MemoryBatchIo(InetSocketAddress local) {
        this.local = local;
        this.localAddress = local.getAddress().hashCode(); // Inet4Address's hash is its address
    }

    /** An I/O on 10.0.1.5:6081, an appliance's address. */
    public MemoryBatchIo() {
        this(new InetSocketAddress(address(10, 0, 1, 5), 6081));
    }

    /** An IPv4 address from its bytes. */
    public static InetAddress address(int a, int b, int c, int d) {
        try {
            return InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
        } catch (UnknownHostException impossible) {
            throw new AssertionError(impossible);
        }
    }

    /** Queues {@code datagram} (a UDP payload) as sent from {@code address} (IPv4, big-endian in an int) and {@code port}. */
    public void deliver(byte[] datagram, int address, int port) {
        synchronized (idle) {
            pending++;
        }
        queue.add(new Datagram(datagram.clone(), address, port));
    }

    /** The replies sent so far, each the whole IPv4 packet (outer IPv4 and UDP headers, then the datagram). */
    public BlockingQueue<byte[]> replies() {
        return replies;
    }

    /** Makes the next {@code sends} replies fail (not sent, as when the socket's buffer is full). */
    public void refuse(int sends) {
        refusals.set(sends);
    }

    /**
     * Waits (up to 10 s) until every datagram delivered so far was received and the reader came back
     * for more: it has handled them and sent their replies.
     *
     * @throws AssertionError if the reader did not within 10 s (it died, or hangs)
     */
    public void awaitIdle() throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        synchronized (idle) {
            while (pending > 0) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError(pending + " datagrams still not handled after 10 s");
                }
                TimeUnit.NANOSECONDS.timedWait(idle, left);
            }
        }
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    @Override
    public DatagramBatch newBatch() {
        return new DatagramBatch(SLOTS, DatagramBatch.IPV4_UDP_HEADROOM, Arena.ofAuto().allocate((long) SLOTS * SLOT, 8));
    }

    @Override
    public int receive(DatagramBatch batch, boolean wait) throws ClosedChannelException {
        batch.clear();
        // the previous batch is handled once the reader is back: it no longer counts as pending
        synchronized (idle) {
            pending -= handedOut;
            handedOut = 0;
            idle.notifyAll();
        }
        if (closed) {
            throw new ClosedChannelException();
        }
        try {
            Datagram d = wait ? queue.poll(100, TimeUnit.MILLISECONDS) : queue.poll();
            while (d != null) {
                MemorySegment memory = batch.memory();
                long at = (long) batch.count() * SLOT + DatagramBatch.IPV4_UDP_HEADROOM;
                MemorySegment.copy(d.bytes, 0, memory, ValueLayout.JAVA_BYTE, at, d.bytes.length);
                int slot = batch.add(memory, at, d.bytes.length);
                batch.source(slot).ipv4(d.address, d.port);
                handedOut++;
                d = batch.count() < SLOTS ? queue.poll() : null;
            }
        } catch (InterruptedException e) {
            throw new ClosedChannelException();
        }
        if (closed) {
            throw new ClosedChannelException();
        }
        return batch.count();
    }

    private int handedOut; // read and written by the reader's thread only

    @Override
    public int sendReplies(DatagramBatch batch) throws ClosedChannelException {
        if (closed) {
            throw new ClosedChannelException();
        }
        int sent = 0;
        for (int slot = 0; slot < batch.count(); slot++) {
            if (!batch.willReply(slot)) {
                continue;
            }
            if (refusals.get() > 0 && refusals.getAndDecrement() > 0) {
                batch.cancelReply(slot);
                continue;
            }
            long ip = batch.writeIpv4Reply(slot, localAddress, local.getPort());
            replies.add(batch.segment(slot).asSlice(ip, DatagramBatch.IPV4_UDP_HEADROOM + batch.length(slot))
                    .toArray(ValueLayout.JAVA_BYTE));
            sent++;
        }
        return sent;
    }

    @Override
    public boolean isOpen() {
        return !closed;
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public String toString() {
        return "MemoryBatchIo[" + local + "]";
    }
}
