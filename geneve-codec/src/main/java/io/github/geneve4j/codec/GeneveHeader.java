package io.github.geneve4j.codec;

import io.github.geneve4j.codec.internal.Wire;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * An immutable Geneve header (RFC 8926 §3.4): version, O and C bits, protocol type, VNI, options.
 *
 * <p>Built in code with {@link #of(int, int, GeneveOption...)}, which computes the C bit from the
 * options as a sender must; decoded from bytes with {@code decode}, which keeps the C bit exactly as
 * received (it may disagree with the options, and a receiver's policy decides what that means).
 *
 * <pre>{@code
 * GeneveHeader header = GeneveHeader.of(ProtocolType.ETHERNET, 5000,
 *         new GeneveOption(0xFFFF, 0x80, new byte[] {1, 2, 3, 4}));   // C bit set: critical option
 * byte[] wire = new byte[header.encodedLength()];
 * header.encode(ByteBuffer.wrap(wire), 0);
 * GeneveHeader back = GeneveHeader.decode(ByteBuffer.wrap(wire), 0);  // equals(header)
 * }</pre>
 *
 * @param version the 2-bit Version; only 0 is defined, and decoders reject others. Encoding another
 *     value is allowed so that test tools can craft such packets.
 * @param oam the O bit: a control packet
 * @param critical the C bit: critical options present
 * @param protocolType the EtherType of the payload (see {@link ProtocolType})
 * @param vni the 24-bit Virtual Network Identifier
 * @param options the options in wire order, at most 252 bytes in all
 */
public record GeneveHeader(
        int version, boolean oam, boolean critical, int protocolType, int vni, List<GeneveOption> options) {

    /**
     * Checks the fields and copies the options list.
     *
     * @throws IllegalArgumentException if a field is out of range or the options exceed 252 bytes
     * @throws NullPointerException if {@code options} or one of its elements is null
     */
    public GeneveHeader {
        if (version < 0 || version > 3) {
            throw new IllegalArgumentException("version " + version + " out of range (expected: 0..3)");
        }
        if (protocolType < 0 || protocolType > 0xFFFF) {
            throw new IllegalArgumentException(
                    "protocol type " + protocolType + " out of range (expected: 0..0xffff)");
        }
        if (vni < 0 || vni > Geneve.MAX_VNI) {
            throw new IllegalArgumentException("VNI " + vni + " out of range (expected: 0..16777215)");
        }
        options = List.copyOf(options);
        int total = 0;
        for (GeneveOption option : options) {
            total += option.encodedLength();
        }
        if (total > Geneve.MAX_OPTIONS_LENGTH) {
            throw new IllegalArgumentException("options take " + total
                    + " bytes (expected: at most " + Geneve.MAX_OPTIONS_LENGTH + ", Opt Len is 6 bits of words)");
        }
    }

    /**
     * A version-0 data header whose C bit is set exactly when an option is critical (the sender rule
     * of RFC 8926 §3.4).
     */
    public static GeneveHeader of(int protocolType, int vni, GeneveOption... options) {
        return of(protocolType, vni, Arrays.asList(options));
    }

    /** As {@link #of(int, int, GeneveOption...)}, with the options from a list. */
    public static GeneveHeader of(int protocolType, int vni, List<GeneveOption> options) {
        return new GeneveHeader(Geneve.VERSION, false, anyCritical(options), protocolType, vni, options);
    }

    /** This header with the O bit set or cleared. */
    public GeneveHeader withOam(boolean oam) {
        return new GeneveHeader(version, oam, critical, protocolType, vni, options);
    }

    /** This header with other options; the C bit is computed from them. */
    public GeneveHeader withOptions(List<GeneveOption> options) {
        return new GeneveHeader(version, oam, anyCritical(options), protocolType, vni, options);
    }

    private static boolean anyCritical(List<GeneveOption> options) {
        for (GeneveOption option : options) {
            if (option.critical()) {
                return true;
            }
        }
        return false;
    }

    /** Whether any option is critical; a header built by {@code of} has {@code critical()} equal to this. */
    public boolean hasCriticalOption() {
        return anyCritical(options);
    }

    /** Length of all options in bytes (Opt Len × 4). */
    public int optionsLength() {
        int total = 0;
        for (GeneveOption option : options) {
            total += option.encodedLength();
        }
        return total;
    }

    /** Length on the wire: 8 bytes plus the options. */
    public int encodedLength() {
        return Geneve.BASE_HEADER_LENGTH + optionsLength();
    }

    /**
     * Decodes the header that starts at {@code offset}; its payload starts at
     * {@code offset + encodedLength()}. For zero-allocation decoding use {@link GeneveView}.
     *
     * @throws GeneveFormatException if the bytes are not a valid Geneve header
     * @throws IllegalArgumentException if {@code offset} is outside the segment
     */
    public static GeneveHeader decode(MemorySegment segment, long offset) {
        return new GeneveView().wrap(segment, offset).toHeader();
    }

    /**
     * Decodes the header that starts at absolute index {@code offset}; the input ends at the
     * buffer's limit. Position and byte order are ignored and left unchanged.
     *
     * @throws GeneveFormatException if the bytes are not a valid Geneve header
     * @throws IllegalArgumentException if {@code offset} is outside {@code [0, limit]}
     */
    public static GeneveHeader decode(ByteBuffer buffer, int offset) {
        return new GeneveView().wrap(buffer, offset).toHeader();
    }

    /** Decodes the header at the start of {@code bytes}. */
    public static GeneveHeader decode(byte[] bytes) {
        return decode(MemorySegment.ofArray(bytes), 0);
    }

    /**
     * Writes this header at {@code offset}, reserved bits zero. Either the whole header is written
     * or nothing is.
     *
     * @return the number of bytes written, {@link #encodedLength()}
     * @throws IllegalArgumentException if the segment is read-only or too small
     */
    public int encode(MemorySegment target, long offset) {
        if (target.isReadOnly()) {
            throw new IllegalArgumentException("target segment is read-only");
        }
        return encode(target, offset, target.byteSize());
    }

    /**
     * Writes this header at absolute index {@code offset}, up to the buffer's limit. The buffer's
     * position, limit and byte order are left unchanged.
     *
     * @return the number of bytes written, {@link #encodedLength()}
     * @throws IllegalArgumentException if the buffer is read-only or too small
     */
    public int encode(ByteBuffer target, int offset) {
        if (target.isReadOnly()) {
            throw new IllegalArgumentException("target buffer is read-only");
        }
        return encode(Wire.segmentOf(target), offset, target.limit());
    }

    /** This header's bytes in a new array. */
    public byte[] toBytes() {
        byte[] bytes = new byte[encodedLength()];
        encode(MemorySegment.ofArray(bytes), 0);
        return bytes;
    }

    private int encode(MemorySegment target, long offset, long limit) {
        int optionsLength = optionsLength();
        int length = Geneve.BASE_HEADER_LENGTH + optionsLength;
        Wire.checkTarget(limit, offset, length, "target");
        Wire.putU8(target, offset + Geneve.OPTIONS_LENGTH_OFFSET, (version << 6) | (optionsLength >>> 2));
        Wire.putU8(target, offset + Geneve.FLAGS_OFFSET, (oam ? 0x80 : 0) | (critical ? 0x40 : 0)); // Rsvd zero
        Wire.putU16(target, offset + Geneve.PROTOCOL_TYPE_OFFSET, protocolType);
        Wire.putU24(target, offset + Geneve.VNI_OFFSET, vni);
        Wire.putU8(target, offset + Geneve.VNI_OFFSET + 3, 0); // Reserved, after the 24-bit VNI
        long position = offset + Geneve.BASE_HEADER_LENGTH;
        for (GeneveOption option : options) {
            option.writeTo(target, position);
            position += option.encodedLength();
        }
        return length;
    }

    @Override
    public String toString() {
        return String.format("GeneveHeader[version=%d, oam=%b, critical=%b, protocolType=0x%04x (%s), "
                        + "vni=%d (0x%06x), options=%s]",
                version, oam, critical, protocolType, ProtocolType.name(protocolType), vni, vni, options);
    }
}
