package io.github.geneve4j.codec;

import java.util.Objects;

/**
 * Bad wire input: the bytes do not form what the decoder was asked to read.
 *
 * <p>Carries a {@link Reason} that callers and tools may switch on, and the byte offset at which
 * parsing failed, counted from the base the throwing method documents: the first byte of the
 * structure it was given (a Geneve header for {@code GeneveView}, the whole frame for
 * {@code FrameLocator}, {@code GeneveFrameView} and {@code TcpSegmenter}, the inner frame for
 * {@code TcpCoalescer}). The message states the value found and what was expected. Only bad input
 * is reported so: the caller's own mistakes (bounds outside the buffer, a configuration that cannot
 * work, such as an MTU too small for a frame's headers) are {@link IllegalArgumentException}s.
 * Receive paths should prefer the {@code tryWrap} forms, which throw nothing; where a hot path
 * must throw, {@link #stackless} makes the exception without a stack trace.
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

    /** Why the input was rejected. */
    private final Reason reason;
    /** Where parsing failed, from the start of the decoded structure. */
    private final long offset;

    /**
     * Bad input at {@code offset}, for {@code reason}; {@link #getMessage()} prefixes the message
     * with both.
     *
     * @param reason why the input was rejected
     * @param offset the byte offset at which parsing failed, from the start of the decoded structure
     * @param message what was found and what was expected
     */
    public GeneveFormatException(Reason reason, long offset, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.offset = offset;
    }

    private GeneveFormatException(Reason reason, long offset, String message, boolean stackTrace) {
        super(message, null, false, stackTrace);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.offset = offset;
    }

    /**
     * The exception without a stack trace (nor suppression): for a path that throws per packet, where
     * walking the stack would cost more than the work. Same reason, offset and message.
     */
    public static GeneveFormatException stackless(Reason reason, long offset, String message) {
        return new GeneveFormatException(reason, offset, message, false);
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
