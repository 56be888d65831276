package io.github.geneve4j.tools.tap;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;

/**
 * A UDP socket opened through {@code java.lang.foreign} ({@code socket}, {@code setsockopt},
 * {@code bind}, {@code sendmsg}, {@code recvmsg}), for what {@code DatagramChannel} cannot do: UDP
 * segmentation offload on send ({@code UDP_SEGMENT}: one {@code sendmsg} carries up to 64 datagrams
 * of one size, which the kernel, or the device, cuts apart) and UDP GRO on receive
 * ({@code UDP_GRO}: one {@code recvmsg} may return several datagrams of one size back to back, their
 * size in a control message). Both are Linux facts from {@code linux/udp.h}: {@code SOL_UDP 17},
 * {@code UDP_SEGMENT 103}, {@code UDP_GRO 104}. Where the kernel refuses {@code UDP_SEGMENT}
 * ({@code EINVAL} on a socket without UDP checksums, {@code EIO} on routes it cannot offload on some
 * kernels, {@code ENOPROTOOPT} before Linux 4.18), this socket sends one datagram per call from
 * there on.
 *
 * <p>One thread sends (through {@link #sender}) and one receives (through {@link #receiver}) at
 * a time; each owns its native structures, so neither allocates per call.
 */
final class UdpSocket implements AutoCloseable {

    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SO_SNDBUF = 7;
    static final int SO_RCVBUF = 8;
    static final int SO_RCVTIMEO = 20;
    static final int SO_NO_CHECK = 11;
    static final int SOL_UDP = 17;
    static final int UDP_SEGMENT = 103;
    static final int UDP_GRO = 104;
    static final int MSG_DONTWAIT = 0x40;
    static final int MSG_TRUNC = 0x20;
    static final int EIO = 5;
    static final int EINVAL = 22;
    static final int ENOPROTOOPT = 92;
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
    // struct cmsghdr: len (size_t), level, type (int), data aligned to 8
    private static final long CMSG_DATA = 16;
    private static final long CMSG_SPACE_U16 = 24; // CMSG_SPACE(sizeof(uint16_t))
    private static final long CMSG_LEN_U16 = 18;   // CMSG_LEN(sizeof(uint16_t))
    private static final ValueLayout.OfShort U16_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final int fd;
    private final int family;
    private final boolean gro;
    private volatile boolean closed;

    private UdpSocket(int fd, int family, boolean gro) {
        this.fd = fd;
        this.family = family;
        this.gro = gro;
    }

    /**
     * Opens a UDP socket bound to {@code local}, asking for {@code buffer} bytes of send and receive
     * buffer (the kernel caps them at {@code net.core.wmem_max}/{@code rmem_max}), with UDP GRO on
     * where the kernel has it. A waiting receive gives up after half a second, so that a closed
     * socket is noticed.
     *
     * @throws IOException with one line naming the call that failed
     */
    static UdpSocket open(InetSocketAddress local, int buffer) throws IOException {
        int family = local.getAddress() instanceof Inet6Address ? AF_INET6 : AF_INET;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(arena);
            int fd = (int) Libc.SOCKET.invokeExact(state, family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                throw new IOException("socket failed: " + Libc.describe(Libc.errno(state)));
            }
            UdpSocket socket = null;
            try {
                setInt(arena, state, fd, SOL_SOCKET, SO_SNDBUF, buffer, "SO_SNDBUF");
                setInt(arena, state, fd, SOL_SOCKET, SO_RCVBUF, buffer, "SO_RCVBUF");
                MemorySegment timeout = arena.allocate(16, 8); // struct timeval: 0 s, 500000 µs
                timeout.set(ValueLayout.JAVA_LONG, 8, 500_000L);
                check((int) Libc.SETSOCKOPT.invokeExact(state, fd, SOL_SOCKET, SO_RCVTIMEO, timeout, 16), state,
                        "SO_RCVTIMEO");
                MemorySegment one = arena.allocateFrom(ValueLayout.JAVA_INT, 1);
                boolean gro = (int) Libc.SETSOCKOPT.invokeExact(state, fd, SOL_UDP, UDP_GRO, one, 4) == 0;
                MemorySegment address = arena.allocate(28, 8);
                int length = sockaddr(address, local);
                check((int) Libc.BIND.invokeExact(state, fd, address, length), state, "bind " + local);
                socket = new UdpSocket(fd, family, gro);
                return socket;
            } finally {
                if (socket == null) {
                    int ignored = (int) Libc.CLOSE.invokeExact(fd);
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("native call failed: " + t, t);
        }
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

    /** Writes {@code struct sockaddr_in} or {@code sockaddr_in6}; returns its length. */
    static int sockaddr(MemorySegment at, InetSocketAddress address) {
        at.fill((byte) 0);
        byte[] ip = address.getAddress().getAddress();
        at.set(U16_BE, 2, (short) address.getPort());
        if (address.getAddress() instanceof Inet4Address) {
            at.set(ValueLayout.JAVA_SHORT, 0, (short) AF_INET);
            MemorySegment.copy(ip, 0, at, ValueLayout.JAVA_BYTE, 4, 4);
            return 16;
        }
        at.set(ValueLayout.JAVA_SHORT, 0, (short) AF_INET6);
        MemorySegment.copy(ip, 0, at, ValueLayout.JAVA_BYTE, 8, 16);
        at.set(ValueLayout.JAVA_INT, 24, ((Inet6Address) address.getAddress()).getScopeId());
        return 28;
    }

    /** Sends UDP without checksums ({@code SO_NO_CHECK}, IPv4): the kernel then refuses UDP_SEGMENT. For tests. */
    void disableChecksums() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(arena);
            setInt(arena, state, fd, SOL_SOCKET, SO_NO_CHECK, 1, "SO_NO_CHECK");
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("native call failed: " + t, t);
        }
    }

    /** The local port the socket is bound to (as the kernel chose it for port 0). */
    int localPort() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(arena);
            MemorySegment address = arena.allocate(28, 8);
            MemorySegment length = arena.allocateFrom(ValueLayout.JAVA_INT, 28);
            check((int) Libc.GETSOCKNAME.invokeExact(state, fd, address, length), state, "getsockname");
            return address.get(U16_BE, 2) & 0xFFFF;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("native call failed: " + t, t);
        }
    }

    /** Whether the kernel took UDP_GRO: receives may then return several datagrams at once. */
    boolean gro() {
        return gro;
    }

    boolean isOpen() {
        return !closed;
    }

    /** The sending side, for one thread, with its destination fixed. */
    Sender sender(InetSocketAddress to) {
        if ((to.getAddress() instanceof Inet6Address) != (family == AF_INET6)) {
            throw new IllegalArgumentException(to + " is not of the socket's IP version");
        }
        return new Sender(to);
    }

    /** The receiving side, for one thread. */
    Receiver receiver() {
        return new Receiver();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            try {
                int ignored = (int) Libc.CLOSE.invokeExact(fd);
            } catch (Throwable ignored) {
                // closing is best effort
            }
        }
    }

    /** Sends datagrams to one destination; not thread-safe. */
    final class Sender {
        private final MemorySegment state;
        private final MemorySegment message;
        private final MemorySegment iov;
        private final MemorySegment control;
        private final MemorySegment address;
        private final int addressLength;
        private boolean segmentation = true;

        private Sender(InetSocketAddress to) {
            Arena arena = Arena.ofAuto();
            this.state = Libc.callState(arena);
            this.message = arena.allocate(MSGHDR_SIZE, 8);
            this.iov = arena.allocate(16, 8);
            this.control = arena.allocate(CMSG_SPACE_U16, 8);
            this.address = arena.allocate(28, 8);
            this.addressLength = sockaddr(address, to);
            control.set(ValueLayout.JAVA_LONG, 0, CMSG_LEN_U16);
            control.set(ValueLayout.JAVA_INT, 8, SOL_UDP);
            control.set(ValueLayout.JAVA_INT, 12, UDP_SEGMENT);
        }

        /** Whether sends of several datagrams at once still go out as one call (false once the kernel refused). */
        boolean segmentation() {
            return segmentation;
        }

        /** Sends one datagram of {@code length} bytes at {@code offset} of native {@code buffer}. */
        void send(MemorySegment buffer, long offset, long length) throws IOException {
            sendmsg(buffer, offset, length, 0);
        }

        /**
         * Sends the datagrams of {@code size} bytes each (the last may be shorter) that lie back to back
         * in {@code length} bytes at {@code offset}: one {@code sendmsg} per {@link #MAX_SEGMENTS}
         * datagrams or {@link #MAX_GSO_BYTES} bytes with UDP segmentation, else one per datagram.
         *
         * @return the number of {@code sendmsg} calls made
         */
        int sendSegments(MemorySegment buffer, long offset, long length, int size) throws IOException {
            int calls = 0;
            long end = offset + length;
            int perCall = Math.max(1, Math.min(MAX_SEGMENTS, MAX_GSO_BYTES / size));
            long at = offset;
            while (at < end) {
                long chunk = Math.min((long) perCall * size, end - at);
                if (segmentation && chunk > size) {
                    try {
                        sendmsg(buffer, at, chunk, size);
                        calls++;
                        at += chunk;
                        continue;
                    } catch (SegmentationRefused refused) {
                        segmentation = false; // and send this chunk one datagram at a time below
                    }
                }
                for (long d = at; d < at + chunk; d += size) {
                    sendmsg(buffer, d, Math.min(size, at + chunk - d), 0);
                    calls++;
                }
                at += chunk;
            }
            return calls;
        }

        private void sendmsg(MemorySegment buffer, long offset, long length, int segmentSize) throws IOException {
            iov.set(ValueLayout.ADDRESS, 0, buffer.asSlice(offset, length));
            iov.set(ValueLayout.JAVA_LONG, 8, length);
            message.set(ValueLayout.ADDRESS, MSG_NAME, address);
            message.set(ValueLayout.JAVA_INT, MSG_NAMELEN, addressLength);
            message.set(ValueLayout.ADDRESS, MSG_IOV, iov);
            message.set(ValueLayout.JAVA_LONG, MSG_IOVLEN, 1);
            if (segmentSize > 0) {
                control.set(ValueLayout.JAVA_SHORT, CMSG_DATA, (short) segmentSize);
                message.set(ValueLayout.ADDRESS, MSG_CONTROL, control);
                message.set(ValueLayout.JAVA_LONG, MSG_CONTROLLEN, CMSG_SPACE_U16);
            } else {
                message.set(ValueLayout.ADDRESS, MSG_CONTROL, MemorySegment.NULL);
                message.set(ValueLayout.JAVA_LONG, MSG_CONTROLLEN, 0);
            }
            message.set(ValueLayout.JAVA_INT, MSG_FLAGS, 0);
            while (true) {
                long n;
                try {
                    n = (long) Libc.SENDMSG.invokeExact(state, fd, message, 0);
                } catch (Throwable t) {
                    throw new IOException("sendmsg failed: " + t, t);
                }
                if (n >= 0) {
                    return;
                }
                int errno = Libc.errno(state);
                if (errno == Libc.EINTR) {
                    continue;
                }
                if (segmentSize > 0 && (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT)) {
                    throw new SegmentationRefused();
                }
                if (closed) {
                    throw new java.nio.channels.ClosedChannelException();
                }
                throw new IOException("sendmsg of " + length + " bytes failed: " + Libc.describe(errno));
            }
        }
    }

    /** The kernel would not segment: send one datagram per call. */
    private static final class SegmentationRefused extends IOException {
        SegmentationRefused() {
            super("UDP_SEGMENT refused", null);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    /** Receives datagrams; not thread-safe. */
    final class Receiver {
        private final MemorySegment state;
        private final MemorySegment message;
        private final MemorySegment iov;
        private final MemorySegment control;
        private int segmentSize;

        private Receiver() {
            Arena arena = Arena.ofAuto();
            this.state = Libc.callState(arena);
            this.message = arena.allocate(MSGHDR_SIZE, 8);
            this.iov = arena.allocate(16, 8);
            this.control = arena.allocate(64, 8);
        }

        /**
         * Receives into {@code capacity} bytes at {@code offset} of native {@code buffer}.
         *
         * @param wait whether to wait (up to half a second) for a datagram when none is queued
         * @return the bytes received, several datagrams of {@link #segmentSize()} bytes each (the last
         *     may be shorter) when the kernel coalesced them; -1 when none came
         * @throws IOException if the call fails, or a datagram did not fit
         */
        int receive(MemorySegment buffer, long offset, long capacity, boolean wait) throws IOException {
            iov.set(ValueLayout.ADDRESS, 0, buffer.asSlice(offset, capacity));
            iov.set(ValueLayout.JAVA_LONG, 8, capacity);
            while (true) {
                message.set(ValueLayout.ADDRESS, MSG_NAME, MemorySegment.NULL);
                message.set(ValueLayout.JAVA_INT, MSG_NAMELEN, 0);
                message.set(ValueLayout.ADDRESS, MSG_IOV, iov);
                message.set(ValueLayout.JAVA_LONG, MSG_IOVLEN, 1);
                message.set(ValueLayout.ADDRESS, MSG_CONTROL, control);
                message.set(ValueLayout.JAVA_LONG, MSG_CONTROLLEN, control.byteSize());
                message.set(ValueLayout.JAVA_INT, MSG_FLAGS, 0);
                long n;
                try {
                    n = (long) Libc.RECVMSG.invokeExact(state, fd, message, wait ? 0 : MSG_DONTWAIT);
                } catch (Throwable t) {
                    throw new IOException("recvmsg failed: " + t, t);
                }
                if (n < 0) {
                    int errno = Libc.errno(state);
                    if (errno == Libc.EINTR) {
                        continue;
                    }
                    if (errno == Libc.EAGAIN) {
                        return -1;
                    }
                    if (closed) {
                        throw new java.nio.channels.ClosedChannelException();
                    }
                    throw new IOException("recvmsg failed: " + Libc.describe(errno));
                }
                if ((message.get(ValueLayout.JAVA_INT, MSG_FLAGS) & MSG_TRUNC) != 0) {
                    throw new IOException("a datagram longer than " + capacity + " bytes was cut short");
                }
                segmentSize = (int) n;
                long controlLength = message.get(ValueLayout.JAVA_LONG, MSG_CONTROLLEN);
                for (long c = 0; c + CMSG_DATA <= controlLength; ) {
                    long length = control.get(ValueLayout.JAVA_LONG, c);
                    if (length < CMSG_DATA) {
                        break;
                    }
                    if (control.get(ValueLayout.JAVA_INT, c + 8) == SOL_UDP
                            && control.get(ValueLayout.JAVA_INT, c + 12) == UDP_GRO && c + CMSG_DATA + 4 <= controlLength) {
                        int size = control.get(ValueLayout.JAVA_INT, c + CMSG_DATA);
                        if (size > 0) {
                            segmentSize = size;
                        }
                    }
                    c += (length + 7) & ~7L;
                }
                return (int) n;
            }
        }

        /** The size of each datagram in the last receive (all of it when the kernel did not coalesce). */
        int segmentSize() {
            return segmentSize;
        }
    }
}
