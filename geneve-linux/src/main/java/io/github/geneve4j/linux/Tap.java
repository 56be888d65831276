package io.github.geneve4j.linux;

import io.github.geneve4j.endpoint.spi.FrameDevice;
import io.github.geneve4j.endpoint.spi.FrameOffload;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;

/**
 * A Linux TAP device as a {@link FrameDevice}, opened through {@code java.lang.foreign} downcalls
 * to libc; no JNI, no native library of ours.
 *
 * <pre>{@code
 * try (Tap tap = Tap.open("geneve0", true)) {   // then: ip link set geneve0 up
 *     GeneveEndpoint.builder().device(tap)...
 * }
 * }</pre>
 *
 * <p>Every frame crosses the device behind a 10-byte virtio-net header ({@code IFF_VNET_HDR}), which
 * this class reads into and writes from the caller's {@link FrameOffload}: it lies in the
 * {@link #headroom()} in front of the frame's offset, so header and frame move in one {@code read(2)}
 * or {@code write(2)} with no copy. With offloads on ({@code TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6})
 * the kernel hands over TCP super-frames of up to 64 KiB with partial checksums, as to a NIC with TSO;
 * frames written may be coalesced TCP frames, which the kernel accepts whatever the offload flags.
 *
 * <p>Threads: one reads and one writes at a time (as {@link FrameDevice} says); neither allocates
 * per frame. The descriptor is non-blocking; a read with nothing queued waits in {@code poll(2)} on
 * the device and an {@code eventfd} that {@link #close()} signals, so a waiting read ends at once
 * with {@link ClosedChannelException}. The descriptor is closed by the last call to leave, never
 * under a call still inside it (see {@code close}). Signals ({@code EINTR}) are retried.
 *
 * <p>Needs root or {@code CAP_NET_ADMIN}, {@code /dev/net/tun}, and native access for this module:
 * {@code --enable-native-access=io.github.geneve4j.linux} on the module path, or
 * {@code --enable-native-access=ALL-UNNAMED} on the class path (or {@code Enable-Native-Access:
 * ALL-UNNAMED} in an executable jar's manifest). Without it JDK 22+ prints a warning on first use,
 * and later JDKs will refuse.
 *
 * <p>Facts from {@code linux/if_tun.h}: {@code TUNSETIFF = _IOW('T', 202, int)},
 * {@code TUNSETOFFLOAD = _IOW('T', 208, unsigned int)}, {@code TUNSETVNETHDRSZ = _IOW('T', 216, int)};
 * flags {@code IFF_TAP 0x0002}, {@code IFF_NO_PI 0x1000}, {@code IFF_VNET_HDR 0x4000}, {@code IFF_MULTI_QUEUE 0x0100}.
 * {@code struct ifreq} is 40 bytes: the name in the first 16, the flags as a short at offset 16.
 */
public final class Tap implements FrameDevice {

    /** Offload flag: the kernel may hand over frames with a partial checksum ({@code NEEDS_CSUM}). */
    public static final int TUN_F_CSUM = 0x01;
    /** Offload flag: the kernel may hand over TCP over IPv4 super-frames (needs {@link #TUN_F_CSUM}). */
    public static final int TUN_F_TSO4 = 0x02;
    /** Offload flag: the kernel may hand over TCP over IPv6 super-frames (needs {@link #TUN_F_CSUM}). */
    public static final int TUN_F_TSO6 = 0x04;
    /** Offload flag: the kernel may set ECN on super-frames ({@code GSO_ECN}; with TSO4 or TSO6). */
    public static final int TUN_F_TSO_ECN = 0x08;

    static final long TUNSETIFF = 0x400454caL;
    static final long TUNSETOFFLOAD = 0x400454d0L;
    static final long TUNSETVNETHDRSZ = 0x400454d8L;
    static final short IFF_TUN = 0x0001;
    static final short IFF_TAP = 0x0002;
    static final short IFF_NO_PI = 0x1000;
    static final short IFF_VNET_HDR = 0x4000;
    static final short IFF_MULTI_QUEUE = 0x0100;
    /** The kernel's limit on a TAP's queues ({@code MAX_TAP_QUEUES}, 256 since Linux 4.x). */
    public static final int MAX_QUEUES = 256;
    private static final int IFNAMSIZ = 16;
    private static final int IFREQ_SIZE = 40;
    private static final int EFD_NONBLOCK = Libc.O_NONBLOCK;
    private static final int EFD_CLOEXEC = Libc.O_CLOEXEC;
    private static final int KNOWN_OFFLOADS = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
    /** poll(2) timeout: a bound on a read's wait should the eventfd wake-up ever be lost. */
    private static final int POLL_MILLIS = 500;

    private final String name;
    private final boolean tun;
    private final int fd;
    private final int wakeFd;
    private final int offloadFlags;
    private final boolean multiQueue;
    private final Descriptor descriptor;
    // one set of native call structures per direction: one thread reads, one writes, never sharing them
    private final MemorySegment readState;
    private final MemorySegment readPoll;
    private final MemorySegment writeState;
    private final MemorySegment writePoll;

    private Tap(String name, boolean tun, int fd, int wakeFd, int offloadFlags, boolean multiQueue) {
        this.name = name;
        this.multiQueue = multiQueue;
        this.tun = tun;
        this.fd = fd;
        this.wakeFd = wakeFd;
        this.offloadFlags = offloadFlags;
        Arena arena = Arena.ofAuto();
        this.readState = Libc.callState(arena);
        this.writeState = Libc.callState(arena);
        // two pollfds each: the device, then the eventfd that close() signals
        this.readPoll = pollSet(arena, fd, Libc.POLLIN, wakeFd);
        this.writePoll = pollSet(arena, fd, Libc.POLLOUT, wakeFd);
        MemorySegment one = arena.allocate(ValueLayout.JAVA_LONG);
        one.set(ValueLayout.JAVA_LONG, 0, 1L);
        long oneAddress = one.address();
        this.descriptor = new Descriptor(fd, () -> signal(wakeFd, oneAddress, one), () -> {
            Libc.closeQuietly(fd);
            Libc.closeQuietly(wakeFd);
        });
    }

    private static MemorySegment pollSet(Arena arena, int fd, short events, int wakeFd) {
        MemorySegment set = arena.allocate(2 * Libc.POLLFD_SIZE, 8);
        set.set(ValueLayout.JAVA_INT, 0, fd);
        set.set(ValueLayout.JAVA_SHORT, Libc.POLLFD_EVENTS, events);
        set.set(ValueLayout.JAVA_INT, Libc.POLLFD_SIZE, wakeFd);
        set.set(ValueLayout.JAVA_SHORT, Libc.POLLFD_SIZE + Libc.POLLFD_EVENTS, Libc.POLLIN);
        return set;
    }

    private static void signal(int wakeFd, long address, MemorySegment keepAlive) {
        try {
            long ignored = (long) Libc.WRITE.invokeExact(wakeFd, address, 8L);
        } catch (Throwable ignored) {
            // best effort: the poll timeout bounds the wait anyway
        }
        java.lang.ref.Reference.reachabilityFence(keepAlive);
    }

    /**
     * Opens (creating if needed) TAP device {@code name}, with offloads ({@code TUN_F_CSUM |
     * TUN_F_TSO4 | TUN_F_TSO6}: super-frames and partial checksums) or without (plain frames with
     * complete checksums). The device is down until someone brings it up ({@code ip link set
     * NAME up}); it disappears when this object is closed, unless it was made persistent.
     *
     * @throws IOException with one clear line, e.g. without root or {@code /dev/net/tun}
     */
    public static Tap open(String name, boolean offloads) throws IOException {
        return open(name, offloads ? TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 : 0);
    }

    /**
     * Opens (creating if needed) TAP device {@code name} with the given offload flags
     * ({@link #TUN_F_CSUM}, {@link #TUN_F_TSO4}, {@link #TUN_F_TSO6}, {@link #TUN_F_TSO_ECN}; 0 for none).
     *
     * @throws IllegalArgumentException for a name that is not 1 to 15 ASCII characters, or unknown flags
     * @throws IOException with one clear line, e.g. without root or {@code /dev/net/tun}
     */
    public static Tap open(String name, int offloadFlags) throws IOException {
        return open(name, offloadFlags, false, false);
    }

    /**
     * Opens (creating if needed) multi-queue TAP device {@code name} ({@code IFF_MULTI_QUEUE}) with
     * {@code queues} queues, one {@code Tap} each, all with the same offload flags: each queue takes
     * and gives frames on its own descriptor, so one reader and one writer per queue run side by side.
     * The kernel spreads the frames it sends to the device over the queues by flow (a flow's hash,
     * and once a frame of that flow has been written to a queue, that queue), so one flow stays in one
     * queue. The device goes away when the last queue is closed. What
     * {@code GeneveEndpoint.Builder.devices} takes to run several worker pairs.
     *
     * <pre>{@code
     * List<Tap> queues = Tap.openQueues("geneve0", Tap.TUN_F_CSUM | Tap.TUN_F_TSO4 | Tap.TUN_F_TSO6, 2);
     * }</pre>
     *
     * @throws IllegalArgumentException for a bad name or flags, or {@code queues} outside 1..{@link #MAX_QUEUES}
     * @throws IOException with one clear line (e.g. {@code EINVAL} when {@code name} exists as a
     *     single-queue device); the queues opened before the failure are closed
     */
    public static java.util.List<Tap> openQueues(String name, int offloadFlags, int queues) throws IOException {
        if (queues < 1 || queues > MAX_QUEUES) {
            throw new IllegalArgumentException("found " + queues + " queues (expected: 1.." + MAX_QUEUES + ")");
        }
        java.util.List<Tap> opened = new java.util.ArrayList<>(queues);
        try {
            for (int i = 0; i < queues; i++) {
                opened.add(open(name, offloadFlags, false, true));
            }
            return java.util.List.copyOf(opened);
        } catch (IOException | RuntimeException e) {
            opened.forEach(Tap::close);
            throw e;
        }
    }

    /**
     * Opens (creating if needed) TUN device {@code name}: a layer-3 device whose "frames" are bare IPv4
     * or IPv6 packets, no Ethernet header, without offloads (complete checksums, one packet per read
     * and write). What a GWLB appliance hands packets to the kernel through, as {@code gwlbtun} does.
     * The same {@link FrameDevice} calls as a TAP; the device is down until brought up.
     *
     * @throws IllegalArgumentException for a name that is not 1 to 15 ASCII characters
     * @throws IOException with one clear line, e.g. without root or {@code /dev/net/tun}
     */
    public static Tap openTun(String name) throws IOException {
        return open(name, 0, true, false);
    }

    private static Tap open(String name, int offloadFlags, boolean tun, boolean multiQueue) throws IOException {
        if (name == null || name.isEmpty() || name.length() >= IFNAMSIZ
                || !StandardCharsets.US_ASCII.newEncoder().canEncode(name) || name.indexOf('/') >= 0) {
            throw new IllegalArgumentException("found TAP name " + (name == null ? null : "'" + name + "'")
                    + " (expected: 1 to 15 ASCII characters, no '/')");
        }
        if ((offloadFlags & ~KNOWN_OFFLOADS) != 0) {
            throw new IllegalArgumentException("found offload flags 0x" + Integer.toHexString(offloadFlags)
                    + " (expected: TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6, TUN_F_TSO_ECN)");
        }
        byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(arena);
            int fd = (int) Libc.OPEN.invokeExact(state, arena.allocateFrom("/dev/net/tun"),
                    Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC);
            if (fd < 0) {
                throw new IOException("cannot open /dev/net/tun: " + Libc.describe(Libc.errno(state))
                        + " (a TAP device needs root, or CAP_NET_ADMIN, and the tun module)");
            }
            int wakeFd = -1;
            try {
                MemorySegment ifreq = arena.allocate(IFREQ_SIZE);
                MemorySegment.copy(nameBytes, 0, ifreq, ValueLayout.JAVA_BYTE, 0, nameBytes.length);
                ifreq.set(ValueLayout.JAVA_SHORT, IFNAMSIZ, (short) ((tun ? IFF_TUN : IFF_TAP) | IFF_NO_PI | IFF_VNET_HDR
                        | (multiQueue ? IFF_MULTI_QUEUE : 0)));
                check((int) Libc.IOCTL_POINTER.invokeExact(state, fd, TUNSETIFF, ifreq), state, "TUNSETIFF " + name);
                MemorySegment size = arena.allocateFrom(ValueLayout.JAVA_INT, VirtioNetHeader.LENGTH);
                check((int) Libc.IOCTL_POINTER.invokeExact(state, fd, TUNSETVNETHDRSZ, size), state, "TUNSETVNETHDRSZ");
                check((int) Libc.IOCTL_VALUE.invokeExact(state, fd, TUNSETOFFLOAD, (long) offloadFlags), state,
                        "TUNSETOFFLOAD 0x" + Integer.toHexString(offloadFlags));
                wakeFd = (int) Libc.EVENTFD.invokeExact(state, 0, EFD_NONBLOCK | EFD_CLOEXEC);
                check(wakeFd, state, "eventfd");
                return new Tap(name, tun, fd, wakeFd, offloadFlags, multiQueue);
            } catch (Throwable t) {
                Libc.closeQuietly(fd);
                if (wakeFd >= 0) {
                    Libc.closeQuietly(wakeFd);
                }
                throw t;
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("native call failed: " + t, t);
        }
    }

    private static void check(int result, MemorySegment state, String what) throws IOException {
        if (result < 0) {
            throw new IOException(what + " failed: " + Libc.describe(Libc.errno(state)));
        }
    }

    /** The interface name, as given to {@link #open}. */
    @Override
    public String name() {
        return name;
    }

    /** The 10 bytes of the virtio-net header, which every read and write puts before the frame's offset. */
    @Override
    public int headroom() {
        return VirtioNetHeader.LENGTH;
    }

    /** Whether the device was opened with any offload flag: then reads may carry partial checksums or super-frames. */
    @Override
    public boolean offloads() {
        return offloadFlags != 0;
    }

    /** Whether this is one queue of a multi-queue device ({@link #openQueues}). */
    public boolean multiQueue() {
        return multiQueue;
    }

    /** The {@code TUN_F_*} flags the device was opened with. */
    public int offloadFlags() {
        return offloadFlags;
    }

    /**
     * Reads one frame: its virtio-net header into the {@link #headroom()} bytes before {@code offset},
     * translated into {@code offload}, and the frame at {@code offset}; blocks until one arrives.
     * {@code capacity} should cover the largest frame: MTU + 14 (+ 4 for a VLAN tag) plain, 65,549
     * with offloads. When the buffer has a byte to spare after {@code capacity}, a longer frame is
     * reported as an error; otherwise the kernel cuts it silently.
     *
     * @param buffer native memory, with 10 bytes before {@code offset}; it must stay alive during the call
     * @throws IllegalArgumentException for heap memory or bounds outside {@code buffer}
     * @throws ClosedChannelException once the device is closed, also when closed during the wait
     * @return the frame's length, or -1 for a frame not handed over whole: longer than {@code capacity}
     *     (cut short), or a read shorter than the virtio-net header (never seen from Linux)
     * @throws IOException if the read fails
     */
    @Override
    public int read(MemorySegment buffer, long offset, long capacity, FrameOffload offload) throws IOException {
        Libc.checkNative(buffer, offset, capacity, VirtioNetHeader.LENGTH);
        // ask for one byte more than allowed where there is room: a frame that fills it was too long
        long room = Math.min(capacity + 1, buffer.byteSize() - offset);
        long start = offset - VirtioNetHeader.LENGTH;
        long address = buffer.address() + start;
        int fd = descriptor.enter();
        long n;
        try {
            while (true) {
                n = (long) Libc.READ.invokeExact(fd, address, room + VirtioNetHeader.LENGTH);
                if (n < 0) { // again, to learn why (see Libc): EAGAIN mostly, or a frame that came meanwhile
                    n = (long) Libc.READ_ERRNO.invokeExact(readState, fd, address, room + VirtioNetHeader.LENGTH);
                }
                if (n >= 0) {
                    break;
                }
                int errno = Libc.errno(readState);
                if (errno == Libc.EAGAIN) {
                    await(readPoll);
                } else if (errno != Libc.EINTR) {
                    throw new IOException("read from " + name + " failed: " + Libc.describe(errno));
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("read from " + name + " failed: " + t, t);
        } finally {
            descriptor.exit();
        }
        long frame = n - VirtioNetHeader.LENGTH;
        if (n < VirtioNetHeader.LENGTH || frame > capacity) {
            return -1; // not handed over whole: the engine counts it, at no cost (no exception, no string)
        }
        VirtioNetHeader.read(buffer, start, offload);
        return (int) frame;
    }

    /**
     * Writes one frame of {@code length} bytes at {@code offset}, behind a virtio-net header built
     * from {@code offload} in the 10 bytes before {@code offset}, in one {@code write(2)}.
     *
     * @param buffer native memory, with 10 bytes before {@code offset} that this call overwrites
     * @throws IllegalArgumentException for heap memory, bounds outside {@code buffer}, or
     *     {@link FrameOffload.Gso#OTHER}
     * @throws ClosedChannelException once the device is closed
     * @throws IOException if the kernel refuses the frame (the device is down: {@code EIO}; a bad header:
     *     {@code EINVAL})
     */
    @Override
    public void write(MemorySegment buffer, long offset, long length, FrameOffload offload) throws IOException {
        Libc.checkNative(buffer, offset, length, VirtioNetHeader.LENGTH);
        long start = offset - VirtioNetHeader.LENGTH;
        VirtioNetHeader.write(buffer, start, offload);
        long address = buffer.address() + start;
        long total = length + VirtioNetHeader.LENGTH;
        int fd = descriptor.enter();
        long n;
        try {
            while (true) {
                n = (long) Libc.WRITE.invokeExact(fd, address, total);
                if (n < 0) { // again, to learn why (see Libc); a failed write wrote nothing
                    n = (long) Libc.WRITE_ERRNO.invokeExact(writeState, fd, address, total);
                }
                if (n >= 0) {
                    break;
                }
                int errno = Libc.errno(writeState);
                if (errno == Libc.EAGAIN) {
                    await(writePoll); // the device's send buffer is full: wait for room, as a blocking write would
                } else if (errno != Libc.EINTR) {
                    throw new IOException("write of " + length + " bytes to " + name + " failed: " + Libc.describe(errno));
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("write to " + name + " failed: " + t, t);
        } finally {
            descriptor.exit();
        }
        if (n != total) {
            throw new IOException("write to " + name + " was short: " + n + " of " + total + " bytes");
        }
    }

    /** Waits in poll(2) until the device is ready, the eventfd fires or the timeout passes; throws once closing. */
    private void await(MemorySegment pollSet) throws Throwable {
        MemorySegment state = pollSet == readPoll ? readState : writeState;
        int ready = (int) Libc.POLL.invokeExact(state, pollSet, 2L, POLL_MILLIS);
        if (ready < 0 && Libc.errno(state) != Libc.EINTR) {
            throw new IOException("poll on " + name + " failed: " + Libc.describe(Libc.errno(state)));
        }
        if (descriptor.isClosing()) {
            throw new ClosedChannelException();
        }
    }

    @Override
    public boolean isOpen() {
        return !descriptor.isClosing();
    }

    /**
     * Closes the device: a read waiting in another thread ends with {@link ClosedChannelException}
     * at once; the descriptor (and with it the interface, unless persistent) is released when the last
     * call inside has left, which this method waits for (up to two seconds). Idempotent.
     */
    @Override
    public void close() {
        descriptor.close();
    }

    @Override
    public String toString() {
        return (tun ? "Tun[" : "Tap[") + name + (multiQueue ? ", a queue" : "") + (offloadFlags != 0 ? ", offloads 0x" + Integer.toHexString(offloadFlags) : "") + "]";
    }
}
