package io.github.geneve4j.linux;

import io.github.geneve4j.endpoint.spi.DatagramBatch;
import io.github.geneve4j.endpoint.spi.DatagramBatchIo;
import io.github.geneve4j.endpoint.spi.DatagramSource;
import io.github.geneve4j.endpoint.spi.TransportBatchIo;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Reference;
import java.net.BindException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.util.Objects;

/**
 * {@link DatagramBatchIo} with a batch each way in one system call: one {@code recvmmsg} of up to 64
 * datagrams on a UDP socket, each into a slot of its own with the reply's outer headers' room in front
 * of it, and the batch's replies in one {@code sendmmsg}: on a {@link RawIpv4Socket} with the UDP ports
 * as received ({@link #raw}), or on the UDP socket itself from its own port ({@link #udp}). Where
 * {@link TransportBatchIo} makes a system call per reply, this makes one per batch: what the GWLB
 * appliance ({@code geneve gwlb}) uses on Linux.
 *
 * <pre>{@code
 * GwlbAppliance.builder().io(MmsgBatchIo.raw(new InetSocketAddress("10.0.1.5", 6081), 4 << 20, false, RawIpv4Socket.open()))
 * }</pre>
 *
 * <p>Receive: {@code MSG_WAITFORONE} (wait for the first datagram, up to half a second, then take
 * what is queued); each slot's source address and port from its {@code msg_name}. UDP GRO is turned
 * off on the socket: a coalesced run would not fit a slot. A datagram longer than
 * {@link #MAX_DATAGRAM} bytes (which no GWLB sends: its MTU is 8,500) is dropped and counted
 * ({@link #truncated()}). {@link #close()} shuts the socket down first, which wakes a waiting receive
 * at once with {@link ClosedChannelException}, as {@link UdpSocket} does.
 *
 * <p>Send: the kernel stops a {@code sendmmsg} at the first message it refuses (no route, a full
 * buffer) and reports the ones before it; the send goes on after that message, which alone is
 * cancelled ({@link DatagramBatch#cancelReply}) and counted ({@link #failedReplies()}).
 *
 * <p>The raw socket is not connected: Linux looks the route up on every raw send, connected or not
 * ({@code raw_sendmsg}), so one socket per GWLB address would save no lookup.
 *
 * <p>One thread receives and sends; nothing is allocated per batch. A batch ({@link #newBatch()}) holds
 * 64 slots of 9,216 bytes (576 KiB).
 */
public final class MmsgBatchIo implements DatagramBatchIo {

    /** Slots of a batch: datagrams per {@code recvmmsg}, replies per {@code sendmmsg}. */
    static final int SLOTS = 64;
    /** Bytes a slot takes: the reply's outer headers and the datagram. */
    static final int SLOT_BYTES = 9216;
    private static final int HEADROOM = DatagramBatch.IPV4_UDP_HEADROOM;
    /** The longest datagram (UDP payload) a slot holds: a 9,216-byte slot less the reply's IPv4 and UDP headers. */
    public static final int MAX_DATAGRAM = SLOT_BYTES - HEADROOM;

    private static final ValueLayout.OfShort U16_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt U32_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    // struct sockaddr_in: family, port (big-endian), address (big-endian)
    private static final long SIN_PORT = 2;
    private static final long SIN_ADDR = 4;
    private static final long SOCKADDR_IN_SIZE = 16;

    private final InetSocketAddress local;
    private final int localAddress;
    private final int localPort;
    private final Descriptor descriptor;
    /** Where the replies go out with the ports as received; null: from the UDP socket's own port. */
    private final RawIpv4Socket sender;
    private final MemorySegment receiveState;
    private final MemorySegment sendState;
    private final MemorySegment receiveArray;
    private final MessageHeader[] receiving = new MessageHeader[SLOTS];
    private final MemorySegment sendArray;
    private final MessageHeader[] sending = new MessageHeader[SLOTS];
    /** The {@code sockaddr_in} each send message's {@code msg_name} points to. */
    private final MemorySegment[] destinations = new MemorySegment[SLOTS];
    /** The batch slot of each send message. */
    private final int[] sendSlots = new int[SLOTS];
    private volatile long truncated;
    private volatile long failedReplies;
    private int lastSendCalls;
    /** The batch memory the receive headers point into (0: none yet). */
    private long preparedBase;
    /** Receive headers the last receive wrote back into: the ones to re-arm before the next. */
    private int receivedHeaders;

    /** Over a bound UDP socket {@code fd} (UDP GRO off) at {@code local}, replying through {@code sender} (null: {@code fd}). */
    MmsgBatchIo(int fd, InetSocketAddress local, RawIpv4Socket sender) {
        this.local = local;
        this.localAddress = local.getAddress().hashCode(); // Inet4Address's hash is its address
        this.localPort = local.getPort();
        this.descriptor = new Descriptor(fd, () -> LinuxSocket.shutdown(fd), () -> Libc.closeQuietly(fd));
        this.sender = sender;
        Arena arena = Arena.ofAuto();
        receiveState = Libc.callState(arena);
        sendState = Libc.callState(arena);
        receiveArray = MessageHeader.array(arena, SLOTS);
        sendArray = MessageHeader.array(arena, SLOTS);
        InetSocketAddress anyIpv4 = new InetSocketAddress(anyIpv4(), 0);
        for (int i = 0; i < SLOTS; i++) {
            receiving[i] = new MessageHeader(arena, receiveArray, i, 0);
            MessageHeader m = new MessageHeader(arena, sendArray, i, 0);
            m.destination(anyIpv4, LinuxSocket.AF_INET); // an AF_INET sockaddr the sends then fill in
            // msg_name, the first field of struct msghdr, points at the header's own sockaddr
            destinations[i] = m.segment().get(ValueLayout.ADDRESS, 0).reinterpret(SOCKADDR_IN_SIZE);
            sending[i] = m;
        }
    }

    private static InetAddress anyIpv4() {
        try {
            return InetAddress.getByAddress(new byte[4]);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e); // four bytes are always an address
        }
    }

    /**
     * Opens a UDP socket bound to {@code local} (its port 0 for any) that answers through
     * {@code sender} with the UDP ports as received: from {@code local}'s address and the port each
     * datagram was sent to, to its source address and port. Closes {@code sender} when closed.
     *
     * @param bufferBytes the socket's receive and send buffer asked for (0: the system's default)
     * @param reusePort whether to set {@code SO_REUSEPORT} (several sockets, one receive thread each, on one port)
     * @throws IllegalArgumentException if {@code local} is not one IPv4 address (the replies' source)
     * @throws IOException with one line naming the call that failed ({@link BindException} for bind)
     */
    public static MmsgBatchIo raw(InetSocketAddress local, int bufferBytes, boolean reusePort, RawIpv4Socket sender)
            throws IOException {
        Objects.requireNonNull(sender, "sender");
        if (local == null || !(local.getAddress() instanceof Inet4Address) || local.getAddress().isAnyLocalAddress()) {
            throw new IllegalArgumentException("found local address " + local
                    + " (expected: one IPv4 address, the replies' source, when replies go over raw IPv4)");
        }
        return open(local, bufferBytes, reusePort, sender);
    }

    /**
     * Opens a UDP socket bound to {@code local} that answers from its own port to each datagram's
     * source address and port: no privileges needed, but not the ports as received (a GWLB wants
     * {@link #raw}).
     *
     * @throws IllegalArgumentException if {@code local} is not an IPv4 address
     * @throws IOException with one line naming the call that failed ({@link BindException} for bind)
     */
    public static MmsgBatchIo udp(InetSocketAddress local, int bufferBytes, boolean reusePort) throws IOException {
        if (local == null || !(local.getAddress() instanceof Inet4Address)) {
            throw new IllegalArgumentException("found local address " + local + " (expected: an IPv4 address)");
        }
        return open(local, bufferBytes, reusePort, null);
    }

    private static MmsgBatchIo open(InetSocketAddress local, int bufferBytes, boolean reusePort, RawIpv4Socket sender)
            throws IOException {
        LinuxSocket.Bound b = LinuxSocket.openUdp(local, LinuxSocket.AF_INET, bufferBytes, reusePort, true);
        try {
            // one datagram per message: a GRO run of several would not fit a slot
            int errno = b.gro() ? LinuxSocket.trySetInt(b.fd(), LinuxSocket.SOL_UDP, LinuxSocket.UDP_GRO, 0) : 0;
            if (errno != 0) {
                throw new IOException("UDP_GRO off failed: " + Libc.describe(errno));
            }
            return new MmsgBatchIo(b.fd(), new InetSocketAddress(local.getAddress(), b.port()), sender);
        } catch (IOException | RuntimeException | Error e) {
            Libc.closeQuietly(b.fd());
            throw e;
        }
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    /** A batch of 64 slots of 9,216 bytes, each a datagram of up to {@link #MAX_DATAGRAM} bytes and its headroom. */
    @Override
    public DatagramBatch newBatch() {
        return new DatagramBatch(SLOTS, HEADROOM, Arena.ofAuto().allocate((long) SLOTS * SLOT_BYTES, 8));
    }

    /**
     * Receives, in one {@code recvmmsg}, what is queued, up to 64 datagrams.
     *
     * @throws IllegalArgumentException for a batch not made by {@link #newBatch()}
     */
    @Override
    public int receive(DatagramBatch batch, boolean wait) throws IOException {
        MemorySegment memory = memory(batch);
        batch.clear();
        long base = memory.address();
        if (base != preparedBase) {
            for (int i = 0; i < SLOTS; i++) {
                receiving[i].prepareReceive(base + (long) i * SLOT_BYTES + HEADROOM, MAX_DATAGRAM);
            }
            preparedBase = base;
        } else {
            // the kernel writes back the lengths and flags of the messages it filled only: the others
            // are as prepared (a failed receive writes nothing back), so only those are set again
            for (int i = 0; i < receivedHeaders; i++) {
                receiving[i].rearm();
            }
        }
        receivedHeaders = 0;
        long messages = receiveArray.address();
        int n;
        int fd = descriptor.enter();
        try {
            while (true) {
                n = MultiMessage.receive(fd, messages, SLOTS, wait ? MultiMessage.MSG_WAITFORONE : LinuxSocket.MSG_DONTWAIT);
                if (n < 0 && !descriptor.isClosing()) {
                    // again, to learn why (see Libc), without a second wait: a timed-out wait is EAGAIN
                    rearm();
                    n = MultiMessage.receive(fd, messages, SLOTS, LinuxSocket.MSG_DONTWAIT, receiveState);
                }
                if (descriptor.isClosing()) {
                    throw new ClosedChannelException(); // also what a shut-down socket's empty message means
                }
                if (n >= 0) {
                    receivedHeaders = n;
                    break;
                }
                if (n == -Libc.EAGAIN) {
                    return 0;
                }
                if (n != -Libc.EINTR) {
                    throw new IOException("recvmmsg failed: " + Libc.describe(-n));
                }
                rearm();
            }
        } finally {
            descriptor.exit();
            Reference.reachabilityFence(this); // the message array, read by the kernel through its address
        }
        for (int i = 0; i < n; i++) {
            MessageHeader m = receiving[i];
            if ((m.flags() & LinuxSocket.MSG_TRUNC) != 0) {
                truncated++; // only this thread writes it
                continue;
            }
            int length = receiveArray.get(ValueLayout.JAVA_INT, i * MessageHeader.MMSGHDR_SIZE + MessageHeader.MMSG_LEN);
            int slot = batch.add(memory, (long) i * SLOT_BYTES + HEADROOM, length);
            m.source(batch.source(slot));
        }
        return batch.count();
    }

    /** Sets again the lengths and flags a receive wrote back. */
    private void rearm() {
        for (MessageHeader m : receiving) {
            m.rearm();
        }
    }

    /**
     * Sends the marked replies in one {@code sendmmsg} (more only after a message the kernel refused).
     *
     * @throws IllegalArgumentException for a batch not made by {@link #newBatch()}
     */
    @Override
    public int sendReplies(DatagramBatch batch) throws IOException {
        memory(batch);
        int count = 0;
        for (int slot = 0, n = batch.count(); slot < n; slot++) {
            if (!batch.willReply(slot)) {
                continue;
            }
            DatagramSource source = batch.source(slot);
            if (source.isIpv6()) { // not on an IPv4 socket; cancelled as a refused send
                batch.cancelReply(slot);
                failedReplies++;
                continue;
            }
            MemorySegment to = destinations[count];
            to.set(U32_BE, SIN_ADDR, (int) source.low());
            to.set(U16_BE, SIN_PORT, (short) source.port()); // a raw socket ignores it
            // the lengths as long: send(long, int, int) is MessageHeader's send of an iovec array
            long at = batch.segment(slot).address();
            long length = batch.length(slot);
            if (sender != null) {
                long ip = batch.writeIpv4Reply(slot, localAddress, localPort);
                sending[count].prepareSend(at + ip, HEADROOM + length, 0);
            } else {
                sending[count].prepareSend(at + batch.offset(slot), length, 0);
            }
            sendSlots[count++] = slot;
        }
        int sent = 0;
        int calls = 0;
        try {
            for (int from = 0; from < count; ) {
                long messages = sendArray.address() + from * MessageHeader.MMSGHDR_SIZE;
                int r = sender != null ? sender.sendIpv4Messages(messages, count - from) : sendUdp(messages, count - from);
                calls++;
                if (r > 0) {
                    sent += r;
                    from += r;
                } else {
                    // message `from` was refused (no route, a full buffer): it alone is dropped
                    batch.cancelReply(sendSlots[from++]);
                    failedReplies++;
                }
            }
        } finally {
            lastSendCalls = calls;
            Reference.reachabilityFence(this);
            Reference.reachabilityFence(batch); // its memory, read by the kernel through addresses
        }
        return sent;
    }

    private int sendUdp(long messages, int count) throws IOException {
        int fd = descriptor.enter();
        try {
            return MultiMessage.send(fd, messages, count, LinuxSocket.MSG_DONTWAIT, sendState);
        } finally {
            descriptor.exit();
        }
    }

    private static MemorySegment memory(DatagramBatch batch) {
        MemorySegment memory = batch.memory();
        if (!memory.isNative() || memory.byteSize() < (long) SLOTS * SLOT_BYTES || batch.slots() < SLOTS
                || batch.headroom() < HEADROOM) {
            throw new IllegalArgumentException("found " + batch + " (expected: a batch from MmsgBatchIo.newBatch)");
        }
        return memory;
    }

    /** The system calls the last {@link #sendReplies} made: one, and one more after each refused reply. */
    public int lastSendCalls() {
        return lastSendCalls;
    }

    /** Datagrams longer than {@link #MAX_DATAGRAM} bytes, dropped unanswered since the I/O was opened. */
    public long truncated() {
        return truncated;
    }

    /** Replies the kernel refused (or to an IPv6 source), cancelled since the I/O was opened. */
    public long failedReplies() {
        return failedReplies;
    }

    @Override
    public boolean isOpen() {
        return !descriptor.isClosing();
    }

    /**
     * Closes the socket (a receive waiting in another thread ends with {@link ClosedChannelException}
     * at once) and the raw socket it sends through. Idempotent.
     */
    @Override
    public void close() {
        try {
            descriptor.close();
        } finally {
            if (sender != null) {
                sender.close();
            }
        }
    }

    @Override
    public String toString() {
        return "MmsgBatchIo[" + MessageHeader.format(local)
                + (sender != null ? ", replies through " + sender : ", replies from its port") + "]";
    }
}
