package io.github.geneve4j.options.google;

import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.GeneveOptionCursor;
import io.github.geneve4j.options.LengthRule;
import io.github.geneve4j.options.OptionClass;
import io.github.geneve4j.options.OptionCodec;
import io.github.geneve4j.options.OptionDescriptor;
import io.github.geneve4j.options.TypedOption;
import io.github.geneve4j.options.internal.Layouts;
import java.util.HexFormat;

/**
 * Google Cloud's options, class 0x0132, as Wireshark's Geneve dissector decodes them
 * ({@code epan/dissectors/packet-geneve.c}; Google publishes no layout):
 * <ul>
 *   <li>type 1, "GCP Virtual Network ID": a 32-bit word whose high 28 bits are the VNID, bits 3–1
 *       reserved and bit 0 the traffic direction (4 bytes);
 *   <li>type 2, "GCP Endpoint ID": opaque bytes, any length;
 *   <li>type 3, "GCP Profile ID": a 64-bit big-endian number (8 bytes).
 * </ul>
 * Wireshark reads type 1 from the first 4 bytes and type 3 from all the data; we require exactly 4
 * and 8 bytes. What a set direction bit means is not published; it is exposed as is. The reserved
 * bits of type 1 are ignored on receipt and written as zero; to forward an option unchanged,
 * forward the {@link GeneveOption}, not its typed value.
 */
public final class GcpOptions {

    /** The type of the virtual network ID option (4 bytes). */
    public static final int VNID_TYPE = 1;
    /** The type of the endpoint ID option (opaque bytes). */
    public static final int ENDPOINT_TYPE = 2;
    /** The type of the profile ID option (8 bytes). */
    public static final int PROFILE_TYPE = 3;

    /** The virtual network ID option: class 0x0132, type 1, 4 bytes. */
    public static final OptionDescriptor<Vnid> VNID = new OptionDescriptor<>(OptionClass.GOOGLE, VNID_TYPE,
            "GCP virtual network ID", LengthRule.fixed(4),
            OptionCodec.of(Vnid::from, c -> new Vnid(Vnid.vnid(c), Vnid.direction(c)), Vnid::toOption));
    /** The endpoint ID option: class 0x0132, type 2, any length. */
    public static final OptionDescriptor<EndpointId> ENDPOINT = new OptionDescriptor<>(OptionClass.GOOGLE,
            ENDPOINT_TYPE, "GCP endpoint ID", LengthRule.any(), OptionCodec.of(EndpointId::from, EndpointId::toOption));
    /** The profile ID option: class 0x0132, type 3, 8 bytes. */
    public static final OptionDescriptor<ProfileId> PROFILE = new OptionDescriptor<>(OptionClass.GOOGLE,
            PROFILE_TYPE, "GCP profile ID", LengthRule.fixed(8),
            OptionCodec.of(ProfileId::from, c -> new ProfileId(ProfileId.read(c)), ProfileId::toOption));

    private GcpOptions() {
    }

    /**
     * The VNID option (type 1): Google Cloud's virtual network ID and a direction bit.
     *
     * @param vnid the 28-bit virtual network ID
     * @param direction the direction bit (bit 0)
     */
    public record Vnid(int vnid, boolean direction) implements TypedOption {
        /**
         * Checks the components.
         *
         * @throws IllegalArgumentException unless {@code vnid} fits 28 bits
         */
        public Vnid {
            if (vnid < 0 || vnid > 0x0FFF_FFFF) {
                throw new IllegalArgumentException("GCP VNID " + vnid + " out of range (expected: 28 bits)");
            }
        }

        @Override
        public GeneveOption toOption() {
            return new GeneveOption(OptionClass.GOOGLE, VNID_TYPE, Layouts.bytes(vnid << 4 | (direction ? 1 : 0)));
        }

        /**
         * The VNID and direction of a decoded option.
         *
         * @throws io.github.geneve4j.codec.GeneveFormatException if it is not one or its data is not 4 bytes
         */
        public static Vnid from(GeneveOption option) {
            Layouts.expect(option, VNID);
            int word = Layouts.int32(option, 0);
            return new Vnid(word >>> 4, (word & 1) != 0);
        }

        /** The 28-bit VNID of the option the cursor is on, read in place: no allocation. */
        public static int vnid(GeneveOptionCursor cursor) {
            Layouts.expect(cursor, VNID);
            return cursor.dataInt(0) >>> 4;
        }

        /** The direction bit of the option the cursor is on, read in place: no allocation. */
        public static boolean direction(GeneveOptionCursor cursor) {
            Layouts.expect(cursor, VNID);
            return (cursor.dataInt(0) & 1) != 0;
        }
    }

    /** The endpoint ID, opaque bytes (copied in and out). */
    public record EndpointId(byte[] id) implements TypedOption {
        /**
         * Copies the bytes in.
         *
         * @throws IllegalArgumentException unless the length fits an option (a multiple of 4, at most 124)
         */
        public EndpointId {
            id = id.clone();
            new GeneveOption(OptionClass.GOOGLE, ENDPOINT_TYPE, id); // validates the length
        }

        /**
         * The endpoint ID's bytes.
         *
         * @return a copy of the bytes
         */
        @Override
        public byte[] id() {
            return id.clone();
        }

        @Override
        public GeneveOption toOption() {
            return new GeneveOption(OptionClass.GOOGLE, ENDPOINT_TYPE, id);
        }

        /**
         * The endpoint ID of a decoded option (its data, copied).
         *
         * @throws io.github.geneve4j.codec.GeneveFormatException if it is not one
         */
        public static EndpointId from(GeneveOption option) {
            Layouts.expect(option, ENDPOINT);
            return new EndpointId(option.data());
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof EndpointId other && java.util.Arrays.equals(id, other.id);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(id);
        }

        @Override
        public String toString() {
            return "EndpointId[" + HexFormat.of().formatHex(id) + "]";
        }
    }

    /** The profile ID (64 bits). */
    public record ProfileId(long id) implements TypedOption {
        @Override
        public GeneveOption toOption() {
            return new GeneveOption(OptionClass.GOOGLE, PROFILE_TYPE, Layouts.bytes(id));
        }

        /**
         * The profile ID of a decoded option.
         *
         * @throws io.github.geneve4j.codec.GeneveFormatException if it is not one or its data is not 8 bytes
         */
        public static ProfileId from(GeneveOption option) {
            Layouts.expect(option, PROFILE);
            return new ProfileId(Layouts.int64(option, 0));
        }

        /** The profile ID of the option the cursor is on, read in place: no allocation. */
        public static long read(GeneveOptionCursor cursor) {
            Layouts.expect(cursor, PROFILE);
            return cursor.dataLong(0);
        }
    }
}
