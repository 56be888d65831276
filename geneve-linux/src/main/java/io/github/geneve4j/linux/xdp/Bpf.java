package io.github.geneve4j.linux.xdp;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * The {@code bpf(2)} commands XDP needs, each filling its part of {@code union bpf_attr}
 * ({@code include/uapi/linux/bpf.h}): create a map, put a socket in it, load a program (with the
 * verifier's log when it refuses), attach it to a device with a BPF link. Every call returns a
 * file descriptor the caller closes, or throws {@link XdpException} with what is missing.
 *
 * <p>The attribute is passed as 128 zeroed bytes with the command's fields set: the kernel takes a
 * shorter {@code union bpf_attr} than its own and requires unknown bytes to be zero.
 */
final class Bpf {

    static final int BPF_MAP_CREATE = 0;
    static final int BPF_MAP_UPDATE_ELEM = 2;
    static final int BPF_PROG_LOAD = 5;
    static final int BPF_LINK_CREATE = 28;

    static final int BPF_MAP_TYPE_XSKMAP = 17;
    static final int BPF_PROG_TYPE_XDP = 6;
    /** {@code enum bpf_attach_type}'s {@code BPF_XDP}. */
    static final int BPF_XDP = 37;
    /** {@code XDP_FLAGS_SKB_MODE}: generic XDP, after the kernel built an skb (any device). */
    static final int XDP_FLAGS_SKB_MODE = 1 << 1;
    /** {@code XDP_FLAGS_DRV_MODE}: native XDP, in the driver before any skb. */
    static final int XDP_FLAGS_DRV_MODE = 1 << 2;
    static final long BPF_ANY = 0;

    /** {@code bpf_redirect_map} in {@code enum bpf_func_id}. */
    static final int FUNC_REDIRECT_MAP = 51;
    /** XDP verdicts ({@code enum xdp_action}). */
    static final int XDP_PASS = 2;
    static final int XDP_REDIRECT = 4;

    private static final long ATTR_SIZE = 128;
    private static final int LOG_SIZE = 1 << 20;
    /** The license the kernel checks for GPL-only helpers ({@code bpf_redirect_map} is not one, but honest). */
    static final String LICENSE = "Dual BSD/GPL";

    private Bpf() {
    }

    /** {@code BPF_MAP_CREATE} of an XSKMAP with {@code entries} slots: key the RX queue, value an XDP socket. */
    static int createXskMap(String name, int entries) throws XdpException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
            attr.set(ValueLayout.JAVA_INT, 0, BPF_MAP_TYPE_XSKMAP);
            attr.set(ValueLayout.JAVA_INT, 4, 4); // key_size
            attr.set(ValueLayout.JAVA_INT, 8, 4); // value_size
            attr.set(ValueLayout.JAVA_INT, 12, entries); // max_entries
            putName(attr, 28, name); // map_name[16]
            return call(arena, BPF_MAP_CREATE, attr, "BPF_MAP_CREATE (XSKMAP of " + entries + ")");
        }
    }

    /** {@code BPF_MAP_UPDATE_ELEM}: {@code map[key] = value}, both 32-bit. */
    static void updateElement(int mapFd, int key, int value) throws XdpException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
            MemorySegment k = arena.allocateFrom(ValueLayout.JAVA_INT, key);
            MemorySegment v = arena.allocateFrom(ValueLayout.JAVA_INT, value);
            attr.set(ValueLayout.JAVA_INT, 0, mapFd);
            attr.set(ValueLayout.JAVA_LONG, 8, k.address());
            attr.set(ValueLayout.JAVA_LONG, 16, v.address());
            attr.set(ValueLayout.JAVA_LONG, 24, BPF_ANY);
            call(arena, BPF_MAP_UPDATE_ELEM, attr, "BPF_MAP_UPDATE_ELEM (XDP socket for queue " + key + ")");
        }
    }

    /**
     * {@code BPF_PROG_LOAD} of an XDP program. Loaded first without a log, as libbpf does; when the
     * kernel refuses it, loaded again with a 1 MiB log so that the exception carries the verifier's
     * reasons.
     */
    static int loadXdp(String name, long[] program) throws XdpException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment code = arena.allocate(8L * program.length, 8);
            MemorySegment.copy(program, 0, code, ValueLayout.JAVA_LONG, 0, program.length);
            MemorySegment license = arena.allocateFrom(LICENSE);
            MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
            attr.set(ValueLayout.JAVA_INT, 0, BPF_PROG_TYPE_XDP);
            attr.set(ValueLayout.JAVA_INT, 4, program.length); // insn_cnt
            attr.set(ValueLayout.JAVA_LONG, 8, code.address()); // insns
            attr.set(ValueLayout.JAVA_LONG, 16, license.address());
            putName(attr, 48, name); // prog_name[16]
            attr.set(ValueLayout.JAVA_INT, 68, BPF_XDP); // expected_attach_type
            String what = "BPF_PROG_LOAD (XDP program " + name + ", " + program.length + " instructions)";
            try {
                return call(arena, BPF_PROG_LOAD, attr, what);
            } catch (XdpException refused) {
                if (refused.errno() != XdpCalls.EACCES && refused.errno() != XdpCalls.EINVAL) {
                    throw refused;
                }
                MemorySegment log = arena.allocate(LOG_SIZE);
                attr.set(ValueLayout.JAVA_INT, 24, 1); // log_level
                attr.set(ValueLayout.JAVA_INT, 28, LOG_SIZE);
                attr.set(ValueLayout.JAVA_LONG, 32, log.address());
                try {
                    return call(arena, BPF_PROG_LOAD, attr, what);
                } catch (XdpException withLog) {
                    String text = log.getString(0, StandardCharsets.UTF_8).strip();
                    throw new XdpException(withLog.getMessage() + (text.isEmpty() ? "" : ": the verifier refused it"),
                            withLog.errno(), text);
                }
            }
        }
    }

    /**
     * {@code BPF_LINK_CREATE} attaching {@code programFd} to device {@code ifindex}: the program stays
     * attached as long as the returned descriptor is open, so it goes away with the process.
     */
    static int linkXdp(int programFd, int ifindex, int flags) throws XdpException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
            attr.set(ValueLayout.JAVA_INT, 0, programFd);
            attr.set(ValueLayout.JAVA_INT, 4, ifindex); // target_ifindex
            attr.set(ValueLayout.JAVA_INT, 8, BPF_XDP); // attach_type
            attr.set(ValueLayout.JAVA_INT, 12, flags);
            String mode = (flags & XDP_FLAGS_DRV_MODE) != 0 ? "native" : (flags & XDP_FLAGS_SKB_MODE) != 0 ? "generic" : "default";
            return call(arena, BPF_LINK_CREATE, attr, "BPF_LINK_CREATE (XDP, " + mode + " mode, ifindex " + ifindex + ")");
        }
    }

    private static void putName(MemorySegment attr, long offset, String name) {
        byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
        MemorySegment.copy(bytes, 0, attr, ValueLayout.JAVA_BYTE, offset, Math.min(bytes.length, 15));
    }

    private static int call(Arena arena, int command, MemorySegment attr, String what) throws XdpException {
        if (XdpCalls.NR_BPF < 0) {
            throw new XdpException(what + " failed: no bpf(2) number known for " + System.getProperty("os.arch"),
                    XdpCalls.ENOSYS);
        }
        MemorySegment state = XdpCalls.callState(arena);
        long result;
        try {
            result = (long) XdpCalls.SYSCALL_BPF.invokeExact(state, XdpCalls.NR_BPF, (long) command, attr, ATTR_SIZE);
        } catch (Throwable t) {
            throw XdpCalls.rethrow(t);
        }
        if (result < 0) {
            int errno = XdpCalls.errno(state);
            throw new XdpException(what + " failed: " + XdpCalls.describe(errno) + hint(command, errno), errno);
        }
        return (int) result;
    }

    /** What is usually behind an error of a given command, so that the message says what to change. */
    static String hint(int command, int errno) {
        return switch (errno) {
            case XdpCalls.EPERM -> " — needs CAP_BPF and CAP_NET_ADMIN (or root); on kernels before 5.11 also"
                    + " RLIMIT_MEMLOCK (ulimit -l) large enough for the map or CAP_IPC_LOCK";
            case XdpCalls.ENOMEM -> " — the kernel could not charge the memory: raise RLIMIT_MEMLOCK (ulimit -l)"
                    + " or the cgroup's memory limit";
            case XdpCalls.ENOSYS -> " — this kernel has no bpf(2) (CONFIG_BPF_SYSCALL)";
            case XdpCalls.EOPNOTSUPP -> command == BPF_LINK_CREATE
                    ? " — the driver does not support this XDP mode (try generic)" : "";
            case XdpCalls.EBUSY, XdpCalls.EEXIST -> command == BPF_LINK_CREATE
                    ? " — another XDP program is attached to the device" : "";
            case XdpCalls.ENODEV -> " — no such device in this network namespace";
            case XdpCalls.EINVAL -> command == BPF_MAP_CREATE
                    ? " — this kernel has no XSKMAP (CONFIG_XDP_SOCKETS)"
                    : command == BPF_LINK_CREATE ? " — this kernel or device refuses XDP links (needs 5.9+)" : "";
            default -> "";
        };
    }
}
