package io.github.geneve4j.endpoint.spi;

/**
 * The offload metadata of one frame crossing a {@link FrameDevice}: what Linux keeps in a
 * {@code struct virtio_net_hdr} in front of every frame on a TAP opened with {@code IFF_VNET_HDR}.
 * Mutable and reused: the engine owns one per direction and passes it to every
 * {@link FrameDevice#read read} and {@link FrameDevice#write write}, so nothing is allocated per
 * frame.
 *
 * <p>A frame read from a device may be a TCP <em>super-frame</em> ({@link #gso()} is
 * {@link Gso#TCPV4} or {@link Gso#TCPV6}, cut at {@link #gsoSize()} by the engine's segmenter) or
 * carry a partial checksum ({@link #needsChecksum()}: the field at {@code checksumStart +
 * checksumOffset} holds the pseudo-header sum; the engine completes it over {@code checksumStart}
 * to the frame's end). A frame written may be a coalesced TCP frame with the same meaning, as a
 * NIC's GRO would hand it up.
 */
public final class FrameOffload {

    /** The kind of segmentation a frame asks for (virtio-net {@code gso_type}). */
    public enum Gso {
        /** A plain frame. */
        NONE,
        /** A TCP over IPv4 super-frame, to be cut at {@link #gsoSize()} bytes of payload. */
        TCPV4,
        /** A TCP over IPv6 super-frame, to be cut at {@link #gsoSize()} bytes of payload. */
        TCPV6,
        /** Any other kind (UDP fragmentation offload, ...): the engine drops and counts it. */
        OTHER
    }

    private Gso gso = Gso.NONE;
    private boolean ecn;
    private int gsoSize;
    private int headerLength;
    private boolean needsChecksum;
    private boolean checksumValid;
    private int checksumStart;
    private int checksumOffset;

    /** A plain frame's metadata: no segmentation, checksums complete. */
    public FrameOffload() {
    }

    /** Back to a plain frame's metadata; returns {@code this}. */
    public FrameOffload clear() {
        gso = Gso.NONE;
        ecn = false;
        gsoSize = 0;
        headerLength = 0;
        needsChecksum = false;
        checksumValid = false;
        checksumStart = 0;
        checksumOffset = 0;
        return this;
    }

    /**
     * Marks a super-frame; returns {@code this}.
     *
     * @param gso its kind
     * @param ecn whether the sender set the ECN bit (virtio-net {@code GSO_ECN}: CWR on the first segment)
     * @param gsoSize payload bytes per segment (0..65535)
     * @param headerLength bytes of headers before the payload, as the sender says (0 if unknown)
     */
    public FrameOffload segmentation(Gso gso, boolean ecn, int gsoSize, int headerLength) {
        if (gso == null) {
            throw new IllegalArgumentException("gso is null (expected: a Gso)");
        }
        this.gso = gso;
        this.ecn = ecn;
        this.gsoSize = check("gsoSize", gsoSize);
        this.headerLength = check("headerLength", headerLength);
        return this;
    }

    /**
     * Marks a partial checksum to complete over {@code start} to the frame's end, stored at
     * {@code start + offset}; returns {@code this}.
     */
    public FrameOffload partialChecksum(int start, int offset) {
        this.needsChecksum = true;
        this.checksumStart = check("checksumStart", start);
        this.checksumOffset = check("checksumOffset", offset);
        return this;
    }

    /** Marks the frame's checksums as verified already (virtio-net {@code DATA_VALID}); returns {@code this}. */
    public FrameOffload checksumValid(boolean valid) {
        this.checksumValid = valid;
        return this;
    }

    private static int check(String what, int value) {
        if (value < 0 || value > 0xFFFF) {
            throw new IllegalArgumentException(what + " " + value + " is out of range (expected: 0..65535)");
        }
        return value;
    }

    /** The segmentation this frame asks for. */
    public Gso gso() {
        return gso;
    }

    /** Whether the super-frame's sender set ECN's CWR (virtio-net {@code GSO_ECN}). */
    public boolean ecn() {
        return ecn;
    }

    /** Payload bytes per segment of a super-frame. */
    public int gsoSize() {
        return gsoSize;
    }

    /** Header bytes before a super-frame's payload (0 if not given). */
    public int headerLength() {
        return headerLength;
    }

    /** Whether a checksum must be completed (virtio-net {@code NEEDS_CSUM}). */
    public boolean needsChecksum() {
        return needsChecksum;
    }

    /** Whether the frame's checksums are known to be valid (virtio-net {@code DATA_VALID}). */
    public boolean checksumValid() {
        return checksumValid;
    }

    /** Where the partial checksum's coverage starts, from the frame's first byte. */
    public int checksumStart() {
        return checksumStart;
    }

    /** Where the checksum field lies, from {@link #checksumStart()}. */
    public int checksumOffset() {
        return checksumOffset;
    }

    @Override
    public String toString() {
        return "FrameOffload[gso=" + gso + (ecn ? "+ECN" : "") + ", gsoSize=" + gsoSize + ", headerLength=" + headerLength
                + (needsChecksum ? ", needsChecksum start=" + checksumStart + " offset=" + checksumOffset : "")
                + (checksumValid ? ", checksumValid" : "") + "]";
    }
}
