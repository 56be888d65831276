package io.github.geneve4j.options.ovn;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.GeneveOptionCursor;
import io.github.geneve4j.options.LengthRule;
import io.github.geneve4j.options.OptionClass;
import io.github.geneve4j.options.OptionCodec;
import io.github.geneve4j.options.OptionDescriptor;
import io.github.geneve4j.options.TypedOption;
import io.github.geneve4j.options.internal.Layouts;

/**
 * OVN's option, class 0x0102, type 0x80 (critical), 4 bytes: the logical ingress and egress port
 * keys of the packet in its logical datapath (whose key is the VNI). Layout, as OVN's
 * {@code controller/physical.c} writes it (a 16-bit egress key loaded at bit 0, the 15-bit ingress
 * key moved to bit 16) and {@code ovn-architecture(7)} describes it: bit 31 reserved (zero), bits
 * 30–16 the logical ingress port, bits 15–0 the logical egress port.
 *
 * @param ingress the logical ingress port key (15 bits)
 * @param egress the logical egress port key (16 bits)
 */
public record OvnPortKeys(int ingress, int egress) implements TypedOption {

    /** The option's type, 0x80: critical. */
    public static final int TYPE = 0x80;
    /** The option: class 0x0102, type 0x80, 4 bytes. */
    public static final OptionDescriptor<OvnPortKeys> DESCRIPTOR = new OptionDescriptor<>(OptionClass.OVN, TYPE,
            "OVN logical ingress/egress port keys", LengthRule.fixed(4),
            OptionCodec.of(OvnPortKeys::from, c -> new OvnPortKeys(ingress(c), egress(c)), OvnPortKeys::toOption));

    /**
     * Checks the keys.
     *
     * @throws IllegalArgumentException unless {@code ingress} fits 15 bits and {@code egress} 16
     */
    public OvnPortKeys {
        if (ingress < 0 || ingress > 0x7FFF) {
            throw new IllegalArgumentException("OVN ingress port key " + ingress + " out of range (expected: 0..32767)");
        }
        if (egress < 0 || egress > 0xFFFF) {
            throw new IllegalArgumentException("OVN egress port key " + egress + " out of range (expected: 0..65535)");
        }
    }

    @Override
    public GeneveOption toOption() {
        return new GeneveOption(OptionClass.OVN, TYPE, Layouts.bytes(ingress << 16 | egress));
    }

    /**
     * Decodes the keys from an option of this kind.
     *
     * @param option an option of class OVN, type 0x80
     * @return its keys
     * @throws GeneveFormatException {@code BAD_LENGTH} unless the data is 4 bytes; the reserved bit is
     *     ignored on receipt
     */
    public static OvnPortKeys from(GeneveOption option) {
        Layouts.expect(option, DESCRIPTOR);
        int value = Layouts.int32(option, 0);
        return new OvnPortKeys((value >>> 16) & 0x7FFF, value & 0xFFFF);
    }

    /**
     * The logical ingress port key of the option the cursor is on, read in place: no allocation.
     *
     * @throws GeneveFormatException {@code BAD_VALUE} if it is not this option, {@code BAD_LENGTH}
     *     unless its data is 4 bytes (offsets from the first byte of the Geneve header)
     */
    public static int ingress(GeneveOptionCursor cursor) {
        Layouts.expect(cursor, DESCRIPTOR);
        return (cursor.dataInt(0) >>> 16) & 0x7FFF;
    }

    /**
     * The logical egress port key of the option the cursor is on, read in place: no allocation.
     *
     * @throws GeneveFormatException as {@link #ingress(GeneveOptionCursor)}
     */
    public static int egress(GeneveOptionCursor cursor) {
        Layouts.expect(cursor, DESCRIPTOR);
        return cursor.dataInt(0) & 0xFFFF;
    }
}
