package io.github.geneve4j.endpoint.spi;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Datagrams described as pieces of native memory, for a transport that sends them without first
 * copying them together ({@link DatagramTransport#sendGathered}): each datagram is one or more
 * pieces ({@link #add}), closed by {@link #endDatagram()}. The send path of a segmenting endpoint
 * puts each segment's headers (written apart) and its payload (where the device read it) side by
 * side here, so that the payload crosses user space in no copy at all.
 *
 * <p>The pieces are kept as a C {@code struct iovec} array ({@code void *base; size_t len}, 16 bytes
 * each on 64-bit Linux) in native memory of the list's own ({@link #iovecs()}), which a
 * {@code sendmsg(2)} takes as it is. Reused: {@link #clear()} and fill again; nothing is allocated
 * after construction. Not thread-safe: one sending thread fills and sends it.
 *
 * <pre>{@code
 * GatherList list = new GatherList(128, 64);
 * list.clear();
 * list.add(headers, 0, 62).add(frame, payloadAt, 1388).endDatagram();
 * transport.sendGathered(list, 1450, peer);
 * }</pre>
 *
 * <p>The memory a piece points at must stay alive and unchanged until the send returns.
 */
public final class GatherList {

    /** Bytes of one {@code struct iovec}: a 64-bit address and a 64-bit length. */
    public static final long IOVEC_SIZE = 16;

    private final MemorySegment iovecs;
    private final int maxPieces;
    private final int[] datagramEnds;
    private final long[] datagramLengths;
    private int pieces;
    private int datagrams;
    private long open;
    private long bytes;

    /**
     * A list with room for {@code maxPieces} pieces in {@code maxDatagrams} datagrams.
     *
     * @throws IllegalArgumentException if either is below 1, or fewer pieces than datagrams
     */
    public GatherList(int maxPieces, int maxDatagrams) {
        if (maxDatagrams < 1 || maxPieces < maxDatagrams) {
            throw new IllegalArgumentException("found room for " + maxPieces + " pieces in " + maxDatagrams
                    + " datagrams (expected: at least 1 datagram, and a piece for each)");
        }
        this.maxPieces = maxPieces;
        this.iovecs = Arena.ofAuto().allocate(IOVEC_SIZE * maxPieces, 8);
        this.datagramEnds = new int[maxDatagrams];
        this.datagramLengths = new long[maxDatagrams];
    }

    /** Empties the list; returns {@code this}. */
    public GatherList clear() {
        pieces = 0;
        datagrams = 0;
        open = 0;
        bytes = 0;
        return this;
    }

    /**
     * Adds {@code length} bytes at {@code offset} of native {@code segment} to the datagram being
     * described; returns {@code this}. An empty piece is left out.
     *
     * @throws IllegalArgumentException for heap memory or bounds outside {@code segment}
     * @throws IllegalStateException if the list is full ({@link #hasRoom})
     */
    public GatherList add(MemorySegment segment, long offset, long length) {
        if (!segment.isNative() || offset < 0 || length < 0 || offset + length > segment.byteSize()) {
            throw new IllegalArgumentException("found a piece of " + length + " bytes at " + offset + " of "
                    + (segment.isNative() ? "" : "heap ") + "memory of " + segment.byteSize()
                    + " bytes (expected: native memory, within bounds)");
        }
        if (length == 0) {
            return this;
        }
        if (pieces == maxPieces) {
            throw new IllegalStateException("found " + maxPieces + " pieces already (expected: room for one more)");
        }
        long at = IOVEC_SIZE * pieces++;
        iovecs.set(ValueLayout.JAVA_LONG, at, segment.address() + offset);
        iovecs.set(ValueLayout.JAVA_LONG, at + 8, length);
        open += length;
        return this;
    }

    /**
     * Closes the datagram being described: the pieces added since the last call make it up.
     *
     * @throws IllegalStateException if it has no bytes, or the list holds its most datagrams already
     */
    public GatherList endDatagram() {
        if (open == 0 || datagrams == datagramEnds.length) {
            throw new IllegalStateException(open == 0 ? "found an empty datagram (expected: a piece or more)"
                    : "found " + datagrams + " datagrams already (expected: room for one more)");
        }
        datagramEnds[datagrams] = pieces;
        datagramLengths[datagrams++] = open;
        bytes += open;
        open = 0;
        return this;
    }

    /** Whether {@code pieces} more pieces and one more datagram fit. */
    public boolean hasRoom(int morePieces) {
        return pieces + morePieces <= maxPieces && datagrams < datagramEnds.length;
    }

    /** The datagrams closed so far. */
    public int datagrams() {
        return datagrams;
    }

    /** The pieces of the datagrams closed so far and of the one open. */
    public int pieces() {
        return pieces;
    }

    /** The bytes of the datagrams closed so far. */
    public long bytes() {
        return bytes;
    }

    /** The index of datagram {@code d}'s first piece. */
    public int firstPiece(int d) {
        return d == 0 ? 0 : datagramEnds[d - 1];
    }

    /** The index after datagram {@code d}'s last piece. */
    public int endPiece(int d) {
        return datagramEnds[d];
    }

    /** The length of datagram {@code d}. */
    public long datagramLength(int d) {
        return datagramLengths[d];
    }

    /** The address of piece {@code i}. */
    public long address(int i) {
        return iovecs.get(ValueLayout.JAVA_LONG, IOVEC_SIZE * i);
    }

    /** The length of piece {@code i}. */
    public long length(int i) {
        return iovecs.get(ValueLayout.JAVA_LONG, IOVEC_SIZE * i + 8);
    }

    /** The pieces as a {@code struct iovec} array, piece {@code i} at {@code 16 * i}: for a {@code sendmsg(2)}. */
    public MemorySegment iovecs() {
        return iovecs;
    }
}
