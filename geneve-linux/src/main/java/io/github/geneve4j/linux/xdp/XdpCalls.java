package io.github.geneve4j.linux.xdp;

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
 * The libc functions this package calls through {@code java.lang.foreign}, each capturing
 * {@code errno} except the two on the data path ({@code sendto} to wake the kernel, {@code poll}):
 * a capture buffer costs an object per call in some runs (see {@code io.github.geneve4j.linux.Libc}),
 * and their failures ({@code EAGAIN}, {@code EBUSY}, {@code ENOBUFS}, {@code EINTR}) all mean "try
 * again with the next batch", as libbpf treats them. Linux x86-64 and aarch64 numbers.
 *
 * <p>The generic socket calls duplicate a few of {@code Libc}'s (kept apart while that class is
 * being split); {@code bpf(2)} has no libc wrapper and goes through {@code syscall(2)}.
 */
final class XdpCalls {

    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final long ERRNO_OFFSET = CALL_STATE.byteOffset(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout ADDRESS = ValueLayout.ADDRESS;

    static final int EPERM = 1;
    static final int EAGAIN = 11;
    static final int ENOMEM = 12;
    static final int EACCES = 13;
    static final int EBUSY = 16;
    static final int EEXIST = 17;
    static final int ENODEV = 19;
    static final int EINVAL = 22;
    static final int ENOSYS = 38;
    static final int EOPNOTSUPP = 95;
    /** The kernel's internal {@code ENOTSUPP}, which some drivers let out of bind in zero-copy mode. */
    static final int ENOTSUPP = 524;
    static final int EAFNOSUPPORT = 97;
    static final int ENOBUFS = 105;

    static final int AF_XDP = 44;
    static final int SOCK_RAW = 3;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_XDP = 283;
    static final int MSG_DONTWAIT = 0x40;

    static final int PROT_READ = 1;
    static final int PROT_WRITE = 2;
    static final int MAP_SHARED = 0x01;
    static final int MAP_PRIVATE = 0x02;
    static final int MAP_ANONYMOUS = 0x20;
    static final int MAP_POPULATE = 0x8000;
    static final long MAP_FAILED = -1;

    static final short POLLIN = 0x1;

    /** {@code __NR_bpf}: 321 on x86-64, 280 on aarch64 (the generic table). */
    static final long NR_BPF = switch (System.getProperty("os.arch")) {
        case "amd64", "x86_64" -> 321;
        case "aarch64", "arm64" -> 280;
        default -> -1;
    };

    /** {@code long syscall(long number, ...)}, taking {@code bpf(int cmd, union bpf_attr *attr, unsigned size)}. */
    static final MethodHandle SYSCALL_BPF = handle("syscall", FunctionDescriptor.of(LONG, LONG, LONG, ADDRESS, LONG),
            ERRNO, Linker.Option.firstVariadicArg(1));
    static final MethodHandle SOCKET = handle("socket", FunctionDescriptor.of(INT, INT, INT, INT), ERRNO);
    static final MethodHandle SETSOCKOPT = handle("setsockopt", FunctionDescriptor.of(INT, INT, INT, INT, ADDRESS, INT),
            ERRNO);
    static final MethodHandle GETSOCKOPT = handle("getsockopt",
            FunctionDescriptor.of(INT, INT, INT, INT, ADDRESS, ADDRESS), ERRNO);
    static final MethodHandle BIND = handle("bind", FunctionDescriptor.of(INT, INT, ADDRESS, INT), ERRNO);
    /** {@code void *mmap(void *, size_t, int prot, int flags, int fd, off_t)}, addresses as {@code long}. */
    static final MethodHandle MMAP = handle("mmap", FunctionDescriptor.of(LONG, LONG, LONG, INT, INT, INT, LONG), ERRNO);
    static final MethodHandle MUNMAP = handle("munmap", FunctionDescriptor.of(INT, LONG, LONG));
    static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(INT, INT));
    static final MethodHandle IF_NAMETOINDEX = handle("if_nametoindex", FunctionDescriptor.of(INT, ADDRESS), ERRNO);
    /** {@code sendto(fd, NULL, 0, MSG_DONTWAIT, NULL, 0)}: the TX wake-up; pointers as raw addresses. */
    static final MethodHandle SENDTO = handle("sendto", FunctionDescriptor.of(LONG, INT, LONG, LONG, INT, LONG, INT));
    /** {@code int poll(struct pollfd *, nfds_t, int timeout)}, the array as a raw address. */
    static final MethodHandle POLL = handle("poll", FunctionDescriptor.of(INT, LONG, LONG, INT));
    private static final MethodHandle STRERROR = handle("strerror", FunctionDescriptor.of(ADDRESS, INT));

    private XdpCalls() {
    }

    private static MethodHandle handle(String function, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = LIBC.find(function)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + function));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /** A call-state buffer where {@code errno} is captured. */
    static MemorySegment callState(Arena arena) {
        return arena.allocate(CALL_STATE);
    }

    static int errno(MemorySegment callState) {
        return callState.get(ValueLayout.JAVA_INT, ERRNO_OFFSET);
    }

    /** strerror's text and the number, e.g. "Operation not permitted (errno 1)". */
    static String describe(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            return text.reinterpret(256).getString(0) + " (errno " + errno + ")";
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    /** Closes {@code fd} if it is one, ignoring failure (the descriptor is released either way on Linux). */
    static void closeQuietly(int fd) {
        if (fd < 0) {
            return;
        }
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable ignored) {
            // nothing to do
        }
    }

    /** Unmaps {@code [address, address + length)}, ignoring failure (only a wrong range fails, and ours are the kernel's). */
    static void unmapQuietly(long address, long length) {
        try {
            int ignored = (int) MUNMAP.invokeExact(address, length);
        } catch (Throwable ignored) {
            // nothing to do
        }
    }

    /** Rethrows what a downcall threw: an unchecked throwable as is, anything else wrapped. */
    static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("native call failed: " + t, t);
    }
}
