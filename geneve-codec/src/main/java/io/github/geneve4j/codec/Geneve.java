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

    // Field offsets from the first byte of the header (§3.4), for code that reads or writes a field
    // in place without a view; read each with NetworkOrder's layouts.
    /** Offset of the byte holding Ver (2 bits) and Opt Len (6 bits, in 4-byte words). */
    public static final int OPTIONS_LENGTH_OFFSET = 0;
    /** Offset of the byte holding the O bit (0x80), the C bit (0x40) and six reserved bits. */
    public static final int FLAGS_OFFSET = 1;
    /** Offset of the Protocol Type field, 16 bits (an EtherType). */
    public static final int PROTOCOL_TYPE_OFFSET = 2;
    /** Offset of the Virtual Network Identifier, 24 bits, followed by a reserved byte. */
    public static final int VNI_OFFSET = 4;

    // Field offsets within one option, from its first byte (§3.5).
    /** Offset of an option's Option Class field, 16 bits. */
    public static final int OPTION_CLASS_OFFSET = 0;
    /** Offset of an option's Type field, 8 bits (its top bit: critical). */
    public static final int OPTION_TYPE_OFFSET = 2;
    /** Offset of the byte holding an option's three reserved bits and its Length (5 bits, in 4-byte words). */
    public static final int OPTION_LENGTH_OFFSET = 3;

    private Geneve() {
    }
}
