package io.github.geneve4j.linux;

import io.github.geneve4j.endpoint.spi.DatagramSource;
import io.github.geneve4j.endpoint.spi.DatagramTransport;
import io.github.geneve4j.endpoint.spi.GatherList;
import io.github.geneve4j.linux.ClassicBpf.Instruction;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.net.BindException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * A UDP socket as a {@link DatagramTransport}, opened through {@code java.lang.foreign}
 * ({@code socket}, {@code setsockopt}, {@code bind}, {@code sendmsg}, {@code recvmsg}), for what
 * {@code DatagramChannel} cannot do: UDP segmentation offload on send ({@code UDP_SEGMENT}: one
 * {@code sendmsg} carries up to 64 datagrams of one size, which the kernel, or the NIC, cuts apart)
 * and UDP GRO on receive ({@code UDP_GRO}: one {@code recvmsg} may return several datagrams of one
 * size back to back, their size in a control message, reported as
 * {@link DatagramSource#segmentSize()}).
 *
 * <pre>{@code
 * try (UdpSocket udp = UdpSocket.open(new InetSocketAddress("192.0.2.1", 6081), 4 << 20)) { ... }
 * }</pre>
 *
 * <p>Linux facts from {@code linux/udp.h}: {@code SOL_UDP 17}, {@code UDP_SEGMENT 103},
 * {@code UDP_GRO 104}. Where the kernel refuses {@code UDP_SEGMENT} ({@code EINVAL} on a socket
 * without UDP checksums, {@code EIO} on routes it cannot offload on some kernels,
 * {@code ENOPROTOOPT} before Linux 4.18), this socket sends one datagram per call from there on and
 * {@link #segmentation()} turns false.
 *
 * <p>Every received datagram's source address and port are read from {@code msg_name} and reported
 * through {@link DatagramSource} (an IPv4-mapped IPv6 source as IPv4, as the JDK does); nothing is
 * allocated per datagram either way, and the encoded destination of a send is kept for the next one
 * to the same {@link InetSocketAddress} object. Sends never block: a full send buffer
 * ({@code EAGAIN}, {@code ENOBUFS}) makes {@link #send} return false.
 *
 * <p>Threads: one receives and one sends at a time (as {@link DatagramTransport} says); each
 * direction has its own native structures. A waiting receive gives up after half a second
 * ({@code SO_RCVTIMEO}); {@link #close()} shuts the socket down first, which wakes it at once with
 * {@link ClosedChannelException}, and releases the descriptor only once no call is inside.
 *
 * <p>Needs native access for this module: {@code --enable-native-access=io.github.geneve4j.linux}
 * on the module path, {@code --enable-native-access=ALL-UNNAMED} on the class path (or
 * {@code Enable-Native-Access: ALL-UNNAMED} in an executable jar's manifest). No privileges.
 */
public final class UdpSocket implements DatagramTransport {

    // what RawIpv4Socket takes from here
    static final int AF_INET = LinuxSocket.AF_INET;
    static final int SOCK_CLOEXEC = LinuxSocket.SOCK_CLOEXEC;
    static final int MSG_DONTWAIT = LinuxSocket.MSG_DONTWAIT;
    /** The kernel's limit on datagrams per UDP_SEGMENT send ({@code UDP_MAX_SEGMENTS}, 64 before Linux 6.x raised it). */
    static final int MAX_SEGMENTS = 64;
    /** Bytes of datagrams per UDP_SEGMENT send: one IP packet's worth, less its headers. */
    static final int MAX_GSO_BYTES = 65_000;
    /**
     * Room for the control messages a receive may carry: UDP_GRO's int takes CMSG_SPACE(4) = 24
     * bytes; four times that leaves room should another option ever be turned on. A control part cut
     * short (MSG_CTRUNC) would lose the GRO size, so it is an error, not ignored.
     */
    private static final long RECEIVE_CONTROL = 96;
    /** The most sockets {@link #openGroup} makes. */
    public static final int MAX_GROUP = 64;

    private final int family;
    private final boolean gro;
    private final InetSocketAddress local;
    private final Descriptor descriptor;
    /** Sends from {@link #descriptor}, or from a group member's own sending socket. */
    private final SegmentedSender sender;
    /** The port datagrams leave from. */
    private final int sourcePort;
    // the receiving side's structures (one receiver at a time)
    private final MemorySegment receiveState;
    private final MessageHeader receiveMessage;

    /**
     * A socket over bound descriptors: {@code fd} receives (and sends, when {@code sendFd} is the
     * same), {@code sendFd} sends from {@code sourcePort}; both are closed with this socket.
     */
    UdpSocket(int fd, int sendFd, int sourcePort, int family, boolean gro, InetSocketAddress local) {
        this.family = family;
        this.gro = gro;
        this.local = local;
        this.descriptor = new Descriptor(fd, () -> LinuxSocket.shutdown(fd), () -> Libc.closeQuietly(fd));
        this.sourcePort = sourcePort;
        Arena arena = Arena.ofAuto();
        sender = new SegmentedSender(sendFd == fd ? descriptor
                : new Descriptor(sendFd, () -> { }, () -> Libc.closeQuietly(sendFd)), family, arena);
        receiveState = Libc.callState(arena);
        receiveMessage = MessageHeader.single(arena, RECEIVE_CONTROL);
    }

    /**
     * Opens a UDP socket bound to {@code local} (port 0 for any), asking for {@code bufferBytes} of send
     * and receive buffer each (0 for the system's default; the kernel caps them at
     * {@code net.core.wmem_max}/{@code rmem_max}), with UDP GRO on where the kernel has it.
     *
     * @throws IllegalArgumentException for an unresolved address
     * @throws IOException with one line naming the call that failed ({@link BindException} for bind)
     */
    public static UdpSocket open(InetSocketAddress local, int bufferBytes) throws IOException {
        return open(local, bufferBytes, false);
    }

    /**
     * As {@link #open(InetSocketAddress, int)}, with {@code SO_REUSEPORT} set before binding when
     * {@code reusePort} is true: several sockets (of this process's user) may then bind the same address
     * and port, and the kernel spreads the datagrams over them by a hash of their source and destination
     * addresses and ports, one flow always to the same socket. A receive thread per socket scales the
     * receive side over cores (how {@code geneve gwlb --threads} uses it).
     *
     * <pre>{@code
     * UdpSocket first = UdpSocket.open(new InetSocketAddress(ip, 6081), 4 << 20, true);
     * UdpSocket second = UdpSocket.open(new InetSocketAddress(ip, 6081), 4 << 20, true);
     * }</pre>
     */
    public static UdpSocket open(InetSocketAddress local, int bufferBytes, boolean reusePort) throws IOException {
        checkLocal(local);
        int family = familyOf(local);
        LinuxSocket.Bound b = LinuxSocket.openUdp(local, family, bufferBytes, reusePort, true);
        return new UdpSocket(b.fd(), b.fd(), b.port(), family, b.gro(), new InetSocketAddress(local.getAddress(), b.port()));
    }

    /** Opens a UDP socket bound to {@code local} with the system's default buffers. */
    public static UdpSocket open(InetSocketAddress local) throws IOException {
        return open(local, 0);
    }

    /**
     * Opens {@code count} sockets on {@code local} for {@code count} worker pairs of one endpoint
     * ({@code GeneveEndpoint.Builder.transports}), each with its own receive queue and its own source
     * port, so that the flows between two such endpoints spread over their workers both ways:
     * <ul>
     *   <li>they receive in one {@code SO_REUSEPORT} group bound to {@code local}, steered by a classic
     *       BPF program ({@code SO_ATTACH_REUSEPORT_CBPF}): a datagram goes to socket number
     *       <em>source port mod count</em>. A peer that picks the source port from a hash of the inner
     *       flow (RFC 8926 §3.3; Open vSwitch, Linux) has its flows spread by that hash, each flow on one
     *       socket; a peer of this kind has its worker <em>i</em> arrive at worker <em>i</em>;</li>
     *   <li>socket <em>i</em> sends from a socket of its own, bound to the same IP address and a port
     *       of the dynamic range (49152..65535) that is <em>i</em> mod {@code count}, which never
     *       receives (a filter drops whatever comes to it).</li>
     * </ul>
     * With {@code count} 1 this is {@link #open(InetSocketAddress, int)}: one socket, sending from
     * {@code local}'s port. For port 0 the kernel chooses the port the group shares. The group's
     * numbering is the kernel's order of binding: another {@code SO_REUSEPORT} socket of the same user
     * already bound to the address (a stale process) would join the group and take a place in it, so
     * bind the group to an address and port nobody else holds.
     *
     * <pre>{@code
     * List<UdpSocket> sockets = UdpSocket.openGroup(new InetSocketAddress(ip, 6081), 4 << 20, 2);
     * }</pre>
     *
     * @throws IllegalArgumentException for an unresolved address or {@code count} outside 1..64
     * @throws IOException with one line naming the call that failed; the sockets opened are closed
     */
    public static List<UdpSocket> openGroup(InetSocketAddress local, int bufferBytes, int count) throws IOException {
        checkLocal(local);
        if (count < 1 || count > MAX_GROUP) {
            throw new IllegalArgumentException("found a group of " + count + " sockets (expected: 1.." + MAX_GROUP + ")");
        }
        return count == 1 ? List.of(open(local, bufferBytes)) : ReusePortGroup.open(local, familyOf(local), bufferBytes, count);
    }

    private static int familyOf(InetSocketAddress local) {
        return local.getAddress() instanceof Inet6Address ? LinuxSocket.AF_INET6 : LinuxSocket.AF_INET;
    }

    private static void checkLocal(InetSocketAddress local) {
        if (local == null || local.isUnresolved()) {
            throw new IllegalArgumentException("found local address " + local + " (expected: a resolved IP address and port)");
        }
    }

    /**
     * Lets the kernel drop, before they wake a receiver, the datagrams whose source address is none
     * of {@code sources}: a classic BPF socket filter ({@code SO_ATTACH_FILTER}, replacing any before)
     * that searches the IP header's source address in the sorted list: about 3,900 IPv4 addresses
     * fit in the kernel's 4,096 instructions; IPv6 as many when they differ only in their last 32
     * bits, about 1,300 when in their last 64, 570 when in every word. Those
     * datagrams are then counted by the kernel (the socket's drops; {@code UdpInErrors} in
     * {@code nstat}), not by the endpoint.
     *
     * @return false when this socket cannot filter by these sources, and then no filter is left
     *     attached (one attached before is detached: it would drop a source added since): an IPv6
     *     socket bound to the wildcard address (it also receives IPv4, whose header differs), or more
     *     sources than a program holds
     * @throws IllegalArgumentException for an address of the other IP version than the socket's
     */
    @Override
    public boolean restrictSources(Collection<? extends InetAddress> sources) throws IOException {
        boolean v6 = family == LinuxSocket.AF_INET6;
        Optional<List<Instruction>> program = v6 && local.getAddress().isAnyLocalAddress() ? Optional.empty()
                : SourceFilter.program(sources, v6);
        int fd = descriptor.enter();
        try {
            if (program.isEmpty()) {
                LinuxSocket.detachFilter(fd);
                return false;
            }
            LinuxSocket.attach(fd, LinuxSocket.SO_ATTACH_FILTER, program.get(), "SO_ATTACH_FILTER");
            return true;
        } finally {
            descriptor.exit();
        }
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    /**
     * The port this socket's datagrams leave from: {@link #localPort()}, or for a member of an
     * {@link #openGroup group} its own sending socket's.
     */
    public int sourcePort() {
        return sourcePort;
    }

    /** The local port the socket is bound to (as the kernel chose it for port 0). */
    public int localPort() {
        return local.getPort();
    }

    /** Whether the kernel took UDP_GRO: a receive may then return several datagrams of one size. */
    public boolean gro() {
        return gro;
    }

    /** Whether {@link #sendSegments} still uses UDP_SEGMENT; false once the kernel refused it. */
    @Override
    public boolean segmentation() {
        return sender.segmentation();
    }

    /**
     * Sends one datagram of {@code length} bytes at {@code offset} of native {@code buffer} to
     * {@code to}, without waiting.
     *
     * @return false if the socket's send buffer is full ({@code EAGAIN}) or the device queue is
     *     ({@code ENOBUFS}): the datagram was dropped
     * @throws IllegalArgumentException for heap memory, bounds outside {@code buffer}, or an IPv6
     *     {@code to} on an IPv4 socket
     * @throws ClosedChannelException once the socket is closed
     * @throws IOException if the kernel refuses the datagram (too long: {@code EMSGSIZE}; no route, ...)
     */
    @Override
    public boolean send(MemorySegment buffer, long offset, long length, InetSocketAddress to) throws IOException {
        Libc.checkNative(buffer, offset, length, 0);
        return sender.send(buffer.address() + offset, length, to);
    }

    /**
     * Sends the datagrams of {@code size} bytes each (the last may be shorter) that lie back to back
     * in {@code length} bytes at {@code offset}, to {@code to}: one {@code sendmsg} per
     * {@link #MAX_SEGMENTS} datagrams or 65,000 bytes with UDP segmentation, else one per datagram.
     * A full send buffer ends the run: the datagrams not yet sent are dropped ({@link #lastSendCalls()}
     * says how many calls were made).
     *
     * @return the number of datagrams sent
     */
    @Override
    public int sendSegments(MemorySegment buffer, long offset, long length, int size, InetSocketAddress to)
            throws IOException {
        checkSegmentSize(size);
        Libc.checkNative(buffer, offset, length, 0);
        int count = (int) ((length + size - 1) / size);
        return sender.sendRun(null, buffer.address() + offset, count, length - (long) (count - 1) * size, size, to);
    }

    /** True: {@link #sendGathered} sends from the pieces with {@code sendmsg}'s iovecs, no copy. */
    @Override
    public boolean gathers() {
        return true;
    }

    /**
     * Sends the datagrams of {@code list} (all but the last of {@code size} bytes) to {@code to},
     * each from its pieces: with UDP segmentation one {@code sendmsg} per {@link #MAX_SEGMENTS}
     * datagrams or 65,000 bytes, the iovecs of their pieces in one call (the kernel cuts every
     * {@code size} bytes, whatever the pieces); else one {@code sendmsg} per datagram. As
     * {@link #sendSegments} otherwise.
     *
     * @return the number of datagrams sent
     * @throws IllegalArgumentException if a datagram but the last is not {@code size} bytes long, or
     *     {@code size} is out of 1..65535
     */
    @Override
    public int sendGathered(GatherList list, int size, InetSocketAddress to) throws IOException {
        checkSegmentSize(size);
        int count = list.datagrams();
        for (int d = 0; d + 1 < count; d++) {
            if (list.datagramLength(d) != size) {
                throw new IllegalArgumentException("found datagram " + d + " of " + list.datagramLength(d)
                        + " bytes (expected: " + size + ", as every one but the last)");
            }
        }
        if (count > 0 && list.datagramLength(count - 1) > size) {
            throw new IllegalArgumentException("found a last datagram of " + list.datagramLength(count - 1)
                    + " bytes (expected: at most " + size + ")");
        }
        try {
            return sender.sendRun(list, 0, count, count == 0 ? 0 : list.datagramLength(count - 1), size, to);
        } finally {
            Reference.reachabilityFence(list); // its iovecs' memory, read by the kernel in there
        }
    }

    private static void checkSegmentSize(int size) {
        if (size <= 0 || size > 0xFFFF) {
            throw new IllegalArgumentException("found segment size " + size + " (expected: 1..65535)");
        }
    }

    /**
     * Receives into {@code capacity} bytes at {@code offset} of native {@code buffer}: one datagram,
     * or with GRO several of {@code source.segmentSize()} bytes each (the last may be shorter). Give
     * 65,535 bytes of capacity where GRO is on: a coalesced batch longer than the capacity is cut.
     *
     * @param wait whether to wait (up to half a second) when nothing is queued
     * @param source set to the sender's address and port and to the datagrams' size
     * @return the bytes received, or -1 when nothing came
     * @throws IllegalArgumentException for heap memory or bounds outside {@code buffer}
     * @throws ClosedChannelException once the socket is closed, also when closed during the wait
     * @throws IOException if the call fails, a datagram did not fit in {@code capacity}
     *     ({@code MSG_TRUNC}), or its control data was cut ({@code MSG_CTRUNC}: the GRO size is lost);
     *     such a datagram is consumed
     */
    @Override
    public int receive(MemorySegment buffer, long offset, long capacity, boolean wait, DatagramSource source)
            throws IOException {
        Libc.checkNative(buffer, offset, capacity, 0);
        MessageHeader message = receiveMessage;
        message.receive(buffer.address() + offset, capacity);
        int fd = descriptor.enter();
        long n;
        try {
            while (true) {
                n = LinuxSocket.recvmsg(fd, message.segment(), wait ? 0 : LinuxSocket.MSG_DONTWAIT);
                if (n < 0 && !descriptor.isClosing()) {
                    // again, to learn why (see Libc), without a second wait: a timed-out wait is EAGAIN
                    message.rearm();
                    n = LinuxSocket.recvmsg(fd, message.segment(), LinuxSocket.MSG_DONTWAIT, receiveState);
                }
                if (descriptor.isClosing()) {
                    throw new ClosedChannelException(); // also what a shut-down socket's "0 bytes" means
                }
                if (n >= 0) {
                    break;
                }
                if (n == -Libc.EAGAIN) {
                    return -1;
                }
                if (n != -Libc.EINTR) {
                    throw new IOException("recvmsg failed: " + Libc.describe((int) -n));
                }
                message.rearm(); // the kernel writes the lengths back: set them again for every call
            }
        } finally {
            descriptor.exit();
        }
        int flags = message.flags();
        if ((flags & LinuxSocket.MSG_TRUNC) != 0) {
            throw new IOException("a datagram longer than " + capacity + " bytes was cut short");
        }
        if ((flags & LinuxSocket.MSG_CTRUNC) != 0) {
            throw new IOException("the control data of a datagram was cut short (its GRO segment size is lost)");
        }
        message.source(source);
        source.segmentSize(message.groSize((int) n));
        return (int) n;
    }

    /** The system calls the last {@link #sendSegments} or {@link #sendGathered} made (one per batch with UDP_SEGMENT). */
    @Override
    public int lastSendCalls() {
        return sender.lastCalls();
    }

    @Override
    public boolean isOpen() {
        return !descriptor.isClosing();
    }

    /**
     * Closes the socket: a receive waiting in another thread ends with {@link ClosedChannelException}
     * at once, and the descriptor is released when the last call inside has left, which this method
     * waits for (up to two seconds). Idempotent.
     */
    @Override
    public void close() {
        try {
            descriptor.close();
        } finally {
            sender.close(); // a second close of a shared descriptor is a no-op
        }
    }

    @Override
    public String toString() {
        return "UdpSocket[" + MessageHeader.format(local) + (gro ? ", GRO" : "") + (sender.segmentation() ? ", UDP_SEGMENT" : "") + "]";
    }
}
