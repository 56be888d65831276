package io.github.geneve4j.linux;

import io.github.geneve4j.linux.ClassicBpf.Instruction;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.List;

/**
 * The socket system calls of the UDP socket, on a descriptor number, through downcall handles
 * ({@code socket} itself is {@link Libc}'s, which the raw socket shares): each checks its result and turns {@code errno} into an {@link IOException}
 * naming the call, or for {@code sendmsg} and {@code recvmsg} (the data path, which allocates
 * nothing) into a negative result the caller decides on. Numbers from {@code linux/socket.h},
 * {@code asm-generic/socket.h} and {@code linux/udp.h} (x86-64 and aarch64 share them).
 */
final class LinuxSocket {

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
    static final int SO_ATTACH_FILTER = 26;
    static final int SO_DETACH_FILTER = 27;
    static final int SO_ATTACH_REUSEPORT_CBPF = 51;
    static final int SOL_UDP = 17;
    static final int UDP_SEGMENT = 103;
    static final int UDP_GRO = 104;
    static final int MSG_CTRUNC = 0x08;
    static final int MSG_TRUNC = 0x20;
    static final int MSG_DONTWAIT = 0x40;
    static final int SHUT_RDWR = 2;
    /** {@code ENOENT}: what {@code SO_DETACH_FILTER} says when no filter is attached. */
    static final int ENOENT = 2;

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout ADDRESS = ValueLayout.ADDRESS;
    private static final MethodHandle SETSOCKOPT = Libc.downcall("setsockopt",
            FunctionDescriptor.of(INT, INT, INT, INT, ADDRESS, INT), true);
    private static final MethodHandle BIND = Libc.downcall("bind", FunctionDescriptor.of(INT, INT, ADDRESS, INT), true);
    private static final MethodHandle GETSOCKNAME = Libc.downcall("getsockname",
            FunctionDescriptor.of(INT, INT, ADDRESS, ADDRESS), true);
    private static final MethodHandle SHUTDOWN = Libc.downcall("shutdown", FunctionDescriptor.of(INT, INT, INT), false);
    // The data path's calls come twice: without errno capture for the first try, and with it to
    // learn why a call failed (see Libc: a capture segment may cost an allocation per call).
    private static final MethodHandle SENDMSG = Libc.downcall("sendmsg", FunctionDescriptor.of(LONG, INT, ADDRESS, INT),
            false);
    private static final MethodHandle SENDMSG_ERRNO = Libc.downcall("sendmsg",
            FunctionDescriptor.of(LONG, INT, ADDRESS, INT), true);
    private static final MethodHandle RECVMSG = Libc.downcall("recvmsg", FunctionDescriptor.of(LONG, INT, ADDRESS, INT),
            false);
    private static final MethodHandle RECVMSG_ERRNO = Libc.downcall("recvmsg",
            FunctionDescriptor.of(LONG, INT, ADDRESS, INT), true);

    private LinuxSocket() {
    }

    /** A bound socket: its descriptor, the port the kernel gave it, whether UDP GRO is on. */
    record Bound(int fd, int port, boolean gro) {
    }

    /**
     * A UDP socket bound to {@code local}: buffers, {@code SO_REUSEPORT}, and for a receiving one the
     * half-second receive timeout and UDP GRO (where the kernel has it). Closes it if a step fails.
     *
     * @throws BindException if the address is taken or not ours
     */
    static Bound openUdp(InetSocketAddress local, int family, int bufferBytes, boolean reusePort, boolean receiving)
            throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(arena);
            int fd = (int) Libc.SOCKET.invokeExact(state, family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            if (fd < 0) {
                throw new IOException("socket failed: " + Libc.describe(Libc.errno(state)));
            }
            try {
                if (bufferBytes > 0) {
                    setInt(fd, SOL_SOCKET, SO_SNDBUF, bufferBytes, "SO_SNDBUF");
                    setInt(fd, SOL_SOCKET, SO_RCVBUF, receiving ? bufferBytes : 4096, "SO_RCVBUF");
                }
                if (reusePort) {
                    setInt(fd, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT");
                }
                boolean gro = false;
                if (receiving) {
                    setReceiveTimeout(fd, 500_000L);
                    // GRO is optional: a kernel before 5.0 refuses it, and receives are one datagram each there
                    gro = trySetInt(fd, SOL_UDP, UDP_GRO, 1) == 0;
                }
                MemorySegment address = arena.allocate(MessageHeader.SOCKADDR_ROOM, 8);
                int length = MessageHeader.sockaddr(address, local, family);
                if ((int) BIND.invokeExact(state, fd, address, length) < 0) {
                    throw new BindException("cannot bind UDP " + MessageHeader.format(local) + ": "
                            + Libc.describe(Libc.errno(state)));
                }
                MemorySegment lengthField = arena.allocateFrom(ValueLayout.JAVA_INT, (int) MessageHeader.SOCKADDR_ROOM);
                check((int) GETSOCKNAME.invokeExact(state, fd, address, lengthField), state, "getsockname");
                return new Bound(fd, MessageHeader.port(address), gro);
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

    /** How long a waiting {@code recvmsg} waits before it fails with {@code EAGAIN} ({@code SO_RCVTIMEO}). */
    static void setReceiveTimeout(int fd, long micros) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment timeout = arena.allocate(16, 8); // struct timeval: seconds, microseconds
            timeout.set(ValueLayout.JAVA_LONG, 0, micros / 1_000_000);
            timeout.set(ValueLayout.JAVA_LONG, 8, micros % 1_000_000);
            set(fd, SOL_SOCKET, SO_RCVTIMEO, timeout, "SO_RCVTIMEO");
        }
    }

    /** {@code setsockopt} of an {@code int} option. */
    static void setInt(int fd, int level, int option, int value, String name) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            set(fd, level, option, arena.allocateFrom(ValueLayout.JAVA_INT, value), name);
        }
    }

    /** {@code setsockopt} of an {@code int} option; 0, or the {@code errno} it failed with. */
    static int trySetInt(int fd, int level, int option, int value) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(arena);
            MemorySegment v = arena.allocateFrom(ValueLayout.JAVA_INT, value);
            return (int) SETSOCKOPT.invokeExact(state, fd, level, option, v, (int) v.byteSize()) < 0
                    ? Libc.errno(state) : 0;
        } catch (Throwable t) {
            throw new IOException("setsockopt failed: " + t, t);
        }
    }

    /** {@code setsockopt} of the bytes of {@code value}. */
    private static void set(int fd, int level, int option, MemorySegment value, String name) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(arena);
            check((int) SETSOCKOPT.invokeExact(state, fd, level, option, value, (int) value.byteSize()), state, name);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(name + " failed: " + t, t);
        }
    }

    /**
     * Attaches a classic BPF program ({@code struct sock_fprog} of {@code struct sock_filter}) with
     * {@code option}: {@code SO_ATTACH_FILTER} (replacing the socket's filter) or
     * {@code SO_ATTACH_REUSEPORT_CBPF}.
     */
    static void attach(int fd, int option, List<Instruction> program, String name) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment filter = arena.allocate(8L * program.size(), 8);
            for (int i = 0; i < program.size(); i++) {
                Instruction insn = program.get(i);
                filter.set(ValueLayout.JAVA_SHORT, 8L * i, (short) insn.code());
                filter.set(ValueLayout.JAVA_BYTE, 8L * i + 2, (byte) insn.jt());
                filter.set(ValueLayout.JAVA_BYTE, 8L * i + 3, (byte) insn.jf());
                filter.set(ValueLayout.JAVA_INT, 8L * i + 4, insn.k());
            }
            MemorySegment fprog = arena.allocate(16, 8); // struct sock_fprog: len (u16), then the pointer
            fprog.set(ValueLayout.JAVA_SHORT, 0, (short) program.size());
            fprog.set(ValueLayout.ADDRESS, 8, filter);
            set(fd, SOL_SOCKET, option, fprog, name);
        }
    }

    /** Detaches the socket's filter ({@code SO_DETACH_FILTER}); false if it had none. */
    static boolean detachFilter(int fd) throws IOException {
        int errno = trySetInt(fd, SOL_SOCKET, SO_DETACH_FILTER, 0);
        if (errno != 0 && errno != ENOENT) {
            throw new IOException("SO_DETACH_FILTER failed: " + Libc.describe(errno));
        }
        return errno == 0;
    }

    /** Wakes a {@code recvmsg} waiting on {@code fd} (best effort; the receive timeout bounds the wait anyway). */
    static void shutdown(int fd) {
        try {
            // on an unbound-to-a-peer UDP socket shutdown "fails" with ENOTCONN yet marks the socket shut and
            // wakes a waiting recvmsg, which then returns 0 at once (Linux inet_shutdown)
            int ignored = (int) SHUTDOWN.invokeExact(fd, SHUT_RDWR);
        } catch (Throwable ignored) {
            // best effort
        }
    }

    /**
     * One {@code sendmsg}, again after {@code EINTR}: the bytes sent, or {@code -errno}. The first
     * try captures no {@code errno} (see {@link Libc}); a failed one is repeated with the capture in
     * {@code state} to learn why, which is safe because a failed send sent nothing.
     */
    static long sendmsg(int fd, MemorySegment message, int flags, MemorySegment state) throws IOException {
        try {
            while (true) {
                long n = (long) SENDMSG.invokeExact(fd, message, flags);
                if (n >= 0) {
                    return n;
                }
                n = (long) SENDMSG_ERRNO.invokeExact(state, fd, message, flags);
                if (n >= 0) {
                    return n;
                }
                int errno = Libc.errno(state);
                if (errno != Libc.EINTR) {
                    return -errno;
                }
            }
        } catch (Throwable t) {
            throw new IOException("sendmsg failed: " + t, t);
        }
    }

    /** One {@code recvmsg} without {@code errno}: the bytes received, or -1. */
    static long recvmsg(int fd, MemorySegment message, int flags) throws IOException {
        try {
            return (long) RECVMSG.invokeExact(fd, message, flags);
        } catch (Throwable t) {
            throw new IOException("recvmsg failed: " + t, t);
        }
    }

    /** One {@code recvmsg} capturing {@code errno} in {@code state}: the bytes received, or {@code -errno}. */
    static long recvmsg(int fd, MemorySegment message, int flags, MemorySegment state) throws IOException {
        try {
            long n = (long) RECVMSG_ERRNO.invokeExact(state, fd, message, flags);
            return n >= 0 ? n : -Libc.errno(state);
        } catch (Throwable t) {
            throw new IOException("recvmsg failed: " + t, t);
        }
    }

    private static void check(int result, MemorySegment state, String what) throws IOException {
        if (result < 0) {
            throw new IOException(what + " failed: " + Libc.describe(Libc.errno(state)));
        }
    }
}
