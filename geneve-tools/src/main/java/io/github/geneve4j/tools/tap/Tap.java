package io.github.geneve4j.tools.tap;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * A Linux TAP device opened through {@code java.lang.foreign} downcalls to libc ({@code open},
 * {@code ioctl}, {@code read}, {@code write}, {@code close}); no JNI, no native library of ours.
 *
 * <p>Facts from {@code linux/if_tun.h}: {@code TUNSETIFF = _IOW('T', 202, int)},
 * {@code TUNSETOFFLOAD = _IOW('T', 208, unsigned int)}, {@code TUNSETVNETHDRSZ = _IOW('T', 216, int)};
 * flags {@code IFF_TAP 0x0002}, {@code IFF_NO_PI 0x1000}, {@code IFF_VNET_HDR 0x4000}; offloads
 * {@code TUN_F_CSUM 0x01}, {@code TUN_F_TSO4 0x02}, {@code TUN_F_TSO6 0x04}. {@code struct ifreq} is
 * 40 bytes: the name in the first 16, the flags as a short at offset 16.
 *
 * <p>Every frame read or written is preceded by a {@link VirtioNetHeader} of
 * {@link #VNET_HEADER_LENGTH} bytes.
 */
public final class Tap implements AutoCloseable {

    public static final int VNET_HEADER_LENGTH = VirtioNetHeader.LENGTH;

    static final long TUNSETIFF = 0x400454caL;
    static final long TUNSETOFFLOAD = 0x400454d0L;
    static final long TUNSETVNETHDRSZ = 0x400454d8L;
    static final short IFF_TAP = 0x0002;
    static final short IFF_NO_PI = 0x1000;
    static final short IFF_VNET_HDR = 0x4000;
    public static final int TUN_F_CSUM = 0x01;
    public static final int TUN_F_TSO4 = 0x02;
    public static final int TUN_F_TSO6 = 0x04;
    private static final int O_RDWR = 2;
    private static final int IFNAMSIZ = 16;

    private final int fd;
    private final String name;
    // per-thread call-state buffers: one reader thread and one writer thread use the device at once
    private final ThreadLocal<MemorySegment> state = ThreadLocal.withInitial(() -> Libc.callState(Arena.ofAuto()));
    private volatile boolean closed;

    private Tap(int fd, String name) {
        this.fd = fd;
        this.name = name;
    }

    /**
     * Opens (creating if needed) TAP device {@code name} with a virtio-net header on every frame and
     * the given offloads ({@code TUN_F_*}, 0 for none).
     *
     * @throws IOException with one clear line, e.g. without root or {@code /dev/net/tun}
     */
    public static Tap open(String name, int offloads) throws IOException {
        byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        if (nameBytes.length == 0 || nameBytes.length >= IFNAMSIZ) {
            throw new IOException("TAP name '" + name + "' must be 1 to 15 characters");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment callState = Libc.callState(arena);
            int fd = (int) Libc.OPEN.invokeExact(callState, arena.allocateFrom("/dev/net/tun"), O_RDWR);
            if (fd < 0) {
                throw new IOException("cannot open /dev/net/tun: " + describe(errno(callState))
                        + " (a TAP device needs root, or CAP_NET_ADMIN, and the tun module)");
            }
            Tap tap = new Tap(fd, name);
            try {
                MemorySegment ifreq = arena.allocate(40);
                MemorySegment.copy(nameBytes, 0, ifreq, ValueLayout.JAVA_BYTE, 0, nameBytes.length);
                ifreq.set(ValueLayout.JAVA_SHORT, IFNAMSIZ, (short) (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR));
                tap.check((int) Libc.IOCTL_POINTER.invokeExact(callState, fd, TUNSETIFF, ifreq), callState,
                        "TUNSETIFF " + name);
                MemorySegment size = arena.allocateFrom(ValueLayout.JAVA_INT, VNET_HEADER_LENGTH);
                tap.check((int) Libc.IOCTL_POINTER.invokeExact(callState, fd, TUNSETVNETHDRSZ, size), callState,
                        "TUNSETVNETHDRSZ");
                tap.check((int) Libc.IOCTL_VALUE.invokeExact(callState, fd, TUNSETOFFLOAD, (long) offloads), callState,
                        "TUNSETOFFLOAD");
                return tap;
            } catch (IOException | RuntimeException | Error e) {
                tap.close();
                throw e;
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("native call failed: " + t, t);
        }
    }

    private void check(int result, MemorySegment callState, String what) throws IOException {
        if (result < 0) {
            throw new IOException(what + " failed: " + describe(errno(callState)));
        }
    }

    private static int errno(MemorySegment callState) {
        return Libc.errno(callState);
    }

    static String describe(int errno) {
        return Libc.describe(errno);
    }

    public String name() {
        return name;
    }

    /**
     * Reads one frame, virtio-net header first, into {@code buffer} at {@code offset}; blocks until
     * one arrives.
     *
     * @return the bytes read (header included)
     */
    public int read(MemorySegment buffer, long offset, long capacity) throws IOException {
        MemorySegment callState = state.get();
        long n;
        try {
            n = (long) Libc.READ.invokeExact(callState, fd, buffer.asSlice(offset, capacity), capacity);
        } catch (Throwable t) {
            throw new IOException("read failed: " + t, t);
        }
        if (n < 0) {
            throw new IOException("read from " + name + " failed: " + describe(errno(callState)));
        }
        return (int) n;
    }

    /** Writes one frame, virtio-net header first, from {@code buffer[offset, offset + length)}. */
    public void write(MemorySegment buffer, long offset, long length) throws IOException {
        MemorySegment callState = state.get();
        long n;
        try {
            n = (long) Libc.WRITE.invokeExact(callState, fd, buffer.asSlice(offset, length), length);
        } catch (Throwable t) {
            throw new IOException("write failed: " + t, t);
        }
        if (n != length) {
            throw new IOException("write to " + name + " failed: "
                    + (n < 0 ? describe(errno(callState)) : "short write of " + n + " of " + length + " bytes"));
        }
    }

    public boolean isOpen() {
        return !closed;
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
}
