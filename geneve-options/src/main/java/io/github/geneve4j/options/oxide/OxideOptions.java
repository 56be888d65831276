package io.github.geneve4j.options.oxide;

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
 * The options of Oxide's rack network (OPTE and the Sidecar switch), class 0x0129, all
 * non-critical, as {@code lib/oxide-vpc/src/engine/geneve.rs} of oxidecomputer/opte defines them:
 * <ul>
 *   <li>type 0x00, External: the packet entered the rack from outside (no data);
 *   <li>type 0x01, Multicast: 4 bytes, the replication mode in the top 2 bits of the first byte
 *       (External, Underlay, Both, Reserved), the other 30 bits reserved;
 *   <li>type 0x02, MSS: the original TCP MSS, a big-endian u32.
 * </ul>
 * Reserved bits are ignored on receipt and written as zero.
 */
public final class OxideOptions {

    /** The type of the External option (no data). */
    public static final int EXTERNAL_TYPE = 0x00;
    /** The type of the Multicast option (4 bytes). */
    public static final int MULTICAST_TYPE = 0x01;
    /** The type of the MSS option (4 bytes). */
    public static final int MSS_TYPE = 0x02;

    /** External: class 0x0129, type 0x00, no data. */
    public static final OptionDescriptor<External> EXTERNAL = new OptionDescriptor<>(OptionClass.OXIDE,
            EXTERNAL_TYPE, "Oxide external", LengthRule.fixed(0),
            OptionCodec.of(External::from, c -> {
                Layouts.expect(c, OxideOptions.EXTERNAL);
                return new External();
            }, External::toOption));
    /** Multicast: class 0x0129, type 0x01, 4 bytes. */
    public static final OptionDescriptor<Multicast> MULTICAST = new OptionDescriptor<>(OptionClass.OXIDE,
            MULTICAST_TYPE, "Oxide multicast replication", LengthRule.fixed(4),
            OptionCodec.of(Multicast::from, c -> new Multicast(Multicast.replication(c)), Multicast::toOption));
    /** MSS: class 0x0129, type 0x02, 4 bytes. */
    public static final OptionDescriptor<Mss> MSS = new OptionDescriptor<>(OptionClass.OXIDE, MSS_TYPE,
            "Oxide TCP MSS", LengthRule.fixed(4), OptionCodec.of(Mss::from, c -> new Mss(Mss.read(c)), Mss::toOption));

    private OxideOptions() {
    }

    /** Where a switch replicates an outbound multicast packet (the 2-bit field, in wire order). */
    public enum Replication {
        /** 0: external-facing (front panel) ports. */
        EXTERNAL,
        /** 1: underlay ports, toward other sleds. */
        UNDERLAY,
        /** 2: both external and underlay ports. */
        BOTH,
        /** 3: reserved (OPTE treats it as invalid). */
        RESERVED;

        private static final Replication[] BY_CODE = values();

        /** The 2-bit code on the wire. */
        public int code() {
            return ordinal();
        }

        /** The replication of a 2-bit code. */
        static Replication of(int code) {
            return BY_CODE[code & 3];
        }
    }

    /** External: the packet came from outside the rack. */
    public record External() implements TypedOption {
        @Override
        public GeneveOption toOption() {
            return GeneveOption.of(OptionClass.OXIDE, EXTERNAL_TYPE);
        }

        /**
         * The External option of a decoded option.
         *
         * @throws GeneveFormatException unless it is this option with no data
         */
        public static External from(GeneveOption option) {
            Layouts.expect(option, EXTERNAL);
            return new External();
        }
    }

    /**
     * The Multicast option (type 0x01): where the packet is replicated.
     *
     * @param replication where the switch replicates the packet
     */
    public record Multicast(Replication replication) implements TypedOption {
        /**
         * Checks the components.
         *
         * @throws NullPointerException if {@code replication} is null
         */
        public Multicast {
            java.util.Objects.requireNonNull(replication, "replication");
        }

        @Override
        public GeneveOption toOption() {
            return new GeneveOption(OptionClass.OXIDE, MULTICAST_TYPE,
                    new byte[] {(byte) (replication.code() << 6), 0, 0, 0});
        }

        /**
         * The replication of a decoded option (the reserved bits ignored).
         *
         * @throws GeneveFormatException unless it is this option with 4 bytes of data
         */
        public static Multicast from(GeneveOption option) {
            Layouts.expect(option, MULTICAST);
            return new Multicast(Replication.of(Fields.u8(option, 0) >>> 6));
        }

        /**
         * The replication of the cursor's option, read in place: no allocation.
         *
         * @throws GeneveFormatException as {@link #from(GeneveOption)}
         */
        public static Replication replication(GeneveOptionCursor cursor) {
            Layouts.expect(cursor, MULTICAST);
            return Replication.of(cursor.dataU8(0) >>> 6);
        }
    }

    /**
     * The MSS option (type 0x02): the TCP maximum segment size before encapsulation.
     *
     * @param mss the original TCP maximum segment size (u32)
     */
    public record Mss(long mss) implements TypedOption {
        /**
         * Checks the components.
         *
         * @throws IllegalArgumentException unless {@code mss} fits 32 unsigned bits
         */
        public Mss {
            if (mss < 0 || mss > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("Oxide MSS " + mss + " out of range (expected: 0..4294967295)");
            }
        }

        @Override
        public GeneveOption toOption() {
            return new GeneveOption(OptionClass.OXIDE, MSS_TYPE, Layouts.bytes((int) mss));
        }

        /**
         * The MSS of a decoded option.
         *
         * @throws GeneveFormatException unless it is this option with 4 bytes of data
         */
        public static Mss from(GeneveOption option) {
            Layouts.expect(option, MSS);
            return new Mss(Fields.u32(option, 0));
        }

        /**
         * The MSS of the cursor's option, read in place: no allocation.
         *
         * @throws GeneveFormatException as {@link #from(GeneveOption)}
         */
        public static long read(GeneveOptionCursor cursor) {
            Layouts.expect(cursor, MSS);
            return Fields.u32(cursor, 0);
        }
    }
}
