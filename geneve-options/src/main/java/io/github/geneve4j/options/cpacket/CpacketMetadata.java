package io.github.geneve4j.options.cpacket;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.GeneveOptionCursor;
import io.github.geneve4j.options.LengthRule;
import io.github.geneve4j.options.OptionClass;
import io.github.geneve4j.options.OptionCodec;
import io.github.geneve4j.options.OptionDescriptor;
import io.github.geneve4j.options.TypedOption;
import io.github.geneve4j.options.internal.Fields;
import io.github.geneve4j.options.internal.Layouts;

/**
 * cPacket Networks' metadata option, class 0x0164, type 0x00 (non-critical), 24 bytes, that
 * cPacket's capture appliances put on the packets they tunnel. Layout, as Wireshark's dissector
 * reads it ({@code epan/dissectors/packet-geneve.c}, contributed by cPacket), all big-endian:
 * sequence number (4), original length (2), reserved (1), version (1), a PTPv2 timestamp — seconds
 * (6), nanoseconds (4), fractional nanoseconds (2) — device ID (2), port ID (2). The reserved byte is
 * ignored on receipt and written as zero.
 *
 * @param sequence the sequence number (u32)
 * @param originalLength the packet's original length (u16)
 * @param version the metadata version (u8)
 * @param seconds the timestamp's seconds (u48)
 * @param nanoseconds the timestamp's nanoseconds (u32)
 * @param fractionalNanoseconds the timestamp's fraction of a nanosecond, in 1/65536 ns (u16)
 * @param deviceId the capturing device (u16)
 * @param portId the capturing port (u16)
 */
public record CpacketMetadata(long sequence, int originalLength, int version, long seconds, long nanoseconds,
        int fractionalNanoseconds, int deviceId, int portId) implements TypedOption {

    /** The option's type, 0x00. */
    public static final int TYPE = 0x00;
    /** The option: class 0x0164, type 0x00, 24 bytes. */
    public static final OptionDescriptor<CpacketMetadata> DESCRIPTOR = new OptionDescriptor<>(OptionClass.CPACKET,
            TYPE, "cPacket metadata", LengthRule.fixed(24),
            OptionCodec.of(CpacketMetadata::from, CpacketMetadata::fromCursor, CpacketMetadata::toOption));

    /**
     * Checks the components.
     *
     * @throws IllegalArgumentException if a field does not fit its width
     */
    public CpacketMetadata {
        check("sequence", sequence, 0xFFFF_FFFFL);
        check("original length", originalLength, 0xFFFF);
        check("version", version, 0xFF);
        check("seconds", seconds, 0xFFFF_FFFF_FFFFL);
        check("nanoseconds", nanoseconds, 0xFFFF_FFFFL);
        check("fractional nanoseconds", fractionalNanoseconds, 0xFFFF);
        check("device ID", deviceId, 0xFFFF);
        check("port ID", portId, 0xFFFF);
    }

    private static void check(String field, long value, long max) {
        if (value < 0 || value > max) {
            throw new IllegalArgumentException("cPacket " + field + " " + value + " out of range (expected: 0.." + max + ")");
        }
    }

    @Override
    public GeneveOption toOption() {
        byte[] d = new byte[24];
        put(d, 0, sequence, 4);
        put(d, 4, originalLength, 2);
        d[7] = (byte) version;
        put(d, 8, seconds, 6);
        put(d, 14, nanoseconds, 4);
        put(d, 18, fractionalNanoseconds, 2);
        put(d, 20, deviceId, 2);
        put(d, 22, portId, 2);
        return new GeneveOption(OptionClass.CPACKET, TYPE, d);
    }

    private static void put(byte[] d, int at, long value, int width) {
        for (int i = width - 1; i >= 0; i--) {
            d[at + i] = (byte) value;
            value >>>= 8;
        }
    }

    /**
     * The metadata of a decoded option.
     *
     * @throws GeneveFormatException unless it is this option with 24 bytes of data
     */
    public static CpacketMetadata from(GeneveOption option) {
        Layouts.expect(option, DESCRIPTOR);
        long seconds = (long) Fields.u16(option, 8) << 32 | Fields.u32(option, 10);
        return new CpacketMetadata(Fields.u32(option, 0), Fields.u16(option, 4), Fields.u8(option, 7), seconds,
                Fields.u32(option, 14), Fields.u16(option, 18), Fields.u16(option, 20), Fields.u16(option, 22));
    }

    private static CpacketMetadata fromCursor(GeneveOptionCursor c) {
        return new CpacketMetadata(sequence(c), c.dataU16(4), c.dataU8(7), seconds(c), nanoseconds(c),
                c.dataU16(18), deviceId(c), portId(c));
    }

    /**
     * The sequence number of the cursor's option, read in place: no allocation.
     *
     * @throws GeneveFormatException unless it is this option with 24 bytes of data
     */
    public static long sequence(GeneveOptionCursor cursor) {
        Layouts.expect(cursor, DESCRIPTOR);
        return Fields.u32(cursor, 0);
    }

    /**
     * The timestamp's seconds of the cursor's option (48 bits), read in place.
     *
     * @throws GeneveFormatException as {@link #sequence(GeneveOptionCursor)}
     */
    public static long seconds(GeneveOptionCursor cursor) {
        Layouts.expect(cursor, DESCRIPTOR);
        return (long) cursor.dataU16(8) << 32 | Fields.u32(cursor, 10);
    }

    /**
     * The timestamp's nanoseconds of the cursor's option, read in place.
     *
     * @throws GeneveFormatException as {@link #sequence(GeneveOptionCursor)}
     */
    public static long nanoseconds(GeneveOptionCursor cursor) {
        Layouts.expect(cursor, DESCRIPTOR);
        return Fields.u32(cursor, 14);
    }

    /**
     * The device ID of the cursor's option, read in place.
     *
     * @throws GeneveFormatException as {@link #sequence(GeneveOptionCursor)}
     */
    public static int deviceId(GeneveOptionCursor cursor) {
        Layouts.expect(cursor, DESCRIPTOR);
        return cursor.dataU16(20);
    }

    /**
     * The port ID of the cursor's option, read in place.
     *
     * @throws GeneveFormatException as {@link #sequence(GeneveOptionCursor)}
     */
    public static int portId(GeneveOptionCursor cursor) {
        Layouts.expect(cursor, DESCRIPTOR);
        return cursor.dataU16(22);
    }
}
