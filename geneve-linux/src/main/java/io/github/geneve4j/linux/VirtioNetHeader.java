package io.github.geneve4j.linux;

import io.github.geneve4j.endpoint.spi.FrameOffload;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The 10-byte {@code struct virtio_net_hdr} (Linux {@code include/uapi/linux/virtio_net.h}) that
 * precedes every frame on a TAP opened with {@code IFF_VNET_HDR}, and its translation to and from
 * {@link FrameOffload}. Fields: flags (u8), gso_type (u8), hdr_len, gso_size, csum_start,
 * csum_offset (u16 each), in the host's byte order: a TAP is "legacy" virtio unless
 * {@code TUNSETVNETLE}/{@code TUNSETVNETBE} say otherwise, and we never set those.
 *
 * <p>Internal: {@link Tap} users see {@link FrameOffload} only.
 */
final class VirtioNetHeader {

    static final int LENGTH = 10;
    /** flags: the checksum at csum_start + csum_offset must be completed over [csum_start, end). */
    static final int F_NEEDS_CSUM = 1;
    /** flags: the checksum was already verified. */
    static final int F_DATA_VALID = 2;
    static final int GSO_NONE = 0;
    static final int GSO_TCPV4 = 1;
    static final int GSO_UDP = 3;
    static final int GSO_TCPV6 = 4;
    static final int GSO_UDP_L4 = 5;
    /** gso_type bit: the sender set ECN's CWR (TCP segments after the first must not repeat it). */
    static final int GSO_ECN = 0x80;

    private static final long FLAGS = 0;
    private static final long GSO_TYPE = 1;
    private static final long HDR_LEN = 2;
    private static final long GSO_SIZE = 4;
    private static final long CSUM_START = 6;
    private static final long CSUM_OFFSET = 8;
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.nativeOrder());

    private VirtioNetHeader() {
    }

    /** Reads the header at {@code at} into {@code offload} (cleared first); returns {@code offload}. */
    static FrameOffload read(MemorySegment s, long at, FrameOffload offload) {
        offload.clear();
        int flags = s.get(ValueLayout.JAVA_BYTE, at + FLAGS);
        int gsoType = s.get(ValueLayout.JAVA_BYTE, at + GSO_TYPE) & 0xFF;
        FrameOffload.Gso gso = switch (gsoType & ~GSO_ECN) {
            case GSO_NONE -> FrameOffload.Gso.NONE;
            case GSO_TCPV4 -> FrameOffload.Gso.TCPV4;
            case GSO_TCPV6 -> FrameOffload.Gso.TCPV6;
            default -> FrameOffload.Gso.OTHER;
        };
        if (gso != FrameOffload.Gso.NONE) {
            offload.segmentation(gso, (gsoType & GSO_ECN) != 0, s.get(U16, at + GSO_SIZE) & 0xFFFF,
                    s.get(U16, at + HDR_LEN) & 0xFFFF);
        }
        if ((flags & F_NEEDS_CSUM) != 0) {
            offload.partialChecksum(s.get(U16, at + CSUM_START) & 0xFFFF, s.get(U16, at + CSUM_OFFSET) & 0xFFFF);
        }
        if ((flags & F_DATA_VALID) != 0) {
            offload.checksumValid(true);
        }
        return offload;
    }

    /**
     * Writes the header for {@code offload} at {@code at}.
     *
     * @throws IllegalArgumentException for {@link FrameOffload.Gso#OTHER}, which names no virtio-net type
     */
    static void write(MemorySegment s, long at, FrameOffload offload) {
        int gsoType = switch (offload.gso()) {
            case NONE -> GSO_NONE;
            case TCPV4 -> GSO_TCPV4;
            case TCPV6 -> GSO_TCPV6;
            case OTHER -> throw new IllegalArgumentException(
                    "found gso OTHER (expected: NONE, TCPV4 or TCPV6 on a frame written to a TAP)");
        };
        boolean segmented = gsoType != GSO_NONE;
        if (segmented && offload.ecn()) {
            gsoType |= GSO_ECN;
        }
        int flags = (offload.needsChecksum() ? F_NEEDS_CSUM : 0) | (offload.checksumValid() ? F_DATA_VALID : 0);
        s.set(ValueLayout.JAVA_BYTE, at + FLAGS, (byte) flags);
        s.set(ValueLayout.JAVA_BYTE, at + GSO_TYPE, (byte) gsoType);
        s.set(U16, at + HDR_LEN, (short) (segmented ? offload.headerLength() : 0));
        s.set(U16, at + GSO_SIZE, (short) (segmented ? offload.gsoSize() : 0));
        s.set(U16, at + CSUM_START, (short) (offload.needsChecksum() ? offload.checksumStart() : 0));
        s.set(U16, at + CSUM_OFFSET, (short) (offload.needsChecksum() ? offload.checksumOffset() : 0));
    }
}
