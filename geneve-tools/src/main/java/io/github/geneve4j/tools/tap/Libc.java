package io.github.geneve4j.tools.tap;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The libc functions the TAP device and the UDP socket call through {@code java.lang.foreign}, each
 * capturing {@code errno}; x86-64 and aarch64 Linux layouts.
 */
final class Libc {

    static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final Linker.Option ERRNO_OPTION = Linker.Option.captureCallState("errno");
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout ADDRESS = ValueLayout.ADDRESS;

    static final int EINTR = 4;
    static final int EAGAIN = 11;

    static final MethodHandle OPEN = handle("open", FunctionDescriptor.of(INT, ADDRESS, INT), ERRNO_OPTION);
    static final MethodHandle IOCTL_POINTER = handle("ioctl", FunctionDescriptor.of(INT, INT, LONG, ADDRESS),
            ERRNO_OPTION, Linker.Option.firstVariadicArg(2));
    static final MethodHandle IOCTL_VALUE = handle("ioctl", FunctionDescriptor.of(INT, INT, LONG, LONG),
            ERRNO_OPTION, Linker.Option.firstVariadicArg(2));
    static final MethodHandle READ = handle("read", FunctionDescriptor.of(LONG, INT, ADDRESS, LONG), ERRNO_OPTION);
    static final MethodHandle WRITE = handle("write", FunctionDescriptor.of(LONG, INT, ADDRESS, LONG), ERRNO_OPTION);
    static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(INT, INT));
    static final MethodHandle SOCKET = handle("socket", FunctionDescriptor.of(INT, INT, INT, INT), ERRNO_OPTION);
    static final MethodHandle SETSOCKOPT = handle("setsockopt", FunctionDescriptor.of(INT, INT, INT, INT, ADDRESS, INT),
            ERRNO_OPTION);
    static final MethodHandle BIND = handle("bind", FunctionDescriptor.of(INT, INT, ADDRESS, INT), ERRNO_OPTION);
    static final MethodHandle GETSOCKNAME = handle("getsockname", FunctionDescriptor.of(INT, INT, ADDRESS, ADDRESS),
            ERRNO_OPTION);
    static final MethodHandle SENDMSG = handle("sendmsg", FunctionDescriptor.of(LONG, INT, ADDRESS, INT), ERRNO_OPTION);
    static final MethodHandle RECVMSG = handle("recvmsg", FunctionDescriptor.of(LONG, INT, ADDRESS, INT), ERRNO_OPTION);
    private static final MethodHandle STRERROR = handle("strerror", FunctionDescriptor.of(ADDRESS, INT));

    private Libc() {
    }

    private static MethodHandle handle(String function, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = LIBC.find(function)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + function));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /** A call-state buffer for one thread's calls. */
    static MemorySegment callState(Arena arena) {
        return arena.allocate(CALL_STATE);
    }

    static int errno(MemorySegment callState) {
        return (int) ERRNO.get(callState, 0L);
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
}
