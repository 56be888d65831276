package io.github.geneve4j.options.linux;

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
 * The Linux kernel's GRO hint, class 0x0100 (Linux), type 0x01 (non-critical), 4 bytes: a
 * sender that puts a UDP tunnel inside Geneve (double encapsulation) tells the receiver where the
 * nested headers are, so that it can aggregate the whole packets. Layout, from the kernel's own
 * definition ({@code struct geneve_opt_gro_hint} in {@code drivers/net/geneve.c}, added by the
 * series "geneve: add GRO hint output path", Paolo Abeni, netdev, January 2026): byte 0 holds
 * {@code inner_proto_id:2, nested_is_v6:1} as C bit-fields, then {@code nested_nh_offset},
 * {@code nested_tp_offset} and {@code nested_hdr_len}, one byte each.
 *
 * <p>The kernel declares the bit-fields without a big-endian variant, so their place in byte 0 is
 * the compiler's: on the little-endian machines Linux runs on (x86-64, arm64) {@code inner_proto_id}
 * is bits 1–0 and {@code nested_is_v6} bit 2, which is what we read and write; bits 7–3 are ignored
 * on receipt and written as zero. {@code inner_proto_id} indexes the kernel's {@code proto_id_map}:
 * 0 Ethernet (0x6558), 1 IPv6 (0x86DD), 2 IPv4 (0x0800); 3 is refused, as the kernel refuses it.
 *
 * @param innerProtocol the EtherType of the innermost payload: 0x6558, 0x86DD or 0x0800
 * @param nestedIpv6 whether the nested network header is IPv6
 * @param nestedNetworkOffset the nested network header's offset (bytes)
 * @param nestedTransportOffset the nested transport (UDP) header's offset (bytes)
 * @param nestedHeaderLength the length of the nested headers (bytes)
 */
public record GroHint(int innerProtocol, boolean nestedIpv6, int nestedNetworkOffset, int nestedTransportOffset,
        int nestedHeaderLength) implements TypedOption {

    /** The option's type, 0x01. */
    public static final int TYPE = 0x01;
    /** The option: class 0x0100, type 0x01, 4 bytes. */
    public static final OptionDescriptor<GroHint> DESCRIPTOR = new OptionDescriptor<>(OptionClass.LINUX, TYPE,
            "Linux GRO hint", LengthRule.fixed(4), OptionCodec.of(GroHint::from, GroHint::fromCursor, GroHint::toOption));

    private static final int[] PROTOCOLS = {0x6558, 0x86DD, 0x0800};

    /**
     * Checks the components.
     *
     * @throws IllegalArgumentException for another inner protocol or an offset beyond a byte
     */
    public GroHint {
        protocolId(innerProtocol);
        for (int v : new int[] {nestedNetworkOffset, nestedTransportOffset, nestedHeaderLength}) {
            if (v < 0 || v > 0xFF) {
                throw new IllegalArgumentException("GRO hint offset " + v + " out of range (expected: 0..255)");
            }
        }
    }

    private static int protocolId(int etherType) {
        for (int id = 0; id < PROTOCOLS.length; id++) {
            if (PROTOCOLS[id] == etherType) {
                return id;
            }
        }
        throw new IllegalArgumentException(String.format(
                "GRO hint inner protocol 0x%04x (expected: 0x6558, 0x86dd or 0x0800)", etherType));
    }

    @Override
    public GeneveOption toOption() {
        int first = protocolId(innerProtocol) | (nestedIpv6 ? 0x04 : 0);
        return new GeneveOption(OptionClass.LINUX, TYPE, new byte[] {(byte) first, (byte) nestedNetworkOffset,
            (byte) nestedTransportOffset, (byte) nestedHeaderLength});
    }

    /**
     * The hint of a decoded option.
     *
     * @throws GeneveFormatException unless it is this option with 4 bytes of data; {@code BAD_VALUE}
     *     for inner protocol ID 3
     */
    public static GroHint from(GeneveOption option) {
        Layouts.expect(option, DESCRIPTOR);
        int first = Fields.u8(option, 0);
        if ((first & 3) == 3) {
            throw Fields.badValue(DESCRIPTOR, 0, "inner protocol ID 3 (expected: 0, 1 or 2)");
        }
        return new GroHint(PROTOCOLS[first & 3], (first & 0x04) != 0, Fields.u8(option, 1), Fields.u8(option, 2),
                Fields.u8(option, 3));
    }

    private static GroHint fromCursor(GeneveOptionCursor c) {
        return new GroHint(innerProtocol(c), (c.dataU8(0) & 0x04) != 0, c.dataU8(1), c.dataU8(2), c.dataU8(3));
    }

    /**
     * The inner protocol's EtherType of the cursor's option, read in place: no allocation.
     *
     * @throws GeneveFormatException as {@link #from(GeneveOption)}
     */
    public static int innerProtocol(GeneveOptionCursor cursor) {
        Layouts.expect(cursor, DESCRIPTOR);
        int id = cursor.dataU8(0) & 3;
        if (id == 3) {
            throw Fields.badValue(DESCRIPTOR, cursor, 0, "inner protocol ID 3 (expected: 0, 1 or 2)");
        }
        return PROTOCOLS[id];
    }

    /**
     * The nested headers' length of the cursor's option, read in place.
     *
     * @throws GeneveFormatException unless it is this option with 4 bytes of data
     */
    public static int nestedHeaderLength(GeneveOptionCursor cursor) {
        Layouts.expect(cursor, DESCRIPTOR);
        return cursor.dataU8(3);
    }

    /** The EtherType in hex: {@code GroHint[inner 0x6558, IPv4, nh 14, tp 34, len 50]}. */
    @Override
    public String toString() {
        return String.format("GroHint[inner 0x%04x, %s, nh %d, tp %d, len %d]", innerProtocol,
                nestedIpv6 ? "IPv6" : "IPv4", nestedNetworkOffset, nestedTransportOffset, nestedHeaderLength);
    }
}
