package io.github.geneve4j.codec;

import java.util.Objects;

/**
 * Bad wire input: the bytes do not form what the decoder was asked to read.
 *
 * <p>Carries a {@link Reason} that callers and tools may switch on, and the byte offset at which
 * parsing failed, counted from the start of the structure being decoded (for a Geneve header, from
 * its first byte). The message states the value found and what was expected.
 *
 * <pre>{@code
 * try {
 *     view.wrap(segment, 0);
 * } catch (GeneveFormatException e) {
 *     drops.increment(e.reason());
 * }
 * }</pre>
 */
public final class GeneveFormatException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Why input was rejected. Names are stable: tools print them and tests rely on them. */
    public enum Reason {
        /** Fewer bytes than the header announces: below 8, or below 8 + 4 × Opt Len. */
        TRUNCATED,
        /** The version field is not 0 (RFC 8926 §3.4: an endpoint drops the packet). */
        UNSUPPORTED_VERSION,
        /** An option's header or data runs past the end of the options area (Opt Len). */
        OPTION_OVERRUN,
        /** A length field disagrees with the data that carries it (lower-layer headers). */
        BAD_LENGTH,
        /** A field holds a value the decoder does not accept (lower-layer headers). */
        BAD_VALUE,
        /** A protocol the decoder does not handle (for example an inner frame that is not TCP). */
        UNSUPPORTED_PROTOCOL,
        /** A checksum does not verify. */
        BAD_CHECKSUM,
        /** The frame cannot be made to fit the MTU: its headers alone leave no room for payload. */
        EXCEEDS_MTU,
        /**
         * Well-formed, but not a Geneve packet: not IP, not UDP, or not to the Geneve port. On a
         * receive path this is ordinary traffic (ARP, other UDP), not damage.
         */
        NOT_GENEVE,
        /**
         * An IP fragment (IPv4 More Fragments or a fragment offset; an IPv6 Fragment header, first
         * fragment or not): its upper-layer header and length are not those of a whole packet, so it is
         * never read as one (RFC 791, RFC 8200 §4.5).
         */
        FRAGMENT
    }

    private final Reason reason;
    private final long offset;

    /**
     * @param reason why the input was rejected
     * @param offset the byte offset at which parsing failed, from the start of the decoded structure
     * @param message what was found and what was expected
     */
    public GeneveFormatException(Reason reason, long offset, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.offset = offset;
    }

    /** Why the input was rejected. */
    public Reason reason() {
        return reason;
    }

    /** Byte offset at which parsing failed, from the start of the decoded structure. */
    public long offset() {
        return offset;
    }

    @Override
    public String getMessage() {
        return reason + " at offset " + offset + ": " + super.getMessage();
    }
}
