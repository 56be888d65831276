package io.github.geneve4j.linux;

import io.github.geneve4j.endpoint.spi.DatagramSource;
import io.github.geneve4j.endpoint.spi.DatagramTransport;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.BindException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;

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

    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SO_SNDBUF = 7;
    static final int SO_RCVBUF = 8;
    static final int SO_NO_CHECK = 11;
    static final int SO_REUSEPORT = 15;
    static final int SO_RCVTIMEO = 20;
    static final int SOL_UDP = 17;
    static final int UDP_SEGMENT = 103;
    static final int UDP_GRO = 104;
    static final int MSG_CTRUNC = 0x08;
    static final int MSG_TRUNC = 0x20;
    static final int MSG_DONTWAIT = 0x40;
    static final int SHUT_RDWR = 2;
    /** The kernel's limit on datagrams per UDP_SEGMENT send ({@code UDP_MAX_SEGMENTS}, 64 before Linux 6.x raised it). */
    static final int MAX_SEGMENTS = 64;
    /** Bytes of datagrams per UDP_SEGMENT send: one IP packet's worth, less its headers. */
    static final int MAX_GSO_BYTES = 65_000;

    // struct msghdr (x86-64 and aarch64): name, namelen, iov, iovlen, control, controllen, flags
    private static final long MSG_NAME = 0;
    private static final long MSG_NAMELEN = 8;
    private static final long MSG_IOV = 16;
    private static final long MSG_IOVLEN = 24;
    private static final long MSG_CONTROL = 32;
    private static final long MSG_CONTROLLEN = 40;
    private static final long MSG_FLAGS = 48;
    private static final long MSGHDR_SIZE = 56;
    // struct iovec: base, length
    private static final long IOV_BASE = 0;
    private static final long IOV_LEN = 8;
    private static final long IOVEC_SIZE = 16;
    // struct cmsghdr: len (size_t), level, type (int), data aligned to 8
    private static final long CMSG_LEVEL = 8;
    private static final long CMSG_TYPE = 12;
    private static final long CMSG_DATA = 16;
    private static final long CMSG_SPACE_U16 = 24; // CMSG_SPACE(sizeof(uint16_t))
    private static final long CMSG_LEN_U16 = 18;   // CMSG_LEN(sizeof(uint16_t))
    /**
     * Room for the control messages a receive may carry: UDP_GRO's int takes CMSG_SPACE(4) = 24
     * bytes; four times that leaves room should another option ever be turned on. A control part cut
     * short (MSG_CTRUNC) would lose the GRO size, so it is an error, not ignored.
     */
    private static final long RECEIVE_CONTROL = 96;
    // struct sockaddr_in: family (native u16), port (BE u16), address (4 bytes); sockaddr_in6: family,
    // port, flowinfo (4), address (16 bytes at 8), scope id (native u32 at 24)
    private static final long SA_FAMILY = 0;
    private static final long SA_PORT = 2;
    private static final long SIN_ADDR = 4;
    private static final long SIN6_ADDR = 8;
    private static final long SIN6_SCOPE_ID = 24;
    private static final int SOCKADDR_IN_SIZE = 16;
    private static final int SOCKADDR_IN6_SIZE = 28;
    private static final long SOCKADDR_ROOM = 32;
    private static final ValueLayout.OfShort U16_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt U32_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong U64_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    /** Outcomes of one sendmsg besides the bytes sent. */
    private static final long FULL = -1;
    private static final long REFUSED = -2;

    private final int family;
    private final boolean gro;
    private final InetSocketAddress local;
    private final Descriptor descriptor;
    /** The descriptor sends go from: {@link #descriptor}, or a group member's own sending socket. */
    private final Descriptor sendDescriptor;
    /** The port datagrams leave from. */
    private final int sourcePort;
    // the sending side's structures (one sender at a time)
    private final MemorySegment sendState;
    private final MemorySegment sendMessage;
    private final MemorySegment sendIov;
    private final MemorySegment sendControl;
    private final MemorySegment sendAddress;
    private InetSocketAddress lastTo;
    private int sendAddressLength;
    private volatile boolean segmentation = true;
    private int lastCalls; // written and read by the sending thread
    // the receiving side's structures (one receiver at a time)
    private final MemorySegment receiveState;
    private final MemorySegment receiveMessage;
    private final MemorySegment receiveIov;
    private final MemorySegment receiveControl;
    private final MemorySegment receiveAddress;

    private UdpSocket(int fd, int sendFd, int sourcePort, int family, boolean gro, InetSocketAddress local) {
        this.family = family;
        this.gro = gro;
        this.local = local;
        this.descriptor = new Descriptor(fd, () -> shutdown(fd), () -> Libc.closeQuietly(fd));
        this.sendDescriptor = sendFd == fd ? descriptor
                : new Descriptor(sendFd, () -> { }, () -> Libc.closeQuietly(sendFd));
        this.sourcePort = sourcePort;
        Arena arena = Arena.ofAuto();
        sendState = Libc.callState(arena);
        sendMessage = arena.allocate(MSGHDR_SIZE, 8);
        sendIov = arena.allocate(IOVEC_SIZE, 8);
        sendControl = arena.allocate(CMSG_SPACE_U16, 8);
        sendAddress = arena.allocate(SOCKADDR_ROOM, 8);
        sendControl.set(ValueLayout.JAVA_LONG, 0, CMSG_LEN_U16);
        sendControl.set(ValueLayout.JAVA_INT, CMSG_LEVEL, SOL_UDP);
        sendControl.set(ValueLayout.JAVA_INT, CMSG_TYPE, UDP_SEGMENT);
        sendMessage.set(ValueLayout.ADDRESS, MSG_NAME, sendAddress);
        sendMessage.set(ValueLayout.ADDRESS, MSG_IOV, sendIov);
        sendMessage.set(ValueLayout.JAVA_LONG, MSG_IOVLEN, 1);
        receiveState = Libc.callState(arena);
        receiveMessage = arena.allocate(MSGHDR_SIZE, 8);
        receiveIov = arena.allocate(IOVEC_SIZE, 8);
        receiveControl = arena.allocate(RECEIVE_CONTROL, 8);
        receiveAddress = arena.allocate(SOCKADDR_ROOM, 8);
        receiveMessage.set(ValueLayout.ADDRESS, MSG_NAME, receiveAddress);
        receiveMessage.set(ValueLayout.ADDRESS, MSG_IOV, receiveIov);
        receiveMessage.set(ValueLayout.JAVA_LONG, MSG_IOVLEN, 1);
        receiveMessage.set(ValueLayout.ADDRESS, MSG_CONTROL, receiveControl);
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
        int family = local.getAddress() instanceof Inet6Address ? AF_INET6 : AF_INET;
        Bound b = bind(local, family, bufferBytes, reusePort, true);
        return new UdpSocket(b.fd, b.fd, b.port, family, b.gro, new InetSocketAddress(local.getAddress(), b.port));
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
    public static java.util.List<UdpSocket> openGroup(InetSocketAddress local, int bufferBytes, int count)
            throws IOException {
        checkLocal(local);
        if (count < 1 || count > MAX_GROUP) {
            throw new IllegalArgumentException("found a group of " + count + " sockets (expected: 1.." + MAX_GROUP + ")");
        }
        if (count == 1) {
            return java.util.List.of(open(local, bufferBytes));
        }
        int family = local.getAddress() instanceof Inet6Address ? AF_INET6 : AF_INET;
        java.util.List<Integer> fds = new java.util.ArrayList<>();
        try {
            int[] receive = new int[count];
            boolean[] gro = new boolean[count];
            InetSocketAddress at = local;
            for (int i = 0; i < count; i++) {
                Bound b = bind(at, family, bufferBytes, true, true);
                fds.add(b.fd);
                receive[i] = b.fd;
                gro[i] = b.gro;
                at = new InetSocketAddress(local.getAddress(), b.port); // port 0: the rest take the first's
            }
            attachProgram(receive[0], SO_ATTACH_REUSEPORT_CBPF, steeringProgram(count), "SO_ATTACH_REUSEPORT_CBPF");
            int[][] send = sendSockets(local, family, bufferBytes, count, fds);
            java.util.List<UdpSocket> group = new java.util.ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                group.add(new UdpSocket(receive[i], send[0][i], send[1][i], family, gro[i], at));
            }
            return java.util.List.copyOf(group);
        } catch (IOException | RuntimeException | Error e) {
            fds.forEach(Libc::closeQuietly);
            throw e;
        }
    }

    /** The most sockets {@link #openGroup} makes. */
    public static final int MAX_GROUP = 64;
    static final int SO_ATTACH_REUSEPORT_CBPF = 51;
    private static final int DYNAMIC_PORTS = 49152;

    /**
     * Socket {@code i}'s sending socket, bound to {@code local}'s IP address and a port that is
     * {@code i} mod {@code count}: {@code count} consecutive ports from a random multiple of it in the
     * dynamic range, another run where one is taken. Each drops whatever is sent to it. Returns the
     * descriptors and their ports.
     */
    private static int[][] sendSockets(InetSocketAddress local, int family, int bufferBytes, int count,
            java.util.List<Integer> fds) throws IOException {
        int runs = (65_536 - DYNAMIC_PORTS) / count;
        int first = java.util.concurrent.ThreadLocalRandom.current().nextInt(runs);
        BindException last = null;
        for (int attempt = 0; attempt < 64; attempt++) {
            int base = ((DYNAMIC_PORTS + count - 1) / count + (first + attempt) % runs) * count;
            if (base + count > 65_536) {
                continue;
            }
            int[] send = new int[count];
            int opened = 0;
            try {
                while (opened < count) {
                    send[opened] = bind(new InetSocketAddress(local.getAddress(), base + opened), family, bufferBytes,
                            false, false).fd;
                    opened++; // a failed bind closed its own socket; from here this one is ours to close
                    attachProgram(send[opened - 1], SO_ATTACH_FILTER, java.util.List.of(new int[] {BPF_RET_K, 0, 0, 0}),
                            "SO_ATTACH_FILTER");
                }
            } catch (IOException | RuntimeException | Error e) {
                // this run's sockets are not in fds yet: close them here
                for (int i = 0; i < opened; i++) {
                    Libc.closeQuietly(send[i]);
                }
                if (!(e instanceof BindException taken)) {
                    throw e;
                }
                last = taken;
                continue;
            }
            for (int fd : send) {
                fds.add(fd);
            }
            int[] ports = new int[count];
            java.util.Arrays.setAll(ports, i -> base + i);
            return new int[][] {send, ports};
        }
        throw new BindException("no run of " + count + " free UDP ports on " + local.getAddress().getHostAddress()
                + " for the group's sending sockets (last: " + (last == null ? "none free" : last.getMessage()) + ")");
    }

    /**
     * The group's steering: socket number (UDP source port mod {@code count}). The program sees the
     * datagram from its UDP payload on; the IP header is at {@code SKF_NET_OFF}: IPv6 (version 6)
     * has the UDP header 40 bytes in, IPv4 after its IHL words (an IPv4-mapped datagram on a
     * dual-stack socket is IPv4 on the wire).
     */
    static java.util.List<int[]> steeringProgram(int count) {
        return java.util.List.of(
                new int[] {0x30, 0, 0, SKF_NET_OFF},           // 0: ldb [net + 0]      version and IHL
                new int[] {0x74, 0, 0, 4},                     // 1: rsh #4
                new int[] {0x15, 3, 0, 6},                     // 2: jeq #6 ? 6 : 3
                new int[] {0xb1, 0, 0, SKF_NET_OFF},           // 3: ldxb 4*([net + 0] & 0xf)
                new int[] {0x48, 0, 0, SKF_NET_OFF},           // 4: ldh [x + net]      IPv4 source port
                new int[] {0x05, 0, 0, 1},                     // 5: ja 7
                new int[] {0x28, 0, 0, SKF_NET_OFF + 40},      // 6: ldh [net + 40]     IPv6 source port
                new int[] {0x94, 0, 0, count},                 // 7: mod #count
                new int[] {0x16, 0, 0, 0});                    // 8: ret a
    }

    private static void checkLocal(InetSocketAddress local) {
        if (local == null || local.isUnresolved()) {
            throw new IllegalArgumentException("found local address " + local + " (expected: a resolved IP address and port)");
        }
    }

    private record Bound(int fd, int port, boolean gro) {
    }

    /**
     * A socket bound to {@code local}: buffers, {@code SO_REUSEPORT}, and for a receiving one the
     * half-second receive timeout and UDP GRO (where the kernel has it).
     */
    private static Bound bind(InetSocketAddress local, int family, int bufferBytes, boolean reusePort, boolean receiving)
            throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(arena);
            int fd = (int) Libc.SOCKET.invokeExact(state, family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                throw new IOException("socket failed: " + Libc.describe(Libc.errno(state)));
            }
            try {
                if (bufferBytes > 0) {
                    setInt(arena, state, fd, SOL_SOCKET, SO_SNDBUF, bufferBytes, "SO_SNDBUF");
                    setInt(arena, state, fd, SOL_SOCKET, SO_RCVBUF, receiving ? bufferBytes : 4096, "SO_RCVBUF");
                }
                if (reusePort) {
                    setInt(arena, state, fd, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT");
                }
                boolean gro = false;
                if (receiving) {
                    MemorySegment timeout = arena.allocate(16, 8); // struct timeval: 0 s, 500000 µs
                    timeout.set(ValueLayout.JAVA_LONG, 8, 500_000L);
                    check((int) Libc.SETSOCKOPT.invokeExact(state, fd, SOL_SOCKET, SO_RCVTIMEO, timeout, 16), state,
                            "SO_RCVTIMEO");
                    MemorySegment one = arena.allocateFrom(ValueLayout.JAVA_INT, 1);
                    // GRO is optional: a kernel before 5.0 refuses it, and receives are one datagram each there
                    gro = (int) Libc.SETSOCKOPT.invokeExact(state, fd, SOL_UDP, UDP_GRO, one, 4) == 0;
                }
                MemorySegment address = arena.allocate(SOCKADDR_ROOM, 8);
                int length = sockaddr(address, local, family);
                if ((int) Libc.BIND.invokeExact(state, fd, address, length) < 0) {
                    throw new BindException("cannot bind UDP " + format(local) + ": " + Libc.describe(Libc.errno(state)));
                }
                MemorySegment lengthField = arena.allocateFrom(ValueLayout.JAVA_INT, (int) SOCKADDR_ROOM);
                check((int) Libc.GETSOCKNAME.invokeExact(state, fd, address, lengthField), state, "getsockname");
                return new Bound(fd, address.get(U16_BE, SA_PORT) & 0xFFFF, gro);
            } catch (Throwable t) {
                Libc.closeQuietly(fd);
                throw t;
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("native call failed: " + t, t);
        }
    }

    /** Attaches a classic BPF program ({@code struct sock_filter}: code, jt, jf, k per instruction). */
    private static void attachProgram(int fd, int option, java.util.List<int[]> program, String name) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment filter = arena.allocate(8L * program.size(), 8);
            for (int k = 0; k < program.size(); k++) {
                int[] insn = program.get(k);
                filter.set(ValueLayout.JAVA_SHORT, 8L * k, (short) insn[0]);
                filter.set(ValueLayout.JAVA_BYTE, 8L * k + 2, (byte) insn[1]);
                filter.set(ValueLayout.JAVA_BYTE, 8L * k + 3, (byte) insn[2]);
                filter.set(ValueLayout.JAVA_INT, 8L * k + 4, insn[3]);
            }
            MemorySegment fprog = arena.allocate(16, 8); // struct sock_fprog: len (u16), then the pointer
            fprog.set(ValueLayout.JAVA_SHORT, 0, (short) program.size());
            fprog.set(ValueLayout.ADDRESS, 8, filter);
            MemorySegment state = Libc.callState(arena);
            check((int) Libc.SETSOCKOPT.invokeExact(state, fd, SOL_SOCKET, option, fprog, 16), state, name);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("native call failed: " + t, t);
        }
    }

    /** Opens a UDP socket bound to {@code local} with the system's default buffers. */
    public static UdpSocket open(InetSocketAddress local) throws IOException {
        return open(local, 0);
    }

    private static void setInt(Arena arena, MemorySegment state, int fd, int level, int option, int value, String name)
            throws Throwable {
        MemorySegment v = arena.allocateFrom(ValueLayout.JAVA_INT, value);
        check((int) Libc.SETSOCKOPT.invokeExact(state, fd, level, option, v, 4), state, name);
    }

    private static void check(int result, MemorySegment state, String what) throws IOException {
        if (result < 0) {
            throw new IOException(what + " failed: " + Libc.describe(Libc.errno(state)));
        }
    }

    private static void shutdown(int fd) {
        try {
            // on an unbound-to-a-peer UDP socket shutdown "fails" with ENOTCONN yet marks the socket shut and
            // wakes a waiting recvmsg, which then returns 0 at once (Linux inet_shutdown)
            int ignored = (int) Libc.SHUTDOWN.invokeExact(fd, SHUT_RDWR);
        } catch (Throwable ignored) {
            // best effort: SO_RCVTIMEO bounds the wait anyway
        }
    }

    /**
     * Writes {@code struct sockaddr_in} or {@code sockaddr_in6} for {@code address} on a socket of
     * {@code family} (an IPv4 address on an IPv6 socket as IPv4-mapped); returns its length.
     */
    static int sockaddr(MemorySegment at, InetSocketAddress address, int family) {
        at.fill((byte) 0);
        InetAddress ip = address.getAddress();
        at.set(U16_BE, SA_PORT, (short) address.getPort());
        if (family == AF_INET) {
            if (!(ip instanceof Inet4Address)) {
                throw new IllegalArgumentException("found " + format(address) + " (expected: an IPv4 address on an IPv4 socket)");
            }
            at.set(ValueLayout.JAVA_SHORT, SA_FAMILY, (short) AF_INET);
            MemorySegment.copy(ip.getAddress(), 0, at, ValueLayout.JAVA_BYTE, SIN_ADDR, 4);
            return SOCKADDR_IN_SIZE;
        }
        at.set(ValueLayout.JAVA_SHORT, SA_FAMILY, (short) AF_INET6);
        if (ip instanceof Inet4Address) {
            at.set(ValueLayout.JAVA_SHORT, SIN6_ADDR + 10, (short) 0xFFFF);
            MemorySegment.copy(ip.getAddress(), 0, at, ValueLayout.JAVA_BYTE, SIN6_ADDR + 12, 4);
        } else {
            MemorySegment.copy(ip.getAddress(), 0, at, ValueLayout.JAVA_BYTE, SIN6_ADDR, 16);
            at.set(ValueLayout.JAVA_INT, SIN6_SCOPE_ID, ((Inet6Address) ip).getScopeId());
        }
        return SOCKADDR_IN6_SIZE;
    }

    static final int SO_ATTACH_FILTER = 26;
    // classic BPF (linux/filter.h): ld word absolute, jeq constant, ret constant
    private static final short BPF_LD_W_ABS = 0x20;
    private static final short BPF_JEQ_K = 0x15;
    private static final short BPF_RET_K = 0x06;
    /** SKF_NET_OFF: negative offsets reach the network header from a socket filter, which starts at UDP. */
    private static final int SKF_NET_OFF = -0x100000;
    /**
     * The most sources a filter compares: a jump's offset is 8 bits, so an IPv4 filter (one compare per
     * source) reaches past 255 and an IPv6 one (four per source, in blocks of eight) past 32.
     */
    static final int MAX_FILTERED_IPV4 = 255;
    static final int MAX_FILTERED_IPV6 = 32;

    /**
     * Lets the kernel drop, before they wake a receiver, the datagrams whose source address is none
     * of {@code sources}: a classic BPF socket filter ({@code SO_ATTACH_FILTER}, replacing any before)
     * that compares the IP header's source address. Those datagrams are then counted by the kernel
     * (the socket's drops; {@code UdpInErrors} in {@code nstat}), not by the endpoint.
     *
     * @return false, with no filter installed, when this socket cannot filter by source: an IPv6
     *     socket bound to the wildcard address (it also receives IPv4, whose header differs), or more
     *     sources than {@link #MAX_FILTERED_IPV4} / {@link #MAX_FILTERED_IPV6}
     * @throws IllegalArgumentException for an address of the other IP version than the socket's
     */
    @Override
    public boolean restrictSources(java.util.Collection<? extends java.net.InetAddress> sources) throws IOException {
        boolean v6 = family == AF_INET6;
        int n = sources.size();
        if ((v6 && local.getAddress().isAnyLocalAddress()) || n > (v6 ? MAX_FILTERED_IPV6 : MAX_FILTERED_IPV4)) {
            return false;
        }
        // IPv4: [0] load the source address; [1..n] equal to source i? to ACCEPT; [n+1] drop; [n+2] ACCEPT.
        // IPv6: per source i a block at 8i of four (load word w, equal? next : next block); [8n] drop;
        //       [8n+1] ACCEPT. The last word equal jumps to ACCEPT; a mismatch in the last block reaches the drop.
        int accept = v6 ? 8 * n + 1 : n + 2;
        java.util.List<int[]> program = new java.util.ArrayList<>();
        if (!v6) {
            program.add(new int[] {BPF_LD_W_ABS, 0, 0, SKF_NET_OFF + 12});
        }
        int i = 0;
        for (java.net.InetAddress source : sources) {
            byte[] b = source.getAddress();
            if (b.length != (v6 ? 16 : 4)) {
                throw new IllegalArgumentException("found source " + source.getHostAddress() + " (expected: an IPv"
                        + (v6 ? 6 : 4) + " address, as the socket's)");
            }
            if (v6) {
                for (int w = 0; w < 4; w++) {
                    int self = 8 * i + 2 * w + 1; // this compare's index
                    program.add(new int[] {BPF_LD_W_ABS, 0, 0, SKF_NET_OFF + 8 + 4 * w});
                    program.add(new int[] {BPF_JEQ_K, w == 3 ? accept - (self + 1) : 0, 8 * (i + 1) - (self + 1),
                        word(b, 4 * w)});
                }
            } else {
                program.add(new int[] {BPF_JEQ_K, accept - (i + 2), 0, word(b, 0)});
            }
            i++;
        }
        program.add(new int[] {BPF_RET_K, 0, 0, 0});           // none matched: drop
        program.add(new int[] {BPF_RET_K, 0, 0, 0xFFFF_FFFF});  // ACCEPT: the whole datagram
        int fd = descriptor.enter();
        try {
            attachProgram(fd, SO_ATTACH_FILTER, program, "SO_ATTACH_FILTER");
            return true;
        } finally {
            descriptor.exit();
        }
    }

    /** The big-endian 32-bit word at {@code at} of an address, as the filter loads it. */
    private static int word(byte[] b, int at) {
        return ((b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
    }

    /** Sends UDP without checksums ({@code SO_NO_CHECK}, IPv4): the kernel then refuses UDP_SEGMENT. For tests. */
    void disableChecksums() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(arena);
            setInt(arena, state, sendDescriptor.enter(), SOL_SOCKET, SO_NO_CHECK, 1, "SO_NO_CHECK");
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("native call failed: " + t, t);
        } finally {
            sendDescriptor.exit();
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
        return segmentation;
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
        int fd = sendDescriptor.enter();
        try {
            destination(to);
            return sendmsg(fd, buffer.address() + offset, length, 0) != FULL;
        } finally {
            sendDescriptor.exit();
        }
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
        return sendRun(null, buffer.address() + offset, count, length - (long) (count - 1) * size, size, to);
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
    public int sendGathered(io.github.geneve4j.endpoint.spi.GatherList list, int size, InetSocketAddress to)
            throws IOException {
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
            return sendRun(list, 0, count, count == 0 ? 0 : list.datagramLength(count - 1), size, to);
        } finally {
            java.lang.ref.Reference.reachabilityFence(list); // its iovecs' memory, read by the kernel in there
        }
    }

    private static void checkSegmentSize(int size) {
        if (size <= 0 || size > 0xFFFF) {
            throw new IllegalArgumentException("found segment size " + size + " (expected: 1..65535)");
        }
    }

    /**
     * Sends {@code count} datagrams of {@code size} bytes (the last {@code lastLength}) to {@code to}:
     * back to back from native address {@code base} when {@code list} is null, else from the list's
     * pieces. With UDP segmentation one {@code sendmsg} per {@link #MAX_SEGMENTS} datagrams or
     * 65,000 bytes; where the kernel refuses it, that batch and all from then on one per call. A full
     * send buffer ends the run. Counts the calls in {@link #lastSendCalls()}.
     *
     * @return the number of datagrams sent
     */
    private int sendRun(io.github.geneve4j.endpoint.spi.GatherList list, long base, int count, long lastLength,
            int size, InetSocketAddress to) throws IOException {
        int fd = sendDescriptor.enter();
        int calls = 0;
        int sent = 0;
        try {
            destination(to);
            int perCall = Math.max(1, Math.min(MAX_SEGMENTS, MAX_GSO_BYTES / size));
            for (int d = 0; d < count; ) {
                int n = Math.min(perCall, count - d);
                if (segmentation && n > 1) {
                    long bytes = (long) (n - 1) * size + (d + n == count ? lastLength : size);
                    long result = sendBatch(fd, list, base, size, d, n, bytes, size);
                    calls++;
                    if (result == FULL) {
                        return sent;
                    }
                    if (result != REFUSED) {
                        sent += n;
                        d += n;
                        continue;
                    }
                    segmentation = false; // and these one datagram at a time below, and all from now on
                }
                for (int end = d + n; d < end; d++) {
                    calls++;
                    if (sendBatch(fd, list, base, size, d, 1, d + 1 == count ? lastLength : size, 0) == FULL) {
                        return sent;
                    }
                    sent++;
                }
            }
            return sent;
        } finally {
            lastCalls = calls;
            sendDescriptor.exit();
        }
    }

    /** One sendmsg of datagrams {@code d} to {@code d + n - 1} ({@code bytes} in all) of a {@link #sendRun}. */
    private long sendBatch(int fd, io.github.geneve4j.endpoint.spi.GatherList list, long base, int size, int d, int n,
            long bytes, int segmentSize) throws IOException {
        if (list == null) {
            return sendmsg(fd, base + (long) d * size, bytes, segmentSize);
        }
        int first = list.firstPiece(d);
        return sendmsg(fd, list.iovecs().address() + IOVEC_SIZE * first, list.endPiece(d + n - 1) - first, bytes,
                segmentSize);
    }

    /** The system calls the last {@link #sendSegments} made (one per batch with UDP_SEGMENT). */
    @Override
    public int lastSendCalls() {
        return lastCalls;
    }

    /** Encodes {@code to} into the send structures unless it is the same object as last time. */
    private void destination(InetSocketAddress to) {
        if (to != lastTo) {
            if (to == null || to.isUnresolved()) {
                throw new IllegalArgumentException("found destination " + to + " (expected: a resolved IP address and port)");
            }
            sendAddressLength = sockaddr(sendAddress, to, family);
            lastTo = to;
        }
    }

    /** One sendmsg; returns the bytes sent, {@link #FULL} or, with a segment size, {@link #REFUSED}. */
    private long sendmsg(int fd, long address, long length, int segmentSize) throws IOException {
        sendIov.set(ValueLayout.JAVA_LONG, IOV_BASE, address);
        sendIov.set(ValueLayout.JAVA_LONG, IOV_LEN, length);
        return sendmsg(fd, sendIov.address(), 1, length, segmentSize);
    }

    /** One sendmsg of {@code iovCount} iovecs at {@code iov} ({@code length} bytes in all). */
    private long sendmsg(int fd, long iov, int iovCount, long length, int segmentSize) throws IOException {
        MemorySegment message = sendMessage;
        message.set(ValueLayout.JAVA_LONG, MSG_IOV, iov);
        message.set(ValueLayout.JAVA_LONG, MSG_IOVLEN, iovCount);
        message.set(ValueLayout.JAVA_INT, MSG_NAMELEN, sendAddressLength);
        if (segmentSize > 0) {
            sendControl.set(ValueLayout.JAVA_SHORT, CMSG_DATA, (short) segmentSize);
            message.set(ValueLayout.ADDRESS, MSG_CONTROL, sendControl);
            message.set(ValueLayout.JAVA_LONG, MSG_CONTROLLEN, CMSG_SPACE_U16);
        } else {
            message.set(ValueLayout.JAVA_LONG, MSG_CONTROL, 0L);
            message.set(ValueLayout.JAVA_LONG, MSG_CONTROLLEN, 0L);
        }
        message.set(ValueLayout.JAVA_INT, MSG_FLAGS, 0);
        while (true) {
            long n;
            try {
                n = (long) Libc.SENDMSG.invokeExact(fd, message, MSG_DONTWAIT);
                if (n < 0) { // again, to learn why (see Libc); a failed send sent nothing
                    n = (long) Libc.SENDMSG_ERRNO.invokeExact(sendState, fd, message, MSG_DONTWAIT);
                }
            } catch (Throwable t) {
                throw new IOException("sendmsg failed: " + t, t);
            }
            if (n >= 0) {
                return n;
            }
            int errno = Libc.errno(sendState);
            if (errno == Libc.EINTR) {
                continue;
            }
            if (errno == Libc.EAGAIN || errno == Libc.ENOBUFS) {
                return FULL;
            }
            if (segmentSize > 0 && (errno == Libc.EIO || errno == Libc.EINVAL || errno == Libc.ENOPROTOOPT)) {
                return REFUSED;
            }
            throw new IOException("sendmsg of " + length + " bytes to " + format(lastTo) + " failed: "
                    + Libc.describe(errno));
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
        MemorySegment message = receiveMessage;
        receiveIov.set(ValueLayout.JAVA_LONG, IOV_BASE, buffer.address() + offset);
        receiveIov.set(ValueLayout.JAVA_LONG, IOV_LEN, capacity);
        int fd = descriptor.enter();
        long n;
        try {
            while (true) {
                // the kernel writes the lengths back: set them again for every call
                message.set(ValueLayout.JAVA_INT, MSG_NAMELEN, (int) SOCKADDR_ROOM);
                message.set(ValueLayout.JAVA_LONG, MSG_CONTROLLEN, RECEIVE_CONTROL);
                message.set(ValueLayout.JAVA_INT, MSG_FLAGS, 0);
                try {
                    n = (long) Libc.RECVMSG.invokeExact(fd, message, wait ? 0 : MSG_DONTWAIT);
                    if (n < 0 && !descriptor.isClosing()) {
                        // again, to learn why (see Libc), without a second wait: a timed-out wait is EAGAIN
                        message.set(ValueLayout.JAVA_INT, MSG_NAMELEN, (int) SOCKADDR_ROOM);
                        message.set(ValueLayout.JAVA_LONG, MSG_CONTROLLEN, RECEIVE_CONTROL);
                        n = (long) Libc.RECVMSG_ERRNO.invokeExact(receiveState, fd, message, MSG_DONTWAIT);
                    }
                } catch (Throwable t) {
                    throw new IOException("recvmsg failed: " + t, t);
                }
                if (descriptor.isClosing()) {
                    throw new ClosedChannelException(); // also what a shut-down socket's "0 bytes" means
                }
                if (n >= 0) {
                    break;
                }
                int errno = Libc.errno(receiveState);
                if (errno == Libc.EAGAIN) {
                    return -1;
                }
                if (errno != Libc.EINTR) {
                    throw new IOException("recvmsg failed: " + Libc.describe(errno));
                }
            }
        } finally {
            descriptor.exit();
        }
        int flags = message.get(ValueLayout.JAVA_INT, MSG_FLAGS);
        if ((flags & MSG_TRUNC) != 0) {
            throw new IOException("a datagram longer than " + capacity + " bytes was cut short");
        }
        if ((flags & MSG_CTRUNC) != 0) {
            throw new IOException("the control data of a datagram was cut short (its GRO segment size is lost)");
        }
        source(source);
        source.segmentSize(groSize((int) n));
        return (int) n;
    }

    /** Sets {@code source} from the receive's {@code msg_name}. */
    private void source(DatagramSource source) {
        MemorySegment a = receiveAddress;
        int port = a.get(U16_BE, SA_PORT) & 0xFFFF;
        if (a.get(ValueLayout.JAVA_SHORT, SA_FAMILY) == AF_INET6) {
            long high = a.get(U64_BE, SIN6_ADDR);
            long low = a.get(U64_BE, SIN6_ADDR + 8);
            if (high == 0 && (low >>> 32) == 0xFFFF) {
                source.ipv4((int) low, port); // ::ffff:a.b.c.d, a dual-stack socket's IPv4 sender
            } else {
                source.ipv6(high, low, port);
            }
        } else {
            source.ipv4(a.get(U32_BE, SIN_ADDR), port);
        }
    }

    /** The UDP_GRO control message's segment size, or {@code n} when the kernel did not coalesce. */
    private int groSize(int n) {
        long controlLength = receiveMessage.get(ValueLayout.JAVA_LONG, MSG_CONTROLLEN);
        MemorySegment control = receiveControl;
        for (long c = 0; c + CMSG_DATA <= controlLength; ) {
            long length = control.get(ValueLayout.JAVA_LONG, c);
            if (length < CMSG_DATA) {
                break;
            }
            if (control.get(ValueLayout.JAVA_INT, c + CMSG_LEVEL) == SOL_UDP
                    && control.get(ValueLayout.JAVA_INT, c + CMSG_TYPE) == UDP_GRO && c + CMSG_DATA + 4 <= controlLength) {
                int size = control.get(ValueLayout.JAVA_INT, c + CMSG_DATA);
                if (size > 0) {
                    return size;
                }
            }
            c += (length + 7) & ~7L;
        }
        return n;
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
            if (sendDescriptor != descriptor) {
                sendDescriptor.close();
            }
        }
    }

    private static String format(InetSocketAddress address) {
        if (address == null) {
            return "null";
        }
        InetAddress ip = address.getAddress();
        String host = ip == null ? address.getHostString() : ip.getHostAddress();
        return (ip instanceof Inet6Address ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    @Override
    public String toString() {
        return "UdpSocket[" + format(local) + (gro ? ", GRO" : "") + (segmentation ? ", UDP_SEGMENT" : "") + "]";
    }
}
