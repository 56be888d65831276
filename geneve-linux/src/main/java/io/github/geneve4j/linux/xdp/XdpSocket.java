package io.github.geneve4j.linux.xdp;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * An XDP socket ({@code AF_XDP}) on one RX queue of the device an {@link XdpProgram} is attached
 * to: the frames the program redirects arrive in a UMEM of ours without passing the kernel's
 * network stack, and replies leave from the same UMEM frames
 * ({@code Documentation/networking/af_xdp.rst}).
 *
 * <p>Made of: the socket; the UMEM, page-aligned native memory cut in equal frames
 * ({@code XDP_UMEM_REG}); the fill ring (frames we lend the kernel to receive into), the RX ring
 * (frames it filled), the TX ring (frames to send) and the completion ring (frames it has sent),
 * each mapped with {@code mmap} and driven by an {@link XdpRing}. Bound with
 * {@code XDP_USE_NEED_WAKEUP}: the kernel is woken ({@code sendto} for TX, {@code poll} for RX) only
 * when a ring's flag asks for it, so a busy worker makes no system call per packet. Copy mode
 * ({@code XDP_COPY}) unless zero-copy was asked for and the driver has it ({@link #zeroCopy()}).
 *
 * <pre>{@code
 * try (XdpSocket socket = XdpSocket.open(program, 0, XdpSocket.Options.DEFAULT)) {
 *     XdpFrames frames = new XdpFrames(64);
 *     int n = socket.receive(frames, 100); // frames.umem(), frames.offset(i), frames.reply(i, length)
 *     socket.transmit(frames);
 * }
 * }</pre>
 *
 * <p>One worker thread receives and transmits; nothing is allocated per frame or per batch. Needs
 * {@code CAP_NET_RAW} (root) and, for the UMEM, {@code RLIMIT_MEMLOCK} above its size or
 * {@code CAP_IPC_LOCK}. {@link #close()} may come from any thread: a call inside finishes first (a
 * receive waits at most its timeout), and the socket, rings and UMEM are released once, after it.
 */
public final class XdpSocket implements AutoCloseable {

    /**
     * The socket's sizes.
     *
     * @param frames UMEM frames, at least {@code 2 * ringSize} so that the fill ring can be full while
     *        replies are in flight
     * @param frameSize bytes per frame: 2048 or 4096 (a frame holds one packet, after the kernel's 256
     *        bytes of headroom)
     * @param ringSize entries in each of the four rings, a power of two, 64..16384
     * @param tryZeroCopy bind with {@code XDP_ZEROCOPY} first, and in copy mode if the driver refuses
     */
    public record Options(int frames, int frameSize, int ringSize, boolean tryZeroCopy) {

        /** 4096 frames of 2048 bytes (8 MiB of UMEM), rings of 2048, copy mode. */
        public static final Options DEFAULT = new Options(4096, 2048, 2048, false);

        /**
         * Checks the sizes.
         *
         * @throws IllegalArgumentException for sizes the kernel would refuse or that cannot keep the rings fed
         */
        public Options {
            if (frameSize != 2048 && frameSize != 4096) {
                throw new IllegalArgumentException("found frames of " + frameSize + " bytes (expected: 2048 or 4096)");
            }
            if (ringSize < 64 || ringSize > 16384 || Integer.bitCount(ringSize) != 1) {
                throw new IllegalArgumentException("found rings of " + ringSize + " (expected: a power of two, 64..16384)");
            }
            if (frames < 2 * ringSize || (long) frames * frameSize > 1L << 30) {
                throw new IllegalArgumentException("found " + frames + " frames of " + frameSize + " bytes (expected: at least "
                        + 2 * ringSize + ", at most 1 GiB)");
            }
        }
    }

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;

    private static final int XDP_MMAP_OFFSETS = 1;
    private static final int XDP_RX_RING = 2;
    private static final int XDP_TX_RING = 3;
    private static final int XDP_UMEM_REG = 4;
    private static final int XDP_UMEM_FILL_RING = 5;
    private static final int XDP_UMEM_COMPLETION_RING = 6;
    private static final int XDP_STATISTICS = 7;
    private static final int XDP_OPTIONS = 8;
    private static final int XDP_OPTIONS_ZEROCOPY = 1;

    private static final short XDP_COPY = 1 << 1;
    private static final short XDP_ZEROCOPY = 1 << 2;
    private static final short XDP_USE_NEED_WAKEUP = 1 << 3;

    private static final long XDP_PGOFF_RX_RING = 0;
    private static final long XDP_PGOFF_TX_RING = 0x80000000L;
    private static final long XDP_UMEM_PGOFF_FILL_RING = 0x100000000L;
    private static final long XDP_UMEM_PGOFF_COMPLETION_RING = 0x180000000L;

    /** {@code struct xdp_desc}: addr (u64), len (u32), options (u32). */
    private static final int DESCRIPTOR = 16;
    private static final int ADDRESS = 8;

    private static final int CLOSING = 1 << 30;
    private static final long CLOSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final int fd;
    private final Arena arena;
    private final MemorySegment umem;
    private final int frameSize;
    private final long chunkMask;
    private final XdpRing fill;
    private final XdpRing rx;
    private final XdpRing tx;
    private final XdpRing completion;
    private final boolean zeroCopy;
    private final MemorySegment pollfd;
    /** UMEM frames (chunk addresses) that are ours and idle: not lent to the kernel, not in a batch. */
    private final long[] free;
    private int freeCount;
    private long txRingFullDrops;
    /** The {@link #CLOSING} bit and the number of calls inside. */
    private final AtomicInteger state = new AtomicInteger();
    private volatile boolean released;

    private XdpSocket(int fd, Arena arena, MemorySegment umem, Options options, XdpRing fill, XdpRing rx, XdpRing tx,
            XdpRing completion, boolean zeroCopy) {
        this.fd = fd;
        this.arena = arena;
        this.umem = umem;
        this.frameSize = options.frameSize();
        this.chunkMask = ~(long) (options.frameSize() - 1);
        this.fill = fill;
        this.rx = rx;
        this.tx = tx;
        this.completion = completion;
        this.zeroCopy = zeroCopy;
        this.pollfd = arena.allocate(8, 8);
        pollfd.set(INT, 0, fd);
        pollfd.set(ValueLayout.JAVA_SHORT, 4, XdpCalls.POLLIN);
        this.free = new long[options.frames()];
        for (int i = options.frames() - 1; i >= 0; i--) {
            free[freeCount++] = (long) i * frameSize;
        }
        refill();
    }

    /**
     * Opens an XDP socket on RX queue {@code queue} of the device {@code program} is attached to and
     * puts it in the program's map, so that the frames the program steers on that queue come here.
     *
     * @param program the attached program
     * @param queue the RX queue, {@code 0 <= queue < program.queues()}
     * @param options the sizes
     * @return the socket, receiving
     * @throws XdpException naming what is missing: {@code AF_XDP} in the kernel, {@code CAP_NET_RAW},
     *         memory for the UMEM ({@code RLIMIT_MEMLOCK}, {@code CAP_IPC_LOCK}), a queue the device
     *         does not have or that has a socket already
     */
    public static XdpSocket open(XdpProgram program, int queue, Options options) throws XdpException {
        if (queue < 0 || queue >= program.queues()) {
            throw new IllegalArgumentException("found queue " + queue + " (expected: 0.." + (program.queues() - 1) + ")");
        }
        XdpSocket socket;
        if (options.tryZeroCopy()) {
            try {
                socket = open(program.interfaceIndex(), queue, options, true);
            } catch (XdpException refused) {
                if (refused.errno() != XdpCalls.EOPNOTSUPP && refused.errno() != XdpCalls.ENOTSUPP
                        && refused.errno() != XdpCalls.EINVAL) {
                    throw refused;
                }
                socket = open(program.interfaceIndex(), queue, options, false);
            }
        } else {
            socket = open(program.interfaceIndex(), queue, options, false);
        }
        try {
            program.register(queue, socket.fd);
        } catch (XdpException | RuntimeException e) {
            socket.close();
            throw e;
        }
        return socket;
    }

    private static XdpSocket open(int ifindex, int queue, Options options, boolean zeroCopy) throws XdpException {
        Arena arena = Arena.ofShared();
        int fd = -1;
        try {
            MemorySegment state = XdpCalls.callState(arena);
            fd = (int) XdpCalls.SOCKET.invokeExact(state, XdpCalls.AF_XDP, XdpCalls.SOCK_RAW | XdpCalls.SOCK_CLOEXEC, 0);
            if (fd < 0) {
                int errno = XdpCalls.errno(state);
                throw new XdpException("socket(AF_XDP) failed: " + XdpCalls.describe(errno) + switch (errno) {
                    case XdpCalls.EAFNOSUPPORT -> " — this kernel has no XDP sockets (CONFIG_XDP_SOCKETS)";
                    case XdpCalls.EPERM -> " — needs CAP_NET_RAW (root)";
                    default -> "";
                }, errno);
            }
            long umemSize = (long) options.frames() * options.frameSize();
            MemorySegment umem = map(arena, state, umemSize, XdpCalls.PROT_READ | XdpCalls.PROT_WRITE,
                    XdpCalls.MAP_PRIVATE | XdpCalls.MAP_ANONYMOUS | XdpCalls.MAP_POPULATE, -1, 0, "the UMEM");
            MemorySegment reg = arena.allocate(32, 8); // struct xdp_umem_reg
            reg.set(LONG, 0, umem.address());
            reg.set(LONG, 8, umemSize);
            reg.set(INT, 16, options.frameSize()); // chunk_size
            reg.set(INT, 20, 0); // headroom beyond the kernel's XDP_PACKET_HEADROOM
            setOption(state, fd, XDP_UMEM_REG, reg, "XDP_UMEM_REG (" + umemSize + " bytes)");
            MemorySegment size = arena.allocateFrom(INT, options.ringSize());
            setOption(state, fd, XDP_UMEM_FILL_RING, size, "XDP_UMEM_FILL_RING");
            setOption(state, fd, XDP_UMEM_COMPLETION_RING, size, "XDP_UMEM_COMPLETION_RING");
            setOption(state, fd, XDP_RX_RING, size, "XDP_RX_RING");
            setOption(state, fd, XDP_TX_RING, size, "XDP_TX_RING");
            // struct xdp_mmap_offsets: rx, tx, fr, cr, each {producer, consumer, desc, flags} as u64
            MemorySegment offsets = getOption(arena, state, fd, XDP_MMAP_OFFSETS, 128, "XDP_MMAP_OFFSETS");
            int n = options.ringSize();
            XdpRing rx = ring(arena, state, fd, offsets, 0, XDP_PGOFF_RX_RING, DESCRIPTOR, n, "the RX ring");
            XdpRing tx = ring(arena, state, fd, offsets, 32, XDP_PGOFF_TX_RING, DESCRIPTOR, n, "the TX ring");
            XdpRing fill = ring(arena, state, fd, offsets, 64, XDP_UMEM_PGOFF_FILL_RING, ADDRESS, n, "the fill ring");
            XdpRing completion = ring(arena, state, fd, offsets, 96, XDP_UMEM_PGOFF_COMPLETION_RING, ADDRESS, n,
                    "the completion ring");
            MemorySegment address = arena.allocate(16, 8); // struct sockaddr_xdp
            address.set(ValueLayout.JAVA_SHORT, 0, (short) XdpCalls.AF_XDP);
            address.set(ValueLayout.JAVA_SHORT, 2, (short) (XDP_USE_NEED_WAKEUP | (zeroCopy ? XDP_ZEROCOPY : XDP_COPY)));
            address.set(INT, 4, ifindex);
            address.set(INT, 8, queue);
            int bound = (int) XdpCalls.BIND.invokeExact(state, fd, address, 16);
            if (bound != 0) {
                int errno = XdpCalls.errno(state);
                throw new XdpException("bind of the XDP socket to ifindex " + ifindex + " queue " + queue
                        + (zeroCopy ? " in zero-copy mode" : " in copy mode") + " failed: " + XdpCalls.describe(errno)
                        + switch (errno) {
                            case XdpCalls.EBUSY -> " — the queue has an XDP socket already";
                            case XdpCalls.EINVAL -> " — the device has no such queue";
                            case XdpCalls.EOPNOTSUPP -> " — the driver has no zero-copy";
                            case XdpCalls.ENODEV -> " — no such device in this network namespace";
                            default -> "";
                        }, errno);
            }
            MemorySegment got = getOption(arena, state, fd, XDP_OPTIONS, 4, "XDP_OPTIONS");
            boolean isZeroCopy = (got.get(INT, 0) & XDP_OPTIONS_ZEROCOPY) != 0;
            return new XdpSocket(fd, arena, umem, options, fill, rx, tx, completion, isZeroCopy);
        } catch (XdpException | RuntimeException | Error e) {
            XdpCalls.closeQuietly(fd);
            arena.close(); // unmaps what was mapped
            throw e;
        } catch (Throwable t) {
            XdpCalls.closeQuietly(fd);
            arena.close();
            throw XdpCalls.rethrow(t);
        }
    }

    private static MemorySegment map(Arena arena, MemorySegment state, long length, int protection, int flags, int fd,
            long offset, String what) throws Throwable {
        long address = (long) XdpCalls.MMAP.invokeExact(state, 0L, length, protection, flags, fd, offset);
        if (address == XdpCalls.MAP_FAILED) {
            int errno = XdpCalls.errno(state);
            throw new XdpException("mmap of " + what + " (" + length + " bytes) failed: " + XdpCalls.describe(errno)
                    + (errno == XdpCalls.ENOMEM || errno == XdpCalls.EAGAIN ? " — not enough memory (RLIMIT_MEMLOCK?)" : ""),
                    errno);
        }
        // unmapped when the arena closes: a worker touching a frame after close gets an exception, not a crash
        return MemorySegment.ofAddress(address).reinterpret(length, arena, ignored -> XdpCalls.unmapQuietly(address, length));
    }

    private static XdpRing ring(Arena arena, MemorySegment state, int fd, MemorySegment offsets, long at, long pageOffset,
            int entrySize, int entries, String what) throws Throwable {
        long producer = offsets.get(LONG, at);
        long consumer = offsets.get(LONG, at + 8);
        long descriptors = offsets.get(LONG, at + 16);
        long flags = offsets.get(LONG, at + 24);
        MemorySegment memory = map(arena, state, descriptors + (long) entrySize * entries,
                XdpCalls.PROT_READ | XdpCalls.PROT_WRITE, XdpCalls.MAP_SHARED | XdpCalls.MAP_POPULATE, fd, pageOffset, what);
        return new XdpRing(memory, producer, consumer, flags, descriptors, entrySize, entries);
    }

    private static void setOption(MemorySegment state, int fd, int option, MemorySegment value, String what)
            throws Throwable {
        int result = (int) XdpCalls.SETSOCKOPT.invokeExact(state, fd, XdpCalls.SOL_XDP, option, value, (int) value.byteSize());
        if (result != 0) {
            int errno = XdpCalls.errno(state);
            throw new XdpException("setsockopt " + what + " failed: " + XdpCalls.describe(errno) + switch (errno) {
                case XdpCalls.ENOBUFS, XdpCalls.ENOMEM, XdpCalls.EPERM -> option == XDP_UMEM_REG
                        ? " — the UMEM exceeds RLIMIT_MEMLOCK (raise ulimit -l, or grant CAP_IPC_LOCK)" : "";
                default -> "";
            }, errno);
        }
    }

    private static MemorySegment getOption(Arena arena, MemorySegment state, int fd, int option, int length, String what)
            throws Throwable {
        MemorySegment value = arena.allocate(length, 8);
        MemorySegment optionLength = arena.allocateFrom(INT, length);
        int result = (int) XdpCalls.GETSOCKOPT.invokeExact(state, fd, XdpCalls.SOL_XDP, option, value, optionLength);
        if (result != 0) {
            int errno = XdpCalls.errno(state);
            throw new XdpException("getsockopt " + what + " failed: " + XdpCalls.describe(errno), errno);
        }
        return value;
    }

    /**
     * Receives up to {@code frames.capacity()} frames into {@code frames}, waiting up to
     * {@code timeoutMillis} when none is there. Frames the batch still held from the last receive
     * (not transmitted) go back to the kernel first.
     *
     * @param frames the batch to fill
     * @param timeoutMillis how long to wait for the first frame: 0 not at all, at most 60,000
     * @return how many frames the batch now holds, 0 when none came in time
     * @throws ClosedChannelException once closed
     * @throws IllegalArgumentException for a timeout outside 0..60,000
     */
    public int receive(XdpFrames frames, int timeoutMillis) throws IOException {
        if (timeoutMillis < 0 || timeoutMillis > 60_000) {
            throw new IllegalArgumentException("found a timeout of " + timeoutMillis + " ms (expected: 0..60000)");
        }
        enter();
        try {
            recycle(frames);
            frames.start(umem, frameSize);
            reapCompletions();
            refill();
            int n = rx.peek(frames.capacity());
            if (n == 0 && (timeoutMillis > 0 || fill.needsWakeup())) {
                // poll waits, and wakes a driver that set the fill ring's need-wakeup flag (zero-copy
                // drivers stop receiving until then); a busy worker (timeout 0) polls only when asked
                int ignored = (int) XdpCalls.POLL.invokeExact(pollfd.address(), 1L, timeoutMillis);
                n = rx.peek(frames.capacity());
            }
            MemorySegment ring = rx.memory();
            for (int i = 0; i < n; i++) {
                long at = rx.readOffset(i);
                frames.add(ring.get(LONG, at), ring.get(INT, at + 8));
            }
            rx.release(n);
            return n;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw XdpCalls.rethrow(t);
        } finally {
            exit();
        }
    }

    /**
     * Transmits the frames of {@code frames} marked with {@link XdpFrames#reply(int, int)}, from
     * where they are in the UMEM, and gives every other frame back to the kernel to receive into.
     * Wakes the kernel only when the TX ring asks for it. When the TX ring has no room even after
     * a wake-up, the replies that do not fit are dropped and counted
     * ({@link XdpStatistics#txRingFullDrops()}).
     *
     * @param frames the batch; empty afterwards
     * @return how many replies were queued for transmission
     * @throws ClosedChannelException once closed
     */
    public int transmit(XdpFrames frames) throws IOException {
        enter();
        try {
            int replies = 0;
            for (int i = 0; i < frames.size(); i++) {
                if (frames.replyLength(i) >= 0) {
                    replies++;
                }
            }
            int room = tx.reserve(replies);
            if (room < replies) {
                kick();
                reapCompletions();
                room = tx.reserve(replies);
            }
            int queued = 0;
            MemorySegment ring = tx.memory();
            for (int i = 0; i < frames.size(); i++) {
                int length = frames.replyLength(i);
                if (length >= 0 && queued < room) {
                    long at = tx.writeOffset(queued++);
                    ring.set(LONG, at, frames.address(i));
                    ring.set(INT, at + 8, length);
                    ring.set(INT, at + 12, 0);
                } else {
                    if (length >= 0) {
                        txRingFullDrops++;
                    }
                    giveBack(frames.address(i));
                }
            }
            frames.clear();
            if (queued > 0) {
                tx.submit(queued);
                flush();
            }
            reapCompletions();
            refill();
            return queued;
        } finally {
            exit();
        }
    }

    /**
     * Wakes the kernel until it has taken the TX ring's entries: in copy mode one {@code sendto}
     * sends at most 32 frames (the kernel's default TX budget per call), so a batch of 64 needs
     * two. Bounded: a device that takes nothing (queue full, link down) costs a few calls, never a
     * hang.
     */
    private void flush() {
        int wakes = tx.size() / 32 + 2;
        while (tx.needsWakeup() && wakes-- > 0) {
            kick();
            if (tx.reserve(tx.size()) == tx.size()) {
                return; // the kernel consumed everything we produced
            }
        }
    }

    private void kick() {
        try {
            // EAGAIN, EBUSY, ENOBUFS, ENETDOWN all mean "try again later", as libbpf's kick_tx treats them
            long ignored = (long) XdpCalls.SENDTO.invokeExact(fd, 0L, 0L, XdpCalls.MSG_DONTWAIT, 0L, 0);
        } catch (Throwable t) {
            throw XdpCalls.rethrow(t);
        }
    }

    private void recycle(XdpFrames frames) {
        for (int i = 0; i < frames.size(); i++) {
            giveBack(frames.address(i));
        }
        frames.clear();
    }

    private void giveBack(long address) {
        if (freeCount < free.length) {
            free[freeCount++] = address & chunkMask;
        }
    }

    private void reapCompletions() {
        int n = completion.peek(completion.size());
        MemorySegment ring = completion.memory();
        for (int i = 0; i < n; i++) {
            giveBack(ring.get(LONG, completion.readOffset(i)));
        }
        completion.release(n);
    }

    private void refill() {
        int n = fill.reserve(freeCount);
        MemorySegment ring = fill.memory();
        for (int i = 0; i < n; i++) {
            ring.set(LONG, fill.writeOffset(i), free[--freeCount]);
        }
        if (n > 0) {
            fill.submit(n);
        }
    }

    /** The UMEM, for a batch I/O whose slots lie in it (valid until {@link #close()}). */
    MemorySegment umem() {
        return umem;
    }

    /**
     * Whether the socket was bound in zero-copy mode (the driver DMAs into the UMEM) rather than
     * copy mode (the kernel copies each frame; veth has only this).
     *
     * @return true for zero-copy
     */
    public boolean zeroCopy() {
        return zeroCopy;
    }

    /**
     * The kernel's counters for this socket and the replies dropped on a full TX ring.
     *
     * @return the counters now
     * @throws XdpException if the kernel refuses {@code XDP_STATISTICS}
     * @throws ClosedChannelException once closed
     */
    public XdpStatistics statistics() throws IOException {
        enter();
        try (Arena local = Arena.ofConfined()) {
            MemorySegment state = XdpCalls.callState(local);
            MemorySegment s = getOption(local, state, fd, XDP_STATISTICS, 48, "XDP_STATISTICS");
            return new XdpStatistics(s.get(LONG, 0), s.get(LONG, 8), s.get(LONG, 16), s.get(LONG, 24), s.get(LONG, 32),
                    s.get(LONG, 40), txRingFullDrops);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw XdpCalls.rethrow(t);
        } finally {
            exit();
        }
    }

    private void enter() throws ClosedChannelException {
        while (true) {
            int s = state.get();
            if ((s & CLOSING) != 0) {
                throw new ClosedChannelException();
            }
            if (state.compareAndSet(s, s + 1)) {
                return;
            }
        }
    }

    private void exit() {
        if (state.decrementAndGet() == CLOSING) {
            release();
        }
    }

    /**
     * Closes the socket (which takes it out of the program's map), unmaps the rings and frees the
     * UMEM; idempotent. A receive or transmit inside on another thread finishes first (up to its
     * timeout; this waits up to two seconds for it); the last one out releases everything.
     */
    @Override
    public void close() {
        while (true) {
            int s = state.get();
            if ((s & CLOSING) != 0) {
                break;
            }
            if (state.compareAndSet(s, s | CLOSING)) {
                if (s == 0) {
                    release();
                }
                break;
            }
        }
        long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
        while (!released && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
    }

    private void release() {
        try {
            XdpCalls.closeQuietly(fd);
            arena.close();
        } finally {
            released = true;
        }
    }

    @Override
    public String toString() {
        return "XdpSocket[fd " + fd + ", " + (zeroCopy ? "zero-copy" : "copy") + " mode, " + free.length + " frames of "
                + frameSize + " bytes]";
    }
}
