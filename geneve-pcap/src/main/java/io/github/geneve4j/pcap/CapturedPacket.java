package io.github.geneve4j.pcap;

import java.lang.foreign.MemorySegment;

/**
 * One packet record of a capture.
 *
 * @param frame the 1-based index of the packet in the file, as Wireshark numbers frames
 * @param linkType the link type of the interface it was captured on ({@link LinkType})
 * @param timestampNanos capture time in nanoseconds since the epoch
 * @param originalLength the packet's length on the wire; {@code data} may be shorter (snap length)
 * @param data the captured bytes, a read-only slice of the mapped file
 */
public record CapturedPacket(long frame, int linkType, long timestampNanos, long originalLength, MemorySegment data) {
}
