package io.github.geneve4j.linux.xdp;

import io.github.geneve4j.codec.NetworkOrder;
import io.github.geneve4j.codec.net.EthernetView;
import io.github.geneve4j.codec.net.InternetChecksum;
import io.github.geneve4j.codec.net.Ipv4View;
import io.github.geneve4j.codec.net.UdpView;
import io.github.geneve4j.endpoint.spi.DatagramBatch;
import io.github.geneve4j.endpoint.spi.DatagramBatchIo;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link DatagramBatchIo} on one RX queue's {@link XdpSocket}: the slots a reader sees are the UDP
 * payloads (the Geneve datagrams) where the kernel put them in the UMEM, with their IPv4 source
 * address and port, as a socket hands them over; each reply is built in place in the frame it came
 * in and transmitted from there. No copy in user space, no system call per packet (the kernel is
 * woken once per batch, and only when a ring asks for it), nothing allocated per batch.
 *
 * <pre>{@code
 * List<XdpBatchIo> queues = XdpBatchIo.open("eth0", new InetSocketAddress("10.0.1.5", 6081), 2,
 *         XdpProgram.Mode.AUTO, XdpSocket.Options.DEFAULT);
 * GwlbAppliance.Builder builder = GwlbAppliance.builder();
 * queues.forEach(builder::io); // one receive thread per RX queue; closing the last detaches the program
 * }</pre>
 *
 * <p><b>The reply</b>, as a reflector such as the GWLB appliance answers, from the received frame:
 * Ethernet destination and source swapped (the reply goes back to the next hop it came from); IPv4
 * source and destination swapped, TTL 64 as the socket path's replies have, the header checksum
 * updated (RFC 1624), type of service, identification and flags as received; the UDP ports as
 * received (the peer's source port stays the source port, the local port the destination); the UDP
 * checksum 0 (none, allowed over IPv4 by RFC 768 and RFC 8926 §3.3) when the reader changed nothing,
 * computed over the reply when it did ({@link DatagramBatch#reply(int, boolean)}'s {@code changed}).
 * The received checksum is not kept: a sender behind a veth or on the same host hands its datagrams
 * over with {@code CHECKSUM_PARTIAL}, the field holding only the pseudo-header's sum. From the UDP
 * payload on, the reply is the bytes the reader left, as on sockets; it is as long as the received
 * IPv4 packet (Ethernet padding dropped).
 *
 * <p><b>What reaches a slot</b>: the program steers IPv4 UDP to the local address and port, not
 * fragmented; this side checks again what it reads (the frame's lengths, the IPv4 and UDP headers,
 * the IPv4 header checksum, the destination; not the UDP checksum, which a veth peer leaves partial)
 * and gives every other frame back to the kernel unanswered, counted by a {@link DropReason} ({@link #drops(DropReason)}).
 *
 * <p>Batches: {@link #newBatch()} gives batches of {@value #SLOTS} slots over the UMEM. One batch is
 * in flight: a {@link #receive} gives the frames of the previous one back to the kernel, and
 * {@link #sendReplies} sends the replies of the batch last received into (and gives its other frames
 * back). One thread uses an I/O and its batches.
 */
public final class XdpBatchIo implements DatagramBatchIo {

    /** Slots per batch: frames one receive takes from the RX ring at most. */
    public static final int SLOTS = 64;

    /** Why a frame the program steered here was not handed to the reader. */
    public enum DropReason {
        /** Not an Ethernet frame carrying IPv4 (version 4, a header of 20 bytes or more) and UDP. */
        NOT_IPV4_UDP,
        /** Lengths that do not add up: the frame shorter than the IPv4 total length, the UDP length not the IPv4 payload's. */
        MALFORMED,
        /** An IPv4 header whose checksum is wrong (RFC 791: the kernel drops those too). */
        BAD_HEADER_CHECKSUM,
        /** An IPv4 fragment (more-fragments or an offset set): the kernel reassembles those, not this path. */
        FRAGMENT,
        /** Not to the local address and port. */
        NOT_LOCAL
    }

    /** The headroom of a slot: Ethernet, IPv4 without options and UDP headers in front of every payload. */
    static final int HEADROOM = EthernetView.HEADER_LENGTH + Ipv4View.MIN_HEADER_LENGTH + UdpView.HEADER_LENGTH;

    private static final ValueLayout.OfInt RAW_INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfShort RAW_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;

    // field offsets from the frame's first byte
    private static final int ETHERTYPE = 12;
    private static final int IP = EthernetView.HEADER_LENGTH;
    private static final int IP_TOTAL_LENGTH = IP + 2;
    private static final int IP_FLAGS_FRAGMENT = IP + 6;
    private static final int IP_TTL_PROTOCOL = IP + 8;
    private static final int IP_CHECKSUM = IP + 10;
    private static final int IP_SOURCE = IP + 12;
    private static final int IP_DESTINATION = IP + 16;
    // from the UDP header's first byte
    private static final int UDP_DESTINATION_PORT = 2;
    private static final int UDP_LENGTH = 4;
    private static final int UDP_CHECKSUM = 6;

    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int PROTOCOL_UDP = 17;
    private static final int REPLY_TTL = 64;
    private static final int MORE_FRAGMENTS_AND_OFFSET = 0x3FFF;
    /** How long a waiting receive polls, as {@link DatagramBatchIo#receive} says ("about half a second"). */
    private static final int WAIT_MILLIS = 500;

    private final XdpSocket socket;
    private final Attachment attachment;
    private final int queue;
    private final InetSocketAddress local;
    private final int localAddress;
    private final int localPort;
    private final MemorySegment umem;
    private final XdpFrames frames = new XdpFrames(SLOTS);
    /** The frame of each slot of {@link #inFlight}. */
    private final int[] frameOfSlot = new int[SLOTS];
    private final long[] drops = new long[DropReason.values().length];
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The batch the frames in {@link #frames} belong to, or null. */
    private DatagramBatch inFlight;
    private volatile XdpStatistics lastStatistics;

    private XdpBatchIo(XdpSocket socket, Attachment attachment, int queue, InetSocketAddress local) {
        this.socket = socket;
        this.attachment = attachment;
        this.queue = queue;
        this.local = local;
        this.localAddress = ((Inet4Address) local.getAddress()).hashCode(); // Inet4Address's hash is its address
        this.localPort = local.getPort();
        this.umem = socket.umem();
    }

    /**
     * Attaches the {@link XdpProgram} for {@code local} to device {@code interfaceName} (in the calling
     * thread's network namespace) and opens an XDP socket on each of its RX queues {@code 0..queues-1}:
     * one I/O per queue, for one receive thread each. The program stays attached until the last of
     * them is closed (and goes with the process, however it ends). If any step fails, what was opened
     * is closed and the program detached.
     *
     * @param interfaceName the device GWLB's datagrams arrive on, e.g. {@code "eth0"}
     * @param local the IPv4 address and UDP port they are sent to (normally 6081)
     * @param queues RX queues to serve, 1..64 (the device must have that many)
     * @param mode native, generic, or native falling back to generic
     * @param options the sockets' sizes
     * @return the I/Os, queue 0 first
     * @throws XdpException naming what is missing: privileges ({@code CAP_NET_ADMIN}, {@code CAP_BPF},
     *         {@code CAP_NET_RAW}), memory for the UMEM ({@code RLIMIT_MEMLOCK}, {@code CAP_IPC_LOCK}), the
     *         device, a queue, XDP sockets in the kernel
     * @throws IllegalArgumentException for an address that is not one IPv4 address, or queues outside 1..64
     */
    public static List<XdpBatchIo> open(String interfaceName, InetSocketAddress local, int queues, XdpProgram.Mode mode,
            XdpSocket.Options options) throws XdpException {
        if (!(local.getAddress() instanceof Inet4Address) || local.getAddress().isAnyLocalAddress()) {
            throw new IllegalArgumentException("found " + local + " (expected: one IPv4 address, the replies' source)");
        }
        if (queues < 1 || queues > 64) {
            throw new IllegalArgumentException("found " + queues + " queues (expected: 1..64)");
        }
        XdpProgram program = XdpProgram.attach(interfaceName, local, queues, mode);
        Attachment attachment = new Attachment(program, queues);
        List<XdpBatchIo> opened = new ArrayList<>(queues);
        try {
            for (int q = 0; q < queues; q++) {
                XdpSocket socket = XdpSocket.open(program, q, options);
                opened.add(new XdpBatchIo(socket, attachment, q, local));
            }
        } catch (XdpException | RuntimeException | Error e) {
            for (XdpBatchIo io : opened) {
                io.close();
            }
            // the queues never opened will not release theirs
            for (int q = opened.size(); q < queues; q++) {
                attachment.release();
            }
            throw e;
        }
        return List.copyOf(opened);
    }

    /** The program and how many I/Os still use it: the last to close detaches it. */
    private static final class Attachment {
        final XdpProgram program;
        final AtomicInteger users;

        Attachment(XdpProgram program, int users) {
            this.program = program;
            this.users = new AtomicInteger(users);
        }

        void release() {
            if (users.decrementAndGet() == 0) {
                program.close();
            }
        }
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    /** A batch of {@value #SLOTS} slots over this I/O's UMEM. */
    @Override
    public DatagramBatch newBatch() {
        return new DatagramBatch(SLOTS, HEADROOM, umem);
    }

    @Override
    public int receive(DatagramBatch batch, boolean wait) throws IOException {
        check(batch);
        batch.clear();
        inFlight = null;
        int n = socket.receive(frames, wait ? WAIT_MILLIS : 0);
        MemorySegment m = frames.umem();
        for (int i = 0; i < n; i++) {
            long at = frames.offset(i);
            int length = frames.length(i);
            DropReason reason = check(m, at, length, localAddress, localPort);
            if (reason != null) {
                drops[reason.ordinal()]++;
                continue; // not marked: back to the kernel with the rest of the batch
            }
            long udp = at + IP + ihl(m, at);
            int payload = (m.get(NetworkOrder.SHORT, udp + UDP_LENGTH) & 0xFFFF) - UdpView.HEADER_LENGTH;
            int slot = batch.add(m, udp + UdpView.HEADER_LENGTH, payload);
            batch.source(slot).ipv4(m.get(NetworkOrder.INT, at + IP_SOURCE), m.get(NetworkOrder.SHORT, udp) & 0xFFFF);
            frameOfSlot[slot] = i;
        }
        inFlight = batch;
        return batch.count();
    }

    @Override
    public int sendReplies(DatagramBatch batch) throws IOException {
        check(batch);
        if (batch != inFlight) {
            // its frames went back to the kernel with a later receive: nothing of it can be sent
            for (int slot = 0, n = batch.count(); slot < n; slot++) {
                batch.cancelReply(slot);
            }
            return 0;
        }
        MemorySegment m = frames.umem();
        int marked = 0;
        for (int slot = 0, n = batch.count(); slot < n; slot++) {
            if (batch.willReply(slot)) {
                int frame = frameOfSlot[slot];
                frames.reply(frame, reply(m, frames.offset(frame), batch.changed(slot)));
                marked++;
            }
        }
        inFlight = null;
        int queued = socket.transmit(frames);
        if (queued < marked) {
            // the TX ring took the first replies in frame order, which is slot order: the rest were dropped
            int seen = 0;
            for (int slot = 0, n = batch.count(); slot < n; slot++) {
                if (batch.willReply(slot) && seen++ >= queued) {
                    batch.cancelReply(slot);
                }
            }
        }
        return queued;
    }

    private void check(DatagramBatch batch) {
        if (batch.memory() != umem) {
            throw new IllegalArgumentException("found " + batch + " (expected: a batch from this XdpBatchIo's newBatch)");
        }
    }

    /**
     * Whether the {@code length}-byte frame at {@code at} is an IPv4 UDP datagram to
     * {@code localAddress}:{@code localPort}, whole and unfragmented, with lengths that add up.
     *
     * @return null when it is, or why not
     */
    static DropReason check(MemorySegment m, long at, int length, int localAddress, int localPort) {
        if (length < HEADROOM || (m.get(NetworkOrder.SHORT, at + ETHERTYPE) & 0xFFFF) != ETHERTYPE_IPV4) {
            return DropReason.NOT_IPV4_UDP;
        }
        int versionIhl = m.get(ValueLayout.JAVA_BYTE, at + IP) & 0xFF;
        int ihl = (versionIhl & 0x0F) * 4;
        if (versionIhl >>> 4 != 4 || ihl < Ipv4View.MIN_HEADER_LENGTH
                || (m.get(NetworkOrder.SHORT, at + IP_TTL_PROTOCOL) & 0xFF) != PROTOCOL_UDP) {
            return DropReason.NOT_IPV4_UDP;
        }
        int total = m.get(NetworkOrder.SHORT, at + IP_TOTAL_LENGTH) & 0xFFFF;
        if (IP + total > length || total < ihl + UdpView.HEADER_LENGTH
                || (m.get(NetworkOrder.SHORT, at + IP + ihl + UDP_LENGTH) & 0xFFFF) != total - ihl) {
            return DropReason.MALFORMED;
        }
        if (InternetChecksum.fold(InternetChecksum.sum(m, at + IP, ihl)) != 0xFFFF) {
            return DropReason.BAD_HEADER_CHECKSUM;
        }
        if ((m.get(NetworkOrder.SHORT, at + IP_FLAGS_FRAGMENT) & MORE_FRAGMENTS_AND_OFFSET) != 0) {
            return DropReason.FRAGMENT;
        }
        if (m.get(NetworkOrder.INT, at + IP_DESTINATION) != localAddress
                || (m.get(NetworkOrder.SHORT, at + IP + ihl + UDP_DESTINATION_PORT) & 0xFFFF) != localPort) {
            return DropReason.NOT_LOCAL;
        }
        return null;
    }

    private static int ihl(MemorySegment m, long at) {
        return (m.get(ValueLayout.JAVA_BYTE, at + IP) & 0x0F) * 4;
    }

    /**
     * Turns the frame at {@code at}, one that {@link #check} accepted, into its reply in place (see
     * the class comment).
     *
     * @param changed whether the reader changed the UDP payload: the UDP checksum is computed, else 0
     * @return the reply's length: the Ethernet header and the IPv4 packet
     */
    static int reply(MemorySegment m, long at, boolean changed) {
        // Ethernet destination (0..5) and source (6..11) trade places
        int d0 = m.get(RAW_INT, at);
        short d1 = m.get(RAW_SHORT, at + 4);
        m.set(RAW_INT, at, m.get(RAW_INT, at + 6));
        m.set(RAW_SHORT, at + 4, m.get(RAW_SHORT, at + 10));
        m.set(RAW_INT, at + 6, d0);
        m.set(RAW_SHORT, at + 10, d1);
        // IPv4 addresses trade places: the header checksum's sum stays (one's complement addition commutes)
        int source = m.get(RAW_INT, at + IP_SOURCE);
        m.set(RAW_INT, at + IP_SOURCE, m.get(RAW_INT, at + IP_DESTINATION));
        m.set(RAW_INT, at + IP_DESTINATION, source);
        int ttlProtocol = m.get(NetworkOrder.SHORT, at + IP_TTL_PROTOCOL) & 0xFFFF;
        int newTtlProtocol = REPLY_TTL << 8 | (ttlProtocol & 0xFF);
        if (newTtlProtocol != ttlProtocol) {
            int checksum = m.get(NetworkOrder.SHORT, at + IP_CHECKSUM) & 0xFFFF;
            m.set(NetworkOrder.SHORT, at + IP_TTL_PROTOCOL, (short) newTtlProtocol);
            m.set(NetworkOrder.SHORT, at + IP_CHECKSUM, (short) InternetChecksum.update(checksum, ttlProtocol, newTtlProtocol));
        }
        int total = m.get(NetworkOrder.SHORT, at + IP_TOTAL_LENGTH) & 0xFFFF;
        int ihl = ihl(m, at);
        long udp = at + IP + ihl;
        m.set(NetworkOrder.SHORT, udp + UDP_CHECKSUM, (short) 0);
        if (changed) {
            int udpLength = total - ihl;
            long from = m.get(NetworkOrder.INT, at + IP_SOURCE) & 0xFFFF_FFFFL;
            long to = m.get(NetworkOrder.INT, at + IP_DESTINATION) & 0xFFFF_FFFFL;
            int checksum = InternetChecksum.finish(InternetChecksum.pseudoHeaderIpv4(from, to, PROTOCOL_UDP, udpLength)
                    + InternetChecksum.sum(m, udp, udpLength));
            // RFC 768: a computed 0 is sent as all ones (0 means none)
            m.set(NetworkOrder.SHORT, udp + UDP_CHECKSUM, (short) (checksum == 0 ? 0xFFFF : checksum));
        }
        return IP + total;
    }

    /**
     * Frames given back unanswered for {@code reason} since the I/O was opened (read on the receive
     * thread, or after it ended, for an exact count).
     *
     * @param reason why
     * @return the count
     */
    public long drops(DropReason reason) {
        return drops[reason.ordinal()];
    }

    /**
     * The RX queue this I/O serves.
     *
     * @return its number, from 0
     */
    public int queue() {
        return queue;
    }

    /**
     * The mode the program got on the device.
     *
     * @return {@link XdpProgram.Mode#NATIVE} or {@link XdpProgram.Mode#GENERIC}
     */
    public XdpProgram.Mode mode() {
        return attachment.program.mode();
    }

    /**
     * Whether the socket is in zero-copy mode (veth has copy mode only).
     *
     * @return true for zero-copy
     */
    public boolean zeroCopy() {
        return socket.zeroCopy();
    }

    /**
     * The kernel's counters for this queue's socket ({@code XDP_STATISTICS}); once closed, as they
     * were when it closed.
     *
     * @return the counters
     * @throws IOException if the kernel refuses them, or the I/O is closed and they could not be kept
     */
    public XdpStatistics statistics() throws IOException {
        XdpStatistics last = lastStatistics;
        if (last != null) {
            return last;
        }
        try {
            return socket.statistics();
        } catch (ClosedChannelException e) {
            last = lastStatistics;
            if (last != null) {
                return last;
            }
            throw e;
        }
    }

    @Override
    public boolean isOpen() {
        return !closed.get();
    }

    /**
     * Closes the socket (its rings and UMEM, once a receive inside has returned) and, for the last
     * I/O of {@link #open} to close, detaches the program; idempotent.
     */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                lastStatistics = socket.statistics();
            } catch (IOException | RuntimeException e) {
                // no counters to keep: statistics() says closed
            } finally {
                try {
                    socket.close();
                } finally {
                    attachment.release();
                }
            }
        }
    }

    @Override
    public String toString() {
        return "XdpBatchIo[" + attachment.program.interfaceName() + " queue " + queue + ", " + local.getAddress().getHostAddress()
                + ":" + localPort + ", " + attachment.program.mode() + ", " + (socket.zeroCopy() ? "zero-copy" : "copy")
                + " mode]";
    }
}
