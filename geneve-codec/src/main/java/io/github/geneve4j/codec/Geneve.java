package io.github.geneve4j.codec;

/**
 * Constants of the Geneve wire format (RFC 8926 §3.4, §3.5).
 *
 * <p>Sizes are in bytes. The limits follow from the field widths: Opt Len is 6 bits of 4-byte words,
 * an option's Length 5 bits of 4-byte words.
 */
public final class Geneve {

    /** The IANA-assigned UDP destination port (§3.3). Decoders never assume it; it is a default. */
    public static final int UDP_PORT = 6081;
    /** The only version defined (§3.4); an endpoint drops any other. */
    public static final int VERSION = 0;
    /** Length of the fixed part of the header: flags, protocol type, VNI and reserved byte. */
    public static final int BASE_HEADER_LENGTH = 8;
    /** Largest possible header: base plus 63 words of options. */
    public static final int MAX_HEADER_LENGTH = BASE_HEADER_LENGTH + 63 * 4;
    /** Largest total length of all options of one header (63 four-byte words). */
    public static final int MAX_OPTIONS_LENGTH = 63 * 4;
    /** Length of one option's header: class, type and length. */
    public static final int OPTION_HEADER_LENGTH = 4;
    /** Largest data of one option (31 four-byte words); 128 would wrap the 5-bit field to 0. */
    public static final int MAX_OPTION_DATA_LENGTH = 31 * 4;
    /** The most options one header can hold (all of them without data). */
    public static final int MAX_OPTION_COUNT = MAX_OPTIONS_LENGTH / OPTION_HEADER_LENGTH;
    /** The largest Virtual Network Identifier (24 bits). */
    public static final int MAX_VNI = 0xFF_FFFF;
    /** The critical bit within an option's Type field. */
    public static final int CRITICAL_TYPE_BIT = 0x80;

    private Geneve() {
    }
}
