package io.github.geneve4j.options.telemetry;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * In-band Network Telemetry over Geneve, class 0x0103, as the P4.org INT Dataplane Specification
 * v2.1 ({@code telemetry/specs/INT.mdk} of p4lang/p4-applications, "INT over Geneve" and "INT-MD
 * Metadata Header Format") defines it. The option's type is the INT header type: 1 INT-MD
 * (hop-by-hop metadata, decoded here), 2 INT-Destination (its format not yet defined by the
 * specification: kept raw, named), 3 INT-MX (kept raw, named).
 *
 * <p>INT-MD data: a 12-byte header — Ver (4 bits), D, E, M (1 bit each), 12 reserved bits, Hop ML
 * (5 bits, the words each hop adds), Remaining Hop Count (8 bits); Instruction Bitmap (16),
 * Domain Specific ID (16); DS Instruction (16), DS Flags (16) — then the metadata stack, the most
 * recent hop first. The stack is given as one {@link Hop} per Hop ML words, raw 32-bit words (typing
 * them by the instruction bitmap is left to the reader); words that do not fill a last hop (a
 * source's 'source-only' metadata) are {@link IntMetadata#trailing()}.
 */
public final class IntOptions {

    /** The type of INT-MD (1). */
    public static final int MD_TYPE = 1;
    /** The type of INT-Destination (2). */
    public static final int DESTINATION_TYPE = 2;
    /** The type of INT-MX (3). */
    public static final int MX_TYPE = 3;

    /** INT-MD: class 0x0103, type 1, 12 to 124 bytes. */
    public static final OptionDescriptor<IntMetadata> MD = new OptionDescriptor<>(OptionClass.INT, MD_TYPE,
            "INT-MD metadata", LengthRule.range(12, 124),
            OptionCodec.of(IntMetadata::from, c -> Fields.viaOption(c, IntMetadata::from), IntMetadata::toOption));
    /** INT-Destination: class 0x0103, type 2, kept raw (the specification does not define it yet). */
    public static final OptionDescriptor<GeneveOption> DESTINATION = OptionDescriptor.raw(OptionClass.INT,
            DESTINATION_TYPE, "INT-Destination", LengthRule.any());
    /** INT-MX: class 0x0103, type 3, kept raw. */
    public static final OptionDescriptor<GeneveOption> MX = OptionDescriptor.raw(OptionClass.INT, MX_TYPE,
            "INT-MX", LengthRule.any());

    private IntOptions() {
    }

    /**
     * One hop's entry of the INT-MD metadata stack, kept as raw words.
     *
     * @param words the hop's metadata, 32-bit words as unsigned values, in wire order
     */
    public record Hop(List<Long> words) {
        /** Copies {@code words}. */
        public Hop {
            words = List.copyOf(words);
        }
    }

    /**
     * An INT-MD option.
     *
     * @param version Ver (4 bits; 2 for v2.x)
     * @param discard D: the sink discards the packet after extracting the metadata
     * @param maxHopCountExceeded E: a hop could not add its metadata, the remaining hop count being 0
     * @param mtuExceeded M: a hop could not add its metadata for the egress MTU
     * @param hopMetadataLength Hop ML: 32-bit words each hop adds (5 bits)
     * @param remainingHopCount hops that may still add metadata (8 bits)
     * @param instructionBitmap the instruction bitmap (16 bits)
     * @param domainSpecificId the domain-specific ID (16 bits)
     * @param domainSpecificInstruction the DS instruction (16 bits)
     * @param domainSpecificFlags the DS flags (16 bits)
     * @param hops the metadata stack, one entry per hop, the most recent first
     * @param trailing stack words after the last whole hop (unsigned 32-bit values)
     */
    public record IntMetadata(int version, boolean discard, boolean maxHopCountExceeded, boolean mtuExceeded,
            int hopMetadataLength, int remainingHopCount, int instructionBitmap, int domainSpecificId,
            int domainSpecificInstruction, int domainSpecificFlags, List<Hop> hops, List<Long> trailing)
            implements TypedOption {

        /**
         * Checks the components.
         *
         * @throws IllegalArgumentException if a field does not fit its width or the option would pass 124 bytes
         */
        public IntMetadata {
            check("version", version, 0xF);
            check("Hop ML", hopMetadataLength, 0x1F);
            check("remaining hop count", remainingHopCount, 0xFF);
            check("instruction bitmap", instructionBitmap, 0xFFFF);
            check("domain-specific ID", domainSpecificId, 0xFFFF);
            check("DS instruction", domainSpecificInstruction, 0xFFFF);
            check("DS flags", domainSpecificFlags, 0xFFFF);
            hops = List.copyOf(hops);
            trailing = List.copyOf(trailing);
            int words = trailing.size();
            for (Hop hop : hops) {
                if (hop.words().size() != hopMetadataLength) {
                    throw new IllegalArgumentException("INT hop of " + hop.words().size() + " words (expected: Hop ML "
                            + hopMetadataLength + ")");
                }
                words += hop.words().size();
            }
            if (12 + 4 * words > 124) {
                throw new IllegalArgumentException("INT-MD of " + (12 + 4 * words) + " bytes (expected: at most 124)");
            }
        }

        private static void check(String field, int value, int max) {
            if (value < 0 || value > max) {
                throw new IllegalArgumentException("INT " + field + " " + value + " out of range (expected: 0.." + max + ")");
            }
        }

        @Override
        public GeneveOption toOption() {
            List<Long> words = new ArrayList<>();
            for (Hop hop : hops) {
                words.addAll(hop.words());
            }
            words.addAll(trailing);
            byte[] d = new byte[12 + 4 * words.size()];
            int first = version << 28 | (discard ? 1 << 27 : 0) | (maxHopCountExceeded ? 1 << 26 : 0)
                    | (mtuExceeded ? 1 << 25 : 0) | hopMetadataLength << 8 | remainingHopCount;
            put(d, 0, first);
            put(d, 4, instructionBitmap << 16 | domainSpecificId);
            put(d, 8, domainSpecificInstruction << 16 | domainSpecificFlags);
            for (int i = 0; i < words.size(); i++) {
                put(d, 12 + 4 * i, words.get(i).intValue());
            }
            return new GeneveOption(OptionClass.INT, MD_TYPE, d);
        }

        private static void put(byte[] d, int at, int value) {
            System.arraycopy(Layouts.bytes(value), 0, d, at, 4);
        }

        /**
         * The INT-MD header and stack of a decoded option; the reserved bits are ignored.
         *
         * @throws GeneveFormatException unless it is this option with at least 12 bytes of data
         */
        public static IntMetadata from(GeneveOption option) {
            Layouts.expect(option, MD);
            long first = Fields.u32(option, 0);
            int hopMl = (int) (first >>> 8) & 0x1F;
            int stack = (option.dataLength() - 12) / 4;
            List<Hop> hops = new ArrayList<>();
            int at = 12;
            for (int h = 0; hopMl > 0 && h < stack / hopMl; h++) {
                List<Long> words = new ArrayList<>(hopMl);
                for (int w = 0; w < hopMl; w++, at += 4) {
                    words.add(Fields.u32(option, at));
                }
                hops.add(new Hop(words));
            }
            List<Long> trailing = new ArrayList<>();
            for (; at < option.dataLength(); at += 4) {
                trailing.add(Fields.u32(option, at));
            }
            return new IntMetadata((int) (first >>> 28), (first & 1L << 27) != 0, (first & 1L << 26) != 0,
                    (first & 1L << 25) != 0, hopMl, (int) first & 0xFF, Fields.u16(option, 4), Fields.u16(option, 6),
                    Fields.u16(option, 8), Fields.u16(option, 10), hops, trailing);
        }
    }

    /**
     * Hop ML of the cursor's INT-MD option (the words each hop adds), read in place: no allocation.
     *
     * @throws GeneveFormatException unless it is an INT-MD option with at least 12 bytes of data
     */
    public static int hopMetadataLength(GeneveOptionCursor cursor) {
        Layouts.expect(cursor, MD);
        return (cursor.dataInt(0) >>> 8) & 0x1F;
    }

    /**
     * The remaining hop count of the cursor's INT-MD option, read in place.
     *
     * @throws GeneveFormatException as {@link #hopMetadataLength(GeneveOptionCursor)}
     */
    public static int remainingHopCount(GeneveOptionCursor cursor) {
        Layouts.expect(cursor, MD);
        return cursor.dataInt(0) & 0xFF;
    }

    /**
     * The instruction bitmap of the cursor's INT-MD option, read in place.
     *
     * @throws GeneveFormatException as {@link #hopMetadataLength(GeneveOptionCursor)}
     */
    public static int instructionBitmap(GeneveOptionCursor cursor) {
        Layouts.expect(cursor, MD);
        return cursor.dataU16(4);
    }

    /**
     * How many whole hops the cursor's INT-MD stack holds, read in place.
     *
     * @throws GeneveFormatException as {@link #hopMetadataLength(GeneveOptionCursor)}
     */
    public static int hopCount(GeneveOptionCursor cursor) {
        int hopMl = hopMetadataLength(cursor);
        return hopMl == 0 ? 0 : (cursor.dataLength() - 12) / 4 / hopMl;
    }

    /**
     * Word {@code word} of hop {@code hop} (0: the most recent) of the cursor's INT-MD stack, as an
     * unsigned value, read in place.
     *
     * @throws GeneveFormatException as {@link #hopMetadataLength(GeneveOptionCursor)}
     * @throws IndexOutOfBoundsException if the stack has no such hop or word
     */
    public static long hopWord(GeneveOptionCursor cursor, int hop, int word) {
        int hopMl = hopMetadataLength(cursor);
        Objects.checkIndex(hop, hopCount(cursor));
        Objects.checkIndex(word, hopMl);
        return Fields.u32(cursor, 12 + 4 * (hop * hopMl + word));
    }
}
