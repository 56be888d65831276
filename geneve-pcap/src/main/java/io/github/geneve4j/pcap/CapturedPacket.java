package io.github.geneve4j.pcap;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * One packet record of a capture, as {@link CaptureReader} returns it.
 *
 * <pre>{@code
 * if (packet.linkType() == LinkType.ETHERNET && packet.data().byteSize() >= 14) { ... }
 * }</pre>
 *
 * @param frame the 1-based index of the packet in the file, as Wireshark numbers frames
 * @param linkType the link type of the interface it was captured on ({@link LinkType}), 0..65535
 * @param timestampNanos capture time in nanoseconds since the epoch
 * @param originalLength the packet's length on the wire, an unsigned 32-bit value; {@code data} may
 *     be shorter (snap length), and in a damaged file even longer
 * @param data the captured bytes; from a reader, read-only (a copy of a file's record, or a slice of
 *     the bytes given to {@link CaptureReader#of})
 */
public record CapturedPacket(long frame, int linkType, long timestampNanos, long originalLength, MemorySegment data) {

    /**
     * Checks the fields.
     *
     * @throws IllegalArgumentException if {@code frame} is below 1, {@code linkType} outside
     *     0..65535 or {@code originalLength} outside 0..2<sup>32</sup>-1
     * @throws NullPointerException if {@code data} is null
     */
    public CapturedPacket {
        if (frame < 1) {
            throw new IllegalArgumentException("frame " + frame + " (expected: 1 or more)");
        }
        if (linkType < 0 || linkType > 0xFFFF) {
            throw new IllegalArgumentException("link type " + linkType + " (expected: 0..65535)");
        }
        if (originalLength < 0 || originalLength > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("original length " + originalLength + " (expected: 0..4294967295)");
        }
        Objects.requireNonNull(data, "data");
    }
}
