package io.github.geneve4j.linux;

import io.github.geneve4j.endpoint.spi.GatherList;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;

/**
 * The sending half of a {@link UdpSocket}: its descriptor, its own message header and {@code errno}
 * capture, and runs of datagrams of one size cut by the kernel ({@code UDP_SEGMENT}) or, where the
 * kernel refuses that, sent one per call. One sending thread at a time.
 */
final class SegmentedSender {

    /** Outcomes of one sendmsg besides the bytes sent. */
    private static final long FULL = -1;
    private static final long REFUSED = -2;

    private final Descriptor descriptor;
    private final int family;
    private final MemorySegment state;
    private final MessageHeader message;
    private InetSocketAddress lastTo;
    private volatile boolean segmentation = true;
    private int lastCalls; // written and read by the sending thread

    SegmentedSender(Descriptor descriptor, int family, Arena arena) {
        this.descriptor = descriptor;
        this.family = family;
        this.state = Libc.callState(arena);
        this.message = MessageHeader.single(arena, 0);
    }

    /** Whether UDP_SEGMENT is still used; false once the kernel refused it. */
    boolean segmentation() {
        return segmentation;
    }

    /** The system calls the last run made (one per batch with UDP_SEGMENT). */
    int lastCalls() {
        return lastCalls;
    }

    /** Sends one datagram of {@code length} bytes at native {@code address}; false if the send buffer is full. */
    boolean send(long address, long length, InetSocketAddress to) throws IOException {
        int fd = descriptor.enter();
        try {
            destination(to);
            message.send(address, length, 0);
            return sendmsg(fd, length, 0) != FULL;
        } finally {
            descriptor.exit();
        }
    }

    /**
     * Sends {@code count} datagrams of {@code size} bytes (the last {@code lastLength}) to {@code to}:
     * back to back from native address {@code base} when {@code list} is null, else from the list's
     * pieces. With UDP segmentation one {@code sendmsg} per {@link UdpSocket#MAX_SEGMENTS} datagrams or
     * 65,000 bytes; where the kernel refuses it, that batch and all from then on one per call. A full
     * send buffer ends the run. Counts the calls in {@link #lastCalls()}.
     *
     * @return the number of datagrams sent
     */
    int sendRun(GatherList list, long base, int count, long lastLength, int size, InetSocketAddress to)
            throws IOException {
        int fd = descriptor.enter();
        int calls = 0;
        int sent = 0;
        try {
            destination(to);
            int perCall = Math.max(1, Math.min(UdpSocket.MAX_SEGMENTS, UdpSocket.MAX_GSO_BYTES / size));
            for (int d = 0; d < count; ) {
                int n = Math.min(perCall, count - d);
                if (segmentation && n > 1) {
                    long bytes = (long) (n - 1) * size + (d + n == count ? lastLength : size);
                    long result = sendBatch(fd, list, base, size, d, n, bytes, size);
                    calls++;
                    if (result == FULL) {
                        return sent;
                    }
                    if (result != REFUSED) {
                        sent += n;
                        d += n;
                        continue;
                    }
                    segmentation = false; // and these one datagram at a time below, and all from now on
                }
                for (int end = d + n; d < end; d++) {
                    calls++;
                    if (sendBatch(fd, list, base, size, d, 1, d + 1 == count ? lastLength : size, 0) == FULL) {
                        return sent;
                    }
                    sent++;
                }
            }
            return sent;
        } finally {
            lastCalls = calls;
            descriptor.exit();
        }
    }

    /** One sendmsg of datagrams {@code d} to {@code d + n - 1} ({@code bytes} in all) of a {@link #sendRun}. */
    private long sendBatch(int fd, GatherList list, long base, int size, int d, int n, long bytes, int segmentSize)
            throws IOException {
        if (list == null) {
            message.send(base + (long) d * size, bytes, segmentSize);
        } else {
            int first = list.firstPiece(d);
            message.send(list.iovecs().address() + MessageHeader.IOVEC_SIZE * first, list.endPiece(d + n - 1) - first,
                    segmentSize);
        }
        return sendmsg(fd, bytes, segmentSize);
    }

    /** Encodes {@code to} into the send structures unless it is the same object as last time. */
    private void destination(InetSocketAddress to) {
        if (to != lastTo) {
            if (to == null || to.isUnresolved()) {
                throw new IllegalArgumentException("found destination " + to + " (expected: a resolved IP address and port)");
            }
            message.destination(to, family);
            lastTo = to;
        }
    }

    /** The prepared sendmsg of {@code length} bytes; returns the bytes sent, {@link #FULL} or, with a segment size, {@link #REFUSED}. */
    private long sendmsg(int fd, long length, int segmentSize) throws IOException {
        long n = LinuxSocket.sendmsg(fd, message.segment(), LinuxSocket.MSG_DONTWAIT, state);
        if (n >= 0) {
            return n;
        }
        int errno = (int) -n;
        if (errno == Libc.EAGAIN || errno == Libc.ENOBUFS) {
            return FULL;
        }
        if (segmentSize > 0 && (errno == Libc.EIO || errno == Libc.EINVAL || errno == Libc.ENOPROTOOPT)) {
            return REFUSED;
        }
        throw new IOException("sendmsg of " + length + " bytes to " + MessageHeader.format(lastTo) + " failed: "
                + Libc.describe(errno));
    }

    /** Closes the descriptor (once no call is inside). */
    void close() {
        descriptor.close();
    }
}
