package io.github.geneve4j.tools.tap;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The 10-byte {@code struct virtio_net_hdr} (linux {@code virtio_net.h}) that precedes every frame
 * on a TAP opened with {@code IFF_VNET_HDR}, in the host's byte order (little-endian here): flags
 * (u8), gso_type (u8), hdr_len, gso_size, csum_start, csum_offset (u16 each).
 */
public final class VirtioNetHeader {

    public static final int LENGTH = 10;
    /** flags: the checksum at csum_start + csum_offset must be completed over [csum_start, end). */
    public static final int F_NEEDS_CSUM = 1;
    /** flags: the checksum was already verified. */
    public static final int F_DATA_VALID = 2;
    public static final int GSO_NONE = 0;
    public static final int GSO_TCPV4 = 1;
    public static final int GSO_UDP = 3;
    public static final int GSO_TCPV6 = 4;
    public static final int GSO_ECN = 0x80;

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.nativeOrder());

    private VirtioNetHeader() {
    }

    public static int flags(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    public static int gsoType(MemorySegment s, long at) {
        return s.get(ValueLayout.JAVA_BYTE, at + 1) & 0xFF;
    }

    public static int headerLength(MemorySegment s, long at) {
        return s.get(U16, at + 2) & 0xFFFF;
    }

    public static int gsoSize(MemorySegment s, long at) {
        return s.get(U16, at + 4) & 0xFFFF;
    }

    public static int csumStart(MemorySegment s, long at) {
        return s.get(U16, at + 6) & 0xFFFF;
    }

    public static int csumOffset(MemorySegment s, long at) {
        return s.get(U16, at + 8) & 0xFFFF;
    }

    /** Writes a header for a plain frame: no GSO, checksums complete (or, with {@code valid}, verified). */
    public static void writePlain(MemorySegment s, long at, boolean valid) {
        s.asSlice(at, LENGTH).fill((byte) 0);
        if (valid) {
            s.set(ValueLayout.JAVA_BYTE, at, (byte) F_DATA_VALID);
        }
    }

    /** Writes a GSO header for a coalesced TCP frame. */
    public static void writeGso(MemorySegment s, long at, int flags, int gsoType, int headerLength, int gsoSize,
            int csumStart, int csumOffset) {
        s.set(ValueLayout.JAVA_BYTE, at, (byte) flags);
        s.set(ValueLayout.JAVA_BYTE, at + 1, (byte) gsoType);
        s.set(U16, at + 2, (short) headerLength);
        s.set(U16, at + 4, (short) gsoSize);
        s.set(U16, at + 6, (short) csumStart);
        s.set(U16, at + 8, (short) csumOffset);
    }
}
