package io.github.geneve4j.codec.net;

import io.github.geneve4j.codec.NetworkOrder;
import io.github.geneve4j.codec.internal.Wire;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The Internet checksum (RFC 1071): the 16-bit one's complement of the one's complement sum of
 * 16-bit big-endian words, with RFC 1624 incremental update and the IPv4/IPv6 pseudo-header sums.
 *
 * <p>Sums are carried as {@code long} partial sums that callers may add together before folding,
 * as long as every part starts at an even offset from the start of the checksummed data (a part that
 * starts at an odd offset must be byte-swapped first, RFC 1071 §2(B)). {@link #fold(long)} reduces a
 * partial sum to 16 bits; the checksum field holds {@code ~fold(sum) & 0xFFFF}.
 *
 * <pre>{@code
 * long sum = InternetChecksum.pseudoHeaderIpv4(ip.source(), ip.destination(), 6, tcpLength)
 *         + InternetChecksum.sum(segment, tcpOffset, tcpLength);
 * boolean valid = InternetChecksum.fold(sum) == 0xFFFF;          // including the checksum field
 * }</pre>
 *
 * <p>Why the loop looks the way it does: one accumulator in a plain counted loop over 8-byte loads
 * is auto-vectorised by C2; each 64-bit word is added as its two 32-bit halves, so carries are
 * deferred until the final fold (2^31 words, 16 GiB, before the accumulator could overflow). Several
 * accumulators or manual unrolling stop the vectorisation and measured 4–6× slower in the
 * prototypes before this one (and a loop over byte pairs about 1 GB/s); ChecksumBenchmark guards the
 * shape. The loads are in the machine's byte order, not big-endian: the one's
 * complement sum does not depend on byte order (RFC 1071 §2(B)), so on a little-endian machine the
 * folded sum is byte-swapped once at the end instead of every word in the loop (20–25% faster at
 * 1.5–64 KiB, geneve-bench/RESULTS.md). A sum is returned folded then, still a valid partial sum.
 */
public final class InternetChecksum {

    /** 64-bit loads in the machine's byte order, which C2 vectorises without a shuffle per load. */
    private static final ValueLayout.OfLong NATIVE_LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private InternetChecksum() {
    }

    /**
     * A partial one's complement sum of {@code length} bytes at {@code offset}, the first byte the
     * high byte of the first word; an odd last byte is padded with a zero byte. Partly folded or
     * not (see the class comment), it is congruent to the plain sum of the 16-bit words modulo
     * 0xFFFF, and 0 only when every byte is 0, so {@link #fold(long)} of it, or of it added to other
     * partial sums, is exact.
     *
     * @throws IndexOutOfBoundsException if the region is outside the segment (a programming error:
     *     views validate lengths before summing)
     */
    public static long sum(MemorySegment segment, long offset, long length) {
        long words = length >>> 3;
        long sum = 0;
        for (long i = 0; i < words; i++) {
            long v = segment.get(NATIVE_LONG, offset + (i << 3));
            sum += (v >>> 32) + (v & 0xFFFF_FFFFL);
        }
        if (LITTLE_ENDIAN && sum != 0) {
            // summed in the machine's byte order (no byte swap per load): the folded sum of
            // byte-swapped words is the byte-swapped sum (RFC 1071 §2(B)), so swap it back once
            int folded = fold(sum);
            sum = ((folded & 0xFF) << 8) | (folded >>> 8);
        }
        long p = offset + (words << 3);
        long rest = length & 7;
        if (rest >= 4) {
            sum += segment.get(NetworkOrder.INT, p) & 0xFFFF_FFFFL;
            p += 4;
            rest -= 4;
        }
        if (rest >= 2) {
            sum += segment.get(NetworkOrder.SHORT, p) & 0xFFFF;
            p += 2;
            rest -= 2;
        }
        if (rest == 1) {
            sum += (segment.get(ValueLayout.JAVA_BYTE, p) & 0xFF) << 8;
        }
        return sum;
    }

    /**
     * As {@link #sum(MemorySegment, long, long)} over absolute indices of a buffer; its position,
     * limit and byte order are ignored and left unchanged.
     */
    public static long sum(ByteBuffer buffer, int offset, int length) {
        return sum(Wire.segmentOf(buffer), offset, length);
    }

    /** Folds a partial sum to 16 bits with end-around carry (never returns 0 for a non-zero sum). */
    public static int fold(long sum) {
        sum = (sum & 0xFFFF_FFFFL) + (sum >>> 32);
        sum = (sum & 0xFFFF_FFFFL) + (sum >>> 32);
        sum = (sum & 0xFFFF) + (sum >>> 16);
        sum = (sum & 0xFFFF) + (sum >>> 16);
        sum = (sum & 0xFFFF) + (sum >>> 16);
        return (int) sum;
    }

    /** The checksum field value for a partial sum: {@code ~fold(sum) & 0xFFFF}. */
    public static int finish(long sum) {
        return ~fold(sum) & 0xFFFF;
    }

    /** The checksum of {@code length} bytes at {@code offset}. */
    public static int checksum(MemorySegment segment, long offset, long length) {
        return finish(sum(segment, offset, length));
    }

    /** The checksum of {@code length} bytes at absolute index {@code offset} of a buffer. */
    public static int checksum(ByteBuffer buffer, int offset, int length) {
        return finish(sum(buffer, offset, length));
    }

    /**
     * Sum of the IPv4 pseudo-header (RFC 793 §3.1, RFC 768): addresses, zero, protocol, length.
     *
     * @param source the source address as an unsigned 32-bit value
     * @param destination the destination address as an unsigned 32-bit value
     * @param protocol the IP protocol number (6 TCP, 17 UDP)
     * @param length the transport header plus data, in bytes
     */
    public static long pseudoHeaderIpv4(long source, long destination, int protocol, long length) {
        return (source >>> 16) + (source & 0xFFFF) + (destination >>> 16) + (destination & 0xFFFF)
                + protocol + (length >>> 16) + (length & 0xFFFF);
    }

    /**
     * Sum of the IPv6 pseudo-header (RFC 8200 §8.1) whose 16-byte source address is at
     * {@code addressesOffset} and destination address follows it (as in the IPv6 header, offset 8).
     *
     * @param length the upper-layer packet length (32 bits, so jumbograms fit)
     */
    public static long pseudoHeaderIpv6(MemorySegment segment, long addressesOffset, int nextHeader,
            long length) {
        return sum(segment, addressesOffset, 32) + (length >>> 16) + (length & 0xFFFF) + nextHeader;
    }

    /**
     * RFC 1624 eqn. 3 incremental update: the new checksum after one 16-bit word covered by
     * {@code checksum} changed from {@code oldWord} to {@code newWord}. Unlike RFC 1141's form, it
     * never produces 0xFFFF (-0) from a valid sum.
     */
    public static int update(int checksum, int oldWord, int newWord) {
        long sum = (~checksum & 0xFFFF) + (~oldWord & 0xFFFF) + (newWord & 0xFFFF);
        return ~fold(sum) & 0xFFFF;
    }

    /** RFC 1624 incremental update for a 32-bit field (an address or a sequence number). */
    public static int update32(int checksum, long oldValue, long newValue) {
        long sum = (~checksum & 0xFFFF)
                + (~(oldValue >>> 16) & 0xFFFF) + (~oldValue & 0xFFFF)
                + ((newValue >>> 16) & 0xFFFF) + (newValue & 0xFFFF);
        return ~fold(sum) & 0xFFFF;
    }
}
