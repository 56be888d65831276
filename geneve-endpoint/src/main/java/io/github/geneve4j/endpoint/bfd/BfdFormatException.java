package io.github.geneve4j.endpoint.bfd;

import java.util.Objects;

/**
 * A BFD control packet that RFC 5880 §6.8.6 says to discard, thrown by
 * {@link BfdControlView#wrap(java.lang.foreign.MemorySegment, long, long)} and
 * {@link BfdControlPacket#decode}. The non-throwing {@link BfdControlView#tryWrap} leaves the same
 * {@link Reason} in the view instead.
 */
public final class BfdFormatException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Why a control packet is discarded. Names are stable: statistics and tests use them. */
    public enum Reason {
        /** Fewer than 24 bytes: not even the mandatory section. */
        TRUNCATED,
        /** The version is not 1 (§6.8.6). */
        UNSUPPORTED_VERSION,
        /** The Length field is below 24, or beyond the bytes the transport carried (§6.8.6). */
        BAD_LENGTH,
        /** The A bit is set: we implement no authentication, so §6.8.6 says discard. */
        AUTHENTICATION_UNSUPPORTED,
        /** The M bit is set (§6.8.6: reserved for multipoint BFD, must be zero). */
        MULTIPOINT,
        /** Detect Mult is zero (§6.8.6). */
        ZERO_DETECT_MULT,
        /** My Discriminator is zero (§6.8.6). */
        ZERO_MY_DISCRIMINATOR,
        /** Your Discriminator is zero while the state is Init or Up (§6.8.6). */
        ZERO_YOUR_DISCRIMINATOR,
        /** Both Poll and Final are set, which §6.5 forbids. */
        POLL_AND_FINAL
    }

    /** Why the packet is discarded. */
    private final Reason reason;
    /** The byte offset of the offending field, from the first byte of the packet. */
    private final long offset;

    /**
     * A control packet refused for {@code reason}.
     *
     * @param reason why the packet is discarded
     * @param offset the byte offset of the offending field, from the first byte of the packet
     * @param message what was found and what was expected
     */
    public BfdFormatException(Reason reason, long offset, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.offset = offset;
    }

    /** Why the packet is discarded. */
    public Reason reason() {
        return reason;
    }

    /** The byte offset of the offending field, from the first byte of the packet. */
    public long offset() {
        return offset;
    }

    @Override
    public String getMessage() {
        return reason + " at offset " + offset + ": " + super.getMessage();
    }
}
