package io.github.geneve4j.linux.xdp;

import java.lang.foreign.MemorySegment;

/**
 * A batch of received frames, still in the UMEM where the kernel wrote them, handed to a worker
 * and back: {@link XdpSocket#receive} fills it, the worker reads each frame at
 * {@link #offset(int)} of {@link #umem()}, builds its reply in place (the same bytes, or fewer, or
 * up to {@link #room(int)}) and marks it with {@link #reply(int, int)}; {@link XdpSocket#transmit}
 * then sends the replies from those same frames and gives every other frame back to the kernel for
 * the next packets. Nothing is copied in user space.
 *
 * <pre>{@code
 * XdpFrames frames = new XdpFrames(64);
 * while (running) {
 *     int n = socket.receive(frames, 100);
 *     for (int i = 0; i < n; i++) {
 *         if (answer(frames.umem(), frames.offset(i), frames.length(i))) {
 *             frames.reply(i, frames.length(i));
 *         }
 *     }
 *     socket.transmit(frames);
 * }
 * }</pre>
 *
 * <p>Preallocated, nothing allocated per frame; belongs to one worker thread.
 */
public final class XdpFrames {

    private final long[] addresses;
    private final int[] lengths;
    /** The reply length, or -1: the frame goes back to the kernel unsent. */
    private final int[] replies;
    private int size;
    private MemorySegment umem = MemorySegment.NULL;
    private long frameMask;

    /**
     * A batch of up to {@code capacity} frames.
     *
     * @param capacity the most frames one {@link XdpSocket#receive} hands over, 1..4096
     * @throws IllegalArgumentException for a capacity outside 1..4096
     */
    public XdpFrames(int capacity) {
        if (capacity < 1 || capacity > 4096) {
            throw new IllegalArgumentException("found a batch of " + capacity + " frames (expected: 1..4096)");
        }
        this.addresses = new long[capacity];
        this.lengths = new int[capacity];
        this.replies = new int[capacity];
    }

    /**
     * How many frames a batch holds at most.
     *
     * @return the capacity given at construction
     */
    public int capacity() {
        return addresses.length;
    }

    /**
     * How many frames the last receive handed over (0 after {@link XdpSocket#transmit}).
     *
     * @return the number of frames in the batch
     */
    public int size() {
        return size;
    }

    /**
     * The UMEM the frames are in: the socket's native memory, read and written in place.
     *
     * @return the UMEM, or {@link MemorySegment#NULL} before the first receive
     */
    public MemorySegment umem() {
        return umem;
    }

    /**
     * Where frame {@code i}'s first byte (its Ethernet header) is.
     *
     * @param i the frame, {@code 0 <= i < size()}
     * @return its offset in {@link #umem()}
     */
    public long offset(int i) {
        return addresses[checkIndex(i)];
    }

    /**
     * How many bytes the kernel received in frame {@code i}.
     *
     * @param i the frame, {@code 0 <= i < size()}
     * @return its length in bytes
     */
    public int length(int i) {
        return lengths[checkIndex(i)];
    }

    /**
     * How many bytes from {@link #offset(int)} to the end of the frame's UMEM chunk: the longest
     * reply built in place.
     *
     * @param i the frame, {@code 0 <= i < size()}
     * @return the room in bytes
     */
    public int room(int i) {
        long address = addresses[checkIndex(i)];
        return (int) ((address | frameMask) + 1 - address);
    }

    /**
     * Marks frame {@code i} to be transmitted as it now stands in the UMEM, {@code length} bytes
     * from {@link #offset(int)}.
     *
     * @param i the frame, {@code 0 <= i < size()}
     * @param length the reply's length, 14 (an Ethernet header) up to {@link #room(int)}
     * @throws IllegalArgumentException for a length outside that range
     */
    public void reply(int i, int length) {
        if (length < 14 || length > room(i)) {
            throw new IllegalArgumentException("found a reply of " + length + " bytes (expected: 14.." + room(i) + ")");
        }
        replies[i] = length;
    }

    /**
     * Unmarks frame {@code i}: it goes back to the kernel unsent (what every frame does unless
     * {@link #reply(int, int)} marked it).
     *
     * @param i the frame, {@code 0 <= i < size()}
     */
    public void drop(int i) {
        replies[checkIndex(i)] = -1;
    }

    // ---- the socket's side ----

    void start(MemorySegment umem, int frameSize) {
        this.umem = umem;
        this.frameMask = frameSize - 1;
        this.size = 0;
    }

    void add(long address, int length) {
        addresses[size] = address;
        lengths[size] = length;
        replies[size] = -1;
        size++;
    }

    long address(int i) {
        return addresses[i];
    }

    /** The reply length marked for frame {@code i}, or -1. */
    int replyLength(int i) {
        return replies[i];
    }

    void clear() {
        size = 0;
    }

    private int checkIndex(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("found frame " + i + " (expected: 0.." + (size - 1) + ")");
        }
        return i;
    }
}
