package io.github.geneve4j.options;

import io.github.geneve4j.codec.Geneve;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.ProtocolType;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Composes a header from typed and raw options, with the C bit computed (RFC 8926 §3.4) and the
 * 252-byte limit checked as each option is added.
 *
 * <pre>{@code
 * GeneveHeader header = HeaderBuilder.ethernet(5000)
 *         .add(new OvnPortKeys(1, 2))                              // typed, critical
 *         .add(new GeneveOption(0xFFFF, 0x01, new byte[4]))        // raw
 *         .build();                                                // C bit set
 * }</pre>
 */
public final class HeaderBuilder {

    private final int protocolType;
    private final int vni;
    private boolean oam;
    private final List<GeneveOption> options = new ArrayList<>();
    private int length;

    private HeaderBuilder(int protocolType, int vni) {
        this.protocolType = protocolType;
        this.vni = vni;
    }

    /** A header carrying {@code protocolType} in network {@code vni}. */
    public static HeaderBuilder of(int protocolType, int vni) {
        return new HeaderBuilder(protocolType, vni);
    }

    /** A header carrying Ethernet frames (0x6558) in network {@code vni}. */
    public static HeaderBuilder ethernet(int vni) {
        return of(ProtocolType.ETHERNET, vni);
    }

    /** Sets the O bit (a control packet). */
    public HeaderBuilder oam(boolean oam) {
        this.oam = oam;
        return this;
    }

    /** Adds a typed option. */
    public HeaderBuilder add(TypedOption option) {
        return add(Objects.requireNonNull(option, "option").toOption());
    }

    /**
     * Adds a raw option.
     *
     * @throws IllegalArgumentException naming the option when it would take the options past 252 bytes
     */
    public HeaderBuilder add(GeneveOption option) {
        Objects.requireNonNull(option, "option");
        if (length + option.encodedLength() > Geneve.MAX_OPTIONS_LENGTH) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "option %d (class 0x%04x type 0x%02x, %d bytes) does not fit: the options would take %d bytes"
                            + " (limit: %d)", options.size() + 1, option.optionClass(), option.type(),
                    option.encodedLength(), length + option.encodedLength(), Geneve.MAX_OPTIONS_LENGTH));
        }
        options.add(option);
        length += option.encodedLength();
        return this;
    }

    /** The header, C bit set exactly when an option is critical. */
    public GeneveHeader build() {
        return GeneveHeader.of(protocolType, vni, options).withOam(oam);
    }
}
