package io.github.geneve4j.linux;

import io.github.geneve4j.codec.NetworkOrder;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.TreeSet;

/**
 * A live capture of the Geneve traffic of one network interface: an {@code AF_PACKET} socket
 * ({@code SOCK_RAW}, every protocol) bound to the interface, with a classic BPF filter
 * ({@code SO_ATTACH_FILTER}) that lets through only UDP to the Geneve ports, in IPv4 or IPv6, in
 * Ethernet frames (one 802.1Q/802.1ad tag allowed), so the kernel copies nothing else to user space.
 * Frames of both directions are captured, whole Ethernet frames as the interface has them; on the
 * loopback interface, where each packet passes twice, only the received copy (as libpcap does).
 *
 * <pre>{@code
 * try (PacketCapture capture = PacketCapture.open("eth0", List.of(6081), 0);
 *         Arena arena = Arena.ofConfined()) {
 *     MemorySegment buffer = arena.allocate(PacketCapture.DEFAULT_CAPACITY);
 *     capture.run(buffer, (b, frame) -> {
 *         // b's first frame.capturedLength() bytes are an Ethernet frame
 *         return true; // false stops
 *     });
 *     System.out.println(capture.statistics().drops() + " dropped by the kernel");
 * }
 * }</pre>
 *
 * <p>Needs {@code CAP_NET_RAW} (root), and Ethernet framing on the interface (Ethernet, veth,
 * bridges, VLAN devices, loopback; not TUN or other links without an Ethernet header). The socket is
 * opened without a protocol, gets its filter, and only then is bound to the interface and to every
 * protocol: no frame reaches it unfiltered in between.
 *
 * <p>One thread receives at a time; nothing is allocated per frame. A receive waits in
 * {@code poll(2)} on the socket and an {@code eventfd} that {@link #close()} signals (a packet
 * socket has no {@code shutdown} to wake it), so a receive waiting in another thread ends at once.
 * The kernel's own counters ({@code PACKET_STATISTICS}: frames that passed the filter, frames dropped
 * because the socket's buffer was full) are read by {@link #statistics()}, and a last time when the
 * capture closes.
 */
public final class PacketCapture implements AutoCloseable {

    /** The most destination ports one filter matches. */
    public static final int MAX_PORTS = 32;
    /** A buffer size that holds any frame: tcpdump's default snapshot length (262,144 bytes). */
    public static final int DEFAULT_CAPACITY = 262_144;

    // linux/socket.h, linux/if_ether.h, linux/if_packet.h, linux/if_arp.h, asm-generic/socket.h
    static final int AF_PACKET = 17;
    static final int SOCK_RAW = 3;
    static final int ETH_P_ALL = 0x0003;
    static final int SOL_PACKET = 263;
    static final int PACKET_STATISTICS = 6;
    static final int PACKET_IGNORE_OUTGOING = 23;
    static final int SO_TIMESTAMPNS = 35;
    static final int SCM_TIMESTAMPNS = SO_TIMESTAMPNS;
    static final int PACKET_OUTGOING = 4;
    static final int ARPHRD_ETHER = 1;
    static final int ARPHRD_LOOPBACK = 772;
    static final int EPERM = 1;
    static final int ENODEV = 19;
    private static final int IFNAMSIZ = 16;
    private static final int EFD_NONBLOCK = Libc.O_NONBLOCK;
    private static final int EFD_CLOEXEC = Libc.O_CLOEXEC;
    /** poll(2) timeout: how long a waiting receive waits, and a bound should the eventfd wake-up be lost. */
    private static final int POLL_MILLIS = 500;

    // struct sockaddr_ll: family (u16), protocol (be16), ifindex (int), hatype (u16), pkttype (u8), halen (u8), addr[8]
    private static final long SLL_PROTOCOL = 2;
    private static final long SLL_IFINDEX = 4;
    private static final long SLL_HATYPE = 8;
    private static final long SLL_PKTTYPE = 10;
    private static final int SOCKADDR_LL_SIZE = 20;
    // struct msghdr, iovec, cmsghdr: MessageHeader's layouts; SCM_TIMESTAMPNS carries a struct timespec (two longs)
    private static final long CONTROL_ROOM = 64;
    // struct tpacket_stats: tp_packets, tp_drops (unsigned int each)
    private static final long TPACKET_STATS_SIZE = 8;

    private static final MethodHandle IF_NAMETOINDEX = Libc.downcall("if_nametoindex",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS), true);
    private static final MethodHandle BIND = Libc.downcall("bind",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
            true);
    private static final MethodHandle GETSOCKNAME = Libc.downcall("getsockname",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS),
            true);
    private static final MethodHandle GETSOCKOPT = Libc.downcall("getsockopt",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS, ValueLayout.ADDRESS), true);

    /**
     * The kernel's counters of this socket ({@code PACKET_STATISTICS}), summed since it was opened
     * (the kernel resets its own on every read).
     *
     * @param packets frames that passed the filter, the dropped ones included
     * @param drops frames that passed the filter but found the socket's receive buffer full
     */
    public record Statistics(long packets, long drops) {
    }

    /** What {@link #run} hands each captured frame to. */
    @FunctionalInterface
    public interface FrameHandler {
        /**
         * Takes one frame.
         *
         * @param buffer the buffer given to {@link #run}: the frame is its first
         *     {@code frame.capturedLength()} bytes, valid until this method returns
         * @param frame the frame's lengths and time
         * @return true for the next frame, false to stop
         * @throws IOException to stop the capture loop with it
         */
        boolean frame(MemorySegment buffer, CapturedFrame frame) throws IOException;
    }

    private final String name;
    private final int index;
    private final boolean loopback;
    private final int[] ports;
    private final Descriptor descriptor;
    private final MemorySegment state;
    private final MemorySegment header;
    private final MemorySegment address;
    private final MemorySegment iov;
    private final MemorySegment control;
    private final MemorySegment pollSet;
    private final CapturedFrame runFrame = new CapturedFrame();
    private long packets;
    private long drops;

    private PacketCapture(String name, int index, boolean loopback, int[] ports, int fd, int wakeFd) {
        this.name = name;
        this.index = index;
        this.loopback = loopback;
        this.ports = ports;
        Arena arena = Arena.ofAuto();
        state = Libc.callState(arena);
        header = arena.allocate(MessageHeader.MSGHDR_SIZE, 8);
        address = arena.allocate(24, 8);
        iov = arena.allocate(MessageHeader.IOVEC_SIZE, 8);
        control = arena.allocate(CONTROL_ROOM, 8);
        header.set(ValueLayout.ADDRESS, MessageHeader.MSG_NAME, address);
        header.set(ValueLayout.ADDRESS, MessageHeader.MSG_IOV, iov);
        header.set(ValueLayout.JAVA_LONG, MessageHeader.MSG_IOVLEN, 1);
        header.set(ValueLayout.ADDRESS, MessageHeader.MSG_CONTROL, control);
        // two pollfds: the socket, then the eventfd that close() signals
        pollSet = arena.allocate(2 * Libc.POLLFD_SIZE, 8);
        pollSet.set(ValueLayout.JAVA_INT, 0, fd);
        pollSet.set(ValueLayout.JAVA_SHORT, Libc.POLLFD_EVENTS, Libc.POLLIN);
        pollSet.set(ValueLayout.JAVA_INT, Libc.POLLFD_SIZE, wakeFd);
        pollSet.set(ValueLayout.JAVA_SHORT, Libc.POLLFD_SIZE + Libc.POLLFD_EVENTS, Libc.POLLIN);
        MemorySegment one = arena.allocate(ValueLayout.JAVA_LONG);
        one.set(ValueLayout.JAVA_LONG, 0, 1L);
        descriptor = new Descriptor(fd, () -> signal(wakeFd, one), () -> {
            try {
                readStatistics(fd); // the last counts, which the socket takes with it
            } catch (IOException ignored) {
                // the totals read before stay
            } finally {
                Libc.closeQuietly(fd);
                Libc.closeQuietly(wakeFd);
            }
        });
    }

    private static void signal(int wakeFd, MemorySegment one) {
        try {
            long ignored = (long) Libc.WRITE.invokeExact(wakeFd, one.address(), 8L);
        } catch (Throwable ignored) {
            // best effort: the poll timeout bounds the wait anyway
        }
        java.lang.ref.Reference.reachabilityFence(one);
    }

    /**
     * Opens a capture of the UDP datagrams to {@code ports} on interface {@code interfaceName}.
     *
     * @param interfaceName the interface, e.g. {@code eth0}
     * @param ports UDP destination ports, 1 to {@link #MAX_PORTS} of them (6081 is Geneve's)
     * @param bufferBytes the socket's receive buffer (0 for the system's default; the kernel caps it
     *     at {@code net.core.rmem_max}): what absorbs a burst while the reader is busy
     * @return the capture, receiving from now on
     * @throws IllegalArgumentException for an interface name that cannot be one (empty, longer than
     *     15 bytes, with {@code /}), no ports, too many, or one outside 0..65535
     * @throws IOException naming what failed: no such interface; no {@code CAP_NET_RAW}; an interface
     *     without Ethernet framing
     */
    public static PacketCapture open(String interfaceName, Collection<Integer> ports, int bufferBytes)
            throws IOException {
        byte[] nameBytes = interfaceName == null ? new byte[0] : interfaceName.getBytes(StandardCharsets.UTF_8);
        if (nameBytes.length == 0 || nameBytes.length >= IFNAMSIZ || interfaceName.indexOf('/') >= 0) {
            throw new IllegalArgumentException("found interface name " + (interfaceName == null ? null
                    : "'" + interfaceName + "'") + " (expected: 1 to 15 bytes, no '/')");
        }
        int[] portArray = ports(ports);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment callState = Libc.callState(arena);
            int index = (int) IF_NAMETOINDEX.invokeExact(callState, arena.allocateFrom(interfaceName));
            if (index == 0) {
                int errno = Libc.errno(callState);
                throw new IOException("no network interface '" + interfaceName + "'"
                        + (errno == ENODEV ? "" : " (if_nametoindex: " + Libc.describe(errno) + ")"));
            }
            // protocol 0: the socket receives nothing until bind names a protocol, after the filter is on
            int fd = (int) Libc.SOCKET.invokeExact(callState, AF_PACKET, SOCK_RAW | LinuxSocket.SOCK_CLOEXEC, 0);
            if (fd < 0) {
                int errno = Libc.errno(callState);
                throw new IOException("cannot capture on " + interfaceName + ": AF_PACKET socket failed: "
                        + Libc.describe(errno) + (errno == EPERM ? "; capturing needs CAP_NET_RAW (root)" : ""));
            }
            int wakeFd = -1;
            try {
                LinuxSocket.attach(fd, LinuxSocket.SO_ATTACH_FILTER, CaptureFilter.program(portArray), "SO_ATTACH_FILTER");
                LinuxSocket.setInt(fd, LinuxSocket.SOL_SOCKET, SO_TIMESTAMPNS, 1, "SO_TIMESTAMPNS");
                if (bufferBytes > 0) {
                    LinuxSocket.setInt(fd, LinuxSocket.SOL_SOCKET, LinuxSocket.SO_RCVBUF, bufferBytes, "SO_RCVBUF");
                }
                MemorySegment sll = arena.allocate(SOCKADDR_LL_SIZE, 8);
                sll.set(ValueLayout.JAVA_SHORT, 0, (short) AF_PACKET);
                sll.set(NetworkOrder.SHORT, SLL_PROTOCOL, (short) ETH_P_ALL);
                sll.set(ValueLayout.JAVA_INT, SLL_IFINDEX, index);
                if ((int) BIND.invokeExact(callState, fd, sll, SOCKADDR_LL_SIZE) < 0) {
                    throw new IOException("cannot capture on " + interfaceName + ": bind failed: "
                            + Libc.describe(Libc.errno(callState)));
                }
                MemorySegment length = arena.allocateFrom(ValueLayout.JAVA_INT, SOCKADDR_LL_SIZE);
                if ((int) GETSOCKNAME.invokeExact(callState, fd, sll, length) < 0) {
                    throw new IOException("getsockname failed: " + Libc.describe(Libc.errno(callState)));
                }
                int hardware = Short.toUnsignedInt(sll.get(ValueLayout.JAVA_SHORT, SLL_HATYPE));
                if (hardware != ARPHRD_ETHER && hardware != ARPHRD_LOOPBACK) {
                    throw new IOException("cannot capture on " + interfaceName + ": found link type ARPHRD " + hardware
                            + " (expected: Ethernet framing, ARPHRD_ETHER or ARPHRD_LOOPBACK)");
                }
                boolean loopback = hardware == ARPHRD_LOOPBACK;
                if (loopback) {
                    // each packet passes loopback twice, sent and received: keep the received copy only, in the
                    // kernel where it can (Linux 4.20+), else in receive (as libpcap does either way)
                    LinuxSocket.trySetInt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1);
                }
                wakeFd = (int) Libc.EVENTFD.invokeExact(callState, 0, EFD_NONBLOCK | EFD_CLOEXEC);
                if (wakeFd < 0) {
                    throw new IOException("eventfd failed: " + Libc.describe(Libc.errno(callState)));
                }
                return new PacketCapture(interfaceName, index, loopback, portArray, fd, wakeFd);
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

    private static int[] ports(Collection<Integer> ports) {
        if (ports == null || ports.isEmpty() || ports.size() > MAX_PORTS) {
            throw new IllegalArgumentException("found " + (ports == null ? "no" : ports.size()) + " ports (expected: 1 to "
                    + MAX_PORTS + ")");
        }
        TreeSet<Integer> distinct = new TreeSet<>();
        for (Integer port : ports) {
            if (port == null || port < 0 || port > 0xFFFF) {
                throw new IllegalArgumentException("found port " + port + " (expected: 0..65535)");
            }
            distinct.add(port);
        }
        return distinct.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Receives the next captured frame into {@code capacity} bytes at {@code offset} of native
     * {@code buffer}: its first {@code capacity} bytes if it is longer ({@code frame} says how long it
     * was).
     *
     * @param buffer native memory the frame is written to
     * @param offset where in {@code buffer} the frame starts
     * @param capacity the most bytes of the frame to keep
     * @param wait whether to wait (up to half a second) when nothing is queued
     * @param frame set to the frame's captured and original lengths and its time
     * @return the bytes captured, or -1 when nothing came
     * @throws IllegalArgumentException for heap memory or bounds outside {@code buffer}
     * @throws ClosedChannelException once the capture is closed, also when closed during the wait
     * @throws IOException if the kernel call fails
     */
    public int receive(MemorySegment buffer, long offset, long capacity, boolean wait, CapturedFrame frame)
            throws IOException {
        Libc.checkNative(buffer, offset, capacity, 0);
        iov.set(ValueLayout.JAVA_LONG, MessageHeader.IOV_BASE, buffer.address() + offset);
        iov.set(ValueLayout.JAVA_LONG, MessageHeader.IOV_LEN, capacity);
        int fd = descriptor.enter();
        boolean waited = !wait;
        try {
            while (true) {
                rearm();
                // MSG_TRUNC: a packet socket then returns the frame's whole length, also when cut to fit
                long n = LinuxSocket.recvmsg(fd, header, LinuxSocket.MSG_TRUNC | LinuxSocket.MSG_DONTWAIT);
                if (n < 0 && !descriptor.isClosing()) {
                    // again, to learn why (see Libc): EAGAIN mostly, or a frame that came meanwhile
                    rearm();
                    n = LinuxSocket.recvmsg(fd, header, LinuxSocket.MSG_TRUNC | LinuxSocket.MSG_DONTWAIT, state);
                }
                if (descriptor.isClosing()) {
                    throw new ClosedChannelException();
                }
                if (n >= 0) {
                    if (loopback && address.get(ValueLayout.JAVA_BYTE, SLL_PKTTYPE) == PACKET_OUTGOING) {
                        continue; // loopback's sent copy: the received copy follows
                    }
                    long captured = Math.min(n, capacity);
                    frame.set(captured, n, timestamp());
                    return (int) captured;
                }
                if (n == -Libc.EAGAIN) {
                    if (waited) {
                        return -1;
                    }
                    await();
                    waited = true;
                } else if (n != -Libc.EINTR) {
                    throw new IOException("recvmsg on " + name + " failed: " + Libc.describe((int) -n));
                }
            }
        } finally {
            descriptor.exit();
        }
    }

    /** The lengths and flags a receive writes back, set again for the next call. */
    private void rearm() {
        header.set(ValueLayout.JAVA_INT, MessageHeader.MSG_NAMELEN, SOCKADDR_LL_SIZE);
        header.set(ValueLayout.JAVA_LONG, MessageHeader.MSG_CONTROLLEN, CONTROL_ROOM);
        header.set(ValueLayout.JAVA_INT, MessageHeader.MSG_FLAGS, 0);
    }

    /** The {@code SCM_TIMESTAMPNS} control message's time in nanoseconds, or 0 without one. */
    private long timestamp() {
        long at = MessageHeader.controlData(control, header.get(ValueLayout.JAVA_LONG, MessageHeader.MSG_CONTROLLEN),
                LinuxSocket.SOL_SOCKET, SCM_TIMESTAMPNS, 16);
        return at < 0 ? 0 : control.get(ValueLayout.JAVA_LONG, at) * 1_000_000_000L + control.get(ValueLayout.JAVA_LONG, at + 8);
    }

    /** Waits in poll(2) until a frame is queued, the eventfd fires or the timeout passes; throws once closing. */
    private void await() throws IOException {
        int ready;
        try {
            ready = (int) Libc.POLL.invokeExact(state, pollSet, 2L, POLL_MILLIS);
        } catch (Throwable t) {
            throw new IOException("poll failed: " + t, t);
        }
        if (ready < 0 && Libc.errno(state) != Libc.EINTR) {
            throw new IOException("poll on " + name + " failed: " + Libc.describe(Libc.errno(state)));
        }
        if (descriptor.isClosing()) {
            throw new ClosedChannelException();
        }
    }

    /**
     * The capture loop: receives frame after frame into {@code buffer} (from its start, up to its
     * size) and hands each to {@code handler}, until the handler returns false or the capture is
     * closed (from another thread, such as a shutdown hook on Ctrl-C), which ends the loop normally.
     *
     * @param buffer native memory each frame is received into, as much of it as fits
     * @param handler takes each frame; returns false to stop
     * @return the frames handed over
     * @throws IllegalArgumentException for heap memory
     * @throws IOException if a kernel call fails or the handler throws
     */
    public long run(MemorySegment buffer, FrameHandler handler) throws IOException {
        long frames = 0;
        try {
            while (true) {
                if (receive(buffer, 0, buffer.byteSize(), true, runFrame) >= 0) {
                    frames++;
                    if (!handler.frame(buffer, runFrame)) {
                        return frames;
                    }
                }
            }
        } catch (ClosedChannelException e) {
            return frames;
        }
    }

    /**
     * The kernel's counters for this socket so far; after {@link #close()}, their final values.
     *
     * @return the frames that passed the filter and those dropped, since the capture opened
     * @throws IOException if {@code getsockopt} fails
     */
    public Statistics statistics() throws IOException {
        int fd;
        try {
            fd = descriptor.enter();
        } catch (ClosedChannelException e) {
            synchronized (this) {
                return new Statistics(packets, drops);
            }
        }
        try {
            return readStatistics(fd);
        } finally {
            descriptor.exit();
        }
    }

    /** Adds the kernel's counts since the last read (it resets them on read) to the totals. */
    private synchronized Statistics readStatistics(int fd) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment callState = Libc.callState(arena);
            MemorySegment stats = arena.allocate(TPACKET_STATS_SIZE, 4);
            MemorySegment length = arena.allocateFrom(ValueLayout.JAVA_INT, (int) TPACKET_STATS_SIZE);
            if ((int) GETSOCKOPT.invokeExact(callState, fd, SOL_PACKET, PACKET_STATISTICS, stats, length) < 0) {
                throw new IOException("PACKET_STATISTICS failed: " + Libc.describe(Libc.errno(callState)));
            }
            packets += Integer.toUnsignedLong(stats.get(ValueLayout.JAVA_INT, 0));
            drops += Integer.toUnsignedLong(stats.get(ValueLayout.JAVA_INT, 4));
            return new Statistics(packets, drops);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("getsockopt failed: " + t, t);
        }
    }

    /**
     * The interface's name.
     *
     * @return the name given to {@link #open}
     */
    public String interfaceName() {
        return name;
    }

    /**
     * The interface's index.
     *
     * @return what {@code if_nametoindex} gave for the name when the capture opened
     */
    public int interfaceIndex() {
        return index;
    }

    /**
     * Whether the capture is open.
     *
     * @return false once {@link #close()} has been called
     */
    public boolean isOpen() {
        return !descriptor.isClosing();
    }

    /**
     * Closes the capture: a receive waiting in another thread ends with
     * {@link ClosedChannelException} at once (and {@link #run} returns); the kernel's counters are
     * read a last time and the descriptor released when the last call inside has left, which this
     * method waits for (up to two seconds). Idempotent.
     */
    @Override
    public void close() {
        descriptor.close();
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("PacketCapture[").append(name).append(", UDP to");
        for (int port : ports) {
            s.append(' ').append(port);
        }
        return s.append(']').toString();
    }
}
