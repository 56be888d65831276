package io.github.geneve4j.endpoint.spi;

import io.github.geneve4j.codec.NetworkOrder;
import io.github.geneve4j.codec.net.InternetChecksum;
import io.github.geneve4j.codec.net.Ipv4View;
import io.github.geneve4j.codec.net.UdpView;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * The slots of one {@link DatagramBatchIo#receive receive}: each holds one received UDP datagram
 * (its payload) in native memory, with room in front of it for the reply's outer headers, and who
 * sent it; the reader marks the slots to {@link #reply reply} and hands the batch to
 * {@link DatagramBatchIo#sendReplies}. Made by the I/O it belongs to ({@link DatagramBatchIo#newBatch()}),
 * reused for every batch: nothing in it allocates.
 *
 * <p>Contract for readers: the bytes of a slot are {@code length(slot)} bytes at {@code offset(slot)}
 * of {@code segment(slot)}; they may be rewritten in place (not lengthened), and a reply is those bytes
 * as they stand when the batch is sent. The {@link #headroom()} bytes in front of them belong to the
 * I/O (it writes the reply's outer headers there, or finds the received frame's headers there):
 * readers never write before {@code offset(slot)}.
 *
 * <p>Contract for I/O implementations: {@link #clear()}, then {@link #add} each datagram and set its
 * {@link #source(int)}; at least {@link #headroom()} bytes before each datagram's offset must be the
 * I/O's to write by the time it sends that slot's reply. A slot whose reply could not be sent is
 * {@link #cancelReply cancelled}, so that after {@code sendReplies} the marked slots are those sent.
 */
public final class DatagramBatch {

    /** Bytes of a reply's outer headers over raw IPv4: an IPv4 header without options (20) and a UDP header (8). */
    public static final int IPV4_UDP_HEADROOM = Ipv4View.MIN_HEADER_LENGTH + UdpView.HEADER_LENGTH;

    private static final int UDP = 17;
    private static final int REPLY_TTL = 64;

    private final int headroom;
    private final MemorySegment memory;
    private final MemorySegment[] segments;
    private final long[] offsets;
    private final int[] lengths;
    private final DatagramSource[] sources;
    private final boolean[] replies;
    private final boolean[] changed;
    private int count;
    private int replyCount;

    /**
     * For I/O implementations: a batch of {@code slots} slots, each datagram with at least
     * {@code headroom} bytes in front of it, received into {@code memory}.
     *
     * @param memory the memory the I/O receives this batch's datagrams into (its own buffer, a UMEM)
     * @throws IllegalArgumentException for fewer than one slot or a negative headroom
     */
    public DatagramBatch(int slots, int headroom, MemorySegment memory) {
        if (slots < 1 || headroom < 0) {
            throw new IllegalArgumentException("found " + slots + " slots and a headroom of " + headroom
                    + " (expected: at least one slot, a headroom of 0 or more)");
        }
        this.headroom = headroom;
        this.memory = Objects.requireNonNull(memory, "memory");
        this.segments = new MemorySegment[slots];
        this.offsets = new long[slots];
        this.lengths = new int[slots];
        this.sources = new DatagramSource[slots];
        this.replies = new boolean[slots];
        this.changed = new boolean[slots];
        for (int i = 0; i < slots; i++) {
            sources[i] = new DatagramSource();
        }
    }

    /** The memory its I/O receives into (each slot's {@link #segment(int)} lies in it). */
    public MemorySegment memory() {
        return memory;
    }

    /** The most datagrams one receive puts in this batch. */
    public int slots() {
        return segments.length;
    }

    /** Bytes in front of each datagram that its reply's outer headers may take. */
    public int headroom() {
        return headroom;
    }

    /** The datagrams the last receive put in the batch (slots 0 to count - 1). */
    public int count() {
        return count;
    }

    /** The memory that holds slot {@code slot}'s datagram. */
    public MemorySegment segment(int slot) {
        return segments[Objects.checkIndex(slot, count)];
    }

    /** Where slot {@code slot}'s datagram (the UDP payload) starts in {@link #segment(int)}. */
    public long offset(int slot) {
        return offsets[Objects.checkIndex(slot, count)];
    }

    /** The length of slot {@code slot}'s datagram (the UDP payload). */
    public int length(int slot) {
        return lengths[Objects.checkIndex(slot, count)];
    }

    /** Who sent slot {@code slot}'s datagram (the I/O sets it; readers only read it). */
    public DatagramSource source(int slot) {
        return sources[Objects.checkIndex(slot, slots())];
    }

    /**
     * Marks slot {@code slot}'s datagram, as it now stands, to be sent back to its source.
     *
     * @param changed whether the reader changed its bytes: an I/O that builds the reply in place around
     *     the received headers (AF_XDP) may keep the received UDP checksum only when nothing changed (the
     *     ports stay, and swapping the addresses keeps the pseudo-header's sum)
     */
    public void reply(int slot, boolean changed) {
        Objects.checkIndex(slot, count);
        this.changed[slot] = changed;
        if (!replies[slot]) {
            replies[slot] = true;
            replyCount++;
        }
    }

    /** Whether the reader said it changed slot {@code slot}'s bytes when it marked the reply. */
    public boolean changed(int slot) {
        return changed[Objects.checkIndex(slot, count)];
    }

    /** Whether slot {@code slot} is marked to be sent back (after a send: whether it was). */
    public boolean willReply(int slot) {
        return replies[Objects.checkIndex(slot, count)];
    }

    /** The slots marked to be sent back. */
    public int replies() {
        return replyCount;
    }

    /** For I/O implementations: empties the batch (no slot, no reply marked) before a receive. */
    public void clear() {
        for (int i = 0; i < count; i++) {
            replies[i] = false;
        }
        count = 0;
        replyCount = 0;
    }

    /**
     * For I/O implementations: puts a received datagram in the next slot; set its source through
     * {@link #source(int)}.
     *
     * @return the slot
     * @throws IllegalStateException when every slot is taken
     * @throws IllegalArgumentException when there is not {@link #headroom()} room in front of it
     */
    public int add(MemorySegment segment, long offset, int length) {
        if (count == segments.length) {
            throw new IllegalStateException("found a full batch of " + count + " datagrams (expected: a free slot)");
        }
        if (offset < headroom || length < 0 || offset + length > segment.byteSize()) {
            throw new IllegalArgumentException("found a datagram of " + length + " bytes at " + offset + " of "
                    + segment.byteSize() + " (expected: " + headroom + " bytes of headroom before it, within the memory)");
        }
        segments[count] = segment;
        offsets[count] = offset;
        lengths[count] = length;
        return count++;
    }

    /** For I/O implementations: unmarks a reply that could not be sent. */
    public void cancelReply(int slot) {
        if (replies[Objects.checkIndex(slot, count)]) {
            replies[slot] = false;
            replyCount--;
        }
    }

    /**
     * For I/O implementations: writes the outer IPv4 and UDP headers of slot {@code slot}'s reply in
     * the {@link #IPV4_UDP_HEADROOM} bytes in front of it, as a reflector answers: from
     * {@code localAddress} to the slot's source address, the UDP ports as received (the source's port
     * stays the source port, {@code localPort}, the port it was sent to, the destination), the UDP
     * checksum computed.
     *
     * @param localAddress the IPv4 address the datagram was sent to, in an int (big-endian order)
     * @return where the reply's IPv4 header starts; the reply is {@link #IPV4_UDP_HEADROOM} + {@code length(slot)} bytes
     * @throws IllegalStateException if the slot's source is not IPv4
     */
    public long writeIpv4Reply(int slot, int localAddress, int localPort) {
        DatagramSource source = sources[Objects.checkIndex(slot, count)];
        if (source.isIpv6()) {
            throw new IllegalStateException("found an IPv6 source " + source + " (expected: IPv4, for a raw IPv4 reply)");
        }
        return writeIpv4Udp(segments[slot], offsets[slot], lengths[slot], localAddress, source.port(),
                (int) source.low(), localPort);
    }

    /**
     * Writes an IPv4 header (no options, TTL 64, identification 0 for the kernel to fill) and a UDP
     * header with its checksum in the {@link #IPV4_UDP_HEADROOM} bytes in front of the
     * {@code length}-byte UDP payload at {@code payload}.
     *
     * @return where the IPv4 header starts
     */
    public static long writeIpv4Udp(MemorySegment segment, long payload, int length, int source, int sourcePort,
            int destination, int destinationPort) {
        long ip = payload - IPV4_UDP_HEADROOM;
        long udp = ip + Ipv4View.MIN_HEADER_LENGTH;
        int udpLength = UdpView.HEADER_LENGTH + length;
        long from = source & 0xFFFF_FFFFL;
        long to = destination & 0xFFFF_FFFFL;
        Ipv4View.write(segment, ip, 0, Ipv4View.MIN_HEADER_LENGTH + udpLength, 0, false, REPLY_TTL, UDP, from, to);
        UdpView.write(segment, udp, sourcePort, destinationPort, udpLength, 0);
        int checksum = InternetChecksum.finish(InternetChecksum.pseudoHeaderIpv4(from, to, UDP, udpLength)
                + InternetChecksum.sum(segment, udp, udpLength));
        segment.set(NetworkOrder.SHORT, udp + 6, (short) (checksum == 0 ? 0xFFFF : checksum)); // RFC 768: a computed 0 is sent as all ones
        return ip;
    }
}
