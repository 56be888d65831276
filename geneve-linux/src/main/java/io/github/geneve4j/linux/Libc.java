package io.github.geneve4j.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The libc functions the TAP device and the raw socket call through {@code java.lang.foreign}, each
 * capturing {@code errno} (the UDP socket's are {@link LinuxSocket}'s); x86-64 and aarch64 Linux
 * layouts and numbers (both use the generic ones).
 *
 * <p>{@code read} and {@code write} take the buffer as a raw address ({@code long}), not a
 * {@code MemorySegment}: a frame lies at an offset inside the caller's buffer, and a slice per call
 * to point there is an object per frame (measured on JDK 25: {@code asSlice} passed to an
 * {@code ADDRESS} downcall costs 80 bytes per call, still after 200,000 warm-up calls; escape
 * analysis does not remove it). The callers check the bounds and that the memory is native
 * before they compute an address.
 */
final class Libc {

    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    // a plain int read at a fixed offset: a layout VarHandle taken through a generic call site boxed
    // (80 bytes per read that met EAGAIN, seen in TapTest's allocation test)
    private static final long ERRNO_OFFSET = CALL_STATE.byteOffset(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout ADDRESS = ValueLayout.ADDRESS;

    static final int EINTR = 4;
    static final int EIO = 5;
    static final int EAGAIN = 11;
    static final int EINVAL = 22;
    static final int ENOPROTOOPT = 92;
    static final int ENOBUFS = 105;

    static final int O_RDWR = 2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;

    /** {@code struct pollfd}: fd (int), events (short), revents (short). */
    static final long POLLFD_SIZE = 8;
    static final long POLLFD_EVENTS = 4;
    static final short POLLIN = 0x1;
    static final short POLLOUT = 0x4;

    static final MethodHandle OPEN = handle("open", FunctionDescriptor.of(INT, ADDRESS, INT), ERRNO_OPTION);
    static final MethodHandle IOCTL_POINTER = handle("ioctl", FunctionDescriptor.of(INT, INT, LONG, ADDRESS),
            ERRNO_OPTION, Linker.Option.firstVariadicArg(2));
    static final MethodHandle IOCTL_VALUE = handle("ioctl", FunctionDescriptor.of(INT, INT, LONG, LONG),
            ERRNO_OPTION, Linker.Option.firstVariadicArg(2));
    // The data path's calls come twice: without errno capture for the first try, and with it to
    // learn why a call failed. The linker checks a capture segment with an asSlice per call, and C2
    // does not always remove it: 40 bytes per call in about one run in four on JDK 25. A failed read,
    // write, sendmsg or recvmsg has no effect, so repeating it (non-blocking) to read errno is safe.
    /** {@code ssize_t read(int fd, void *buf, size_t count)} with {@code buf} as a raw address. */
    static final MethodHandle READ = handle("read", FunctionDescriptor.of(LONG, INT, LONG, LONG));
    static final MethodHandle READ_ERRNO = handle("read", FunctionDescriptor.of(LONG, INT, LONG, LONG), ERRNO_OPTION);
    /** {@code ssize_t write(int fd, const void *buf, size_t count)} with {@code buf} as a raw address. */
    static final MethodHandle WRITE = handle("write", FunctionDescriptor.of(LONG, INT, LONG, LONG));
    static final MethodHandle WRITE_ERRNO = handle("write", FunctionDescriptor.of(LONG, INT, LONG, LONG), ERRNO_OPTION);
    static final MethodHandle POLL = handle("poll", FunctionDescriptor.of(INT, ADDRESS, LONG, INT), ERRNO_OPTION);
    static final MethodHandle EVENTFD = handle("eventfd", FunctionDescriptor.of(INT, INT, INT), ERRNO_OPTION);
    static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(INT, INT));
    static final MethodHandle SOCKET = handle("socket", FunctionDescriptor.of(INT, INT, INT, INT), ERRNO_OPTION);
    /** {@code ssize_t sendto(int, const void *buf, size_t, int flags, const struct sockaddr *, socklen_t)}, pointers as raw addresses. */
    static final MethodHandle SENDTO = handle("sendto", FunctionDescriptor.of(LONG, INT, LONG, LONG, INT, LONG, INT));
    static final MethodHandle SENDTO_ERRNO = handle("sendto", FunctionDescriptor.of(LONG, INT, LONG, LONG, INT, LONG, INT),
            ERRNO_OPTION);
    private static final MethodHandle STRERROR = handle("strerror", FunctionDescriptor.of(ADDRESS, INT));

    private Libc() {
    }

    /** A downcall handle for libc's {@code function}, capturing {@code errno} or not. */
    static MethodHandle downcall(String function, FunctionDescriptor descriptor, boolean captureErrno) {
        return captureErrno ? handle(function, descriptor, ERRNO_OPTION) : handle(function, descriptor);
    }

    private static MethodHandle handle(String function, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = LIBC.find(function)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + function));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /** A call-state buffer (where {@code errno} is captured) for one thread's calls. */
    static MemorySegment callState(Arena arena) {
        return arena.allocate(CALL_STATE);
    }

    static int errno(MemorySegment callState) {
        return callState.get(ValueLayout.JAVA_INT, ERRNO_OFFSET);
    }

    /** strerror's text and the number, e.g. "Device or resource busy (errno 16)". */
    static String describe(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            return text.reinterpret(256).getString(0) + " (errno " + errno + ")";
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    /** Closes {@code fd}, ignoring failure: a close that fails has released the descriptor anyway on Linux. */
    static void closeQuietly(int fd) {
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable ignored) {
            // nothing to do: the descriptor is gone either way
        }
    }

    /**
     * Checks that {@code [offset - before, offset + length)} lies in native {@code buffer} before a raw
     * address into it is handed to the kernel, which no segment bounds check would stop.
     */
    static void checkNative(MemorySegment buffer, long offset, long length, int before) {
        if (!buffer.isNative()) {
            throw new IllegalArgumentException("found a heap segment (expected: native memory)");
        }
        if (offset < before || length < 0 || offset + length > buffer.byteSize()) {
            throw new IllegalArgumentException("found offset " + offset + " and length " + length + " (expected: "
                    + before + " <= offset, offset + length <= " + buffer.byteSize() + ")");
        }
    }
}
