package io.github.geneve4j.endpoint.bfd;

import io.github.geneve4j.codec.NetworkOrder;
import io.github.geneve4j.endpoint.bfd.BfdFormatException.Reason;
import java.lang.foreign.MemorySegment;

/**
 * An allocation-free, re-wrappable view (flyweight) of a BFD control packet (RFC 5880 §4.1) in
 * place in a buffer.
 *
 * <p>{@code wrap} applies, once, every rule of §6.8.6 that the packet alone decides: version 1, a
 * Length of at least 24 and within the bytes the transport carried, no A bit (no authentication is
 * implemented, so an authenticated packet is discarded), no M bit, a non-zero Detect Mult and My
 * Discriminator, and a Your Discriminator of zero only in the Down and AdminDown states; and the §6.5
 * rule that Poll and Final are never both set. The rules that need a session (whose discriminator,
 * what state) are {@link BfdSession#onPacket}'s. The 24 bytes are read once into three registers;
 * the accessors decode those.
 *
 * <pre>{@code
 * BfdControlView view = new BfdControlView();               // once per thread
 * if (view.tryWrap(frame, bfdOffset, bfdLength)) {          // per packet; allocates nothing
 *     session.onPacket(view, System.nanoTime());
 * } else {
 *     drops.increment(view.errorReason());
 * }
 * }</pre>
 *
 * <p>Error offsets count from the first byte of the packet. A view is not thread-safe.
 */
public final class BfdControlView {

    private MemorySegment segment;
    private long base;
    // the mandatory section, read once by wrap
    private long word0;
    private long word1;
    private long word2;
    private boolean valid;

    // the failure as numbers; its message is built only when asked for
    private Reason errorReason;
    private long errorOffset;
    private long errorFound;
    private long errorExpected;

    /** An unwrapped view; call {@code wrap} or {@code tryWrap} before reading fields. */
    public BfdControlView() {
    }

    /**
     * Wraps the packet at {@code offset}; the transport carried the bytes up to the end of the segment.
     *
     * @return this view
     * @throws BfdFormatException if §6.8.6 says to discard the packet
     * @throws IllegalArgumentException if {@code offset} is outside the segment
     */
    public BfdControlView wrap(MemorySegment segment, long offset) {
        return wrap(segment, offset, segment.byteSize() - offset);
    }

    /**
     * Wraps the packet at {@code offset}, of which the transport carried {@code length} bytes (the
     * UDP payload length).
     *
     * @return this view
     * @throws BfdFormatException if §6.8.6 says to discard the packet
     * @throws IllegalArgumentException if the region lies outside the segment
     */
    public BfdControlView wrap(MemorySegment segment, long offset, long length) {
        if (!tryWrap(segment, offset, length)) {
            throw new BfdFormatException(errorReason, errorOffset, errorMessage());
        }
        return this;
    }

    /** Like {@link #wrap(MemorySegment, long)}, but returns {@code false} on a discarded packet. */
    public boolean tryWrap(MemorySegment segment, long offset) {
        return tryWrap(segment, offset, segment.byteSize() - offset);
    }

    /**
     * Like {@link #wrap(MemorySegment, long, long)}, but reports a packet to discard by returning
     * {@code false} (see {@link #errorReason()}) instead of throwing. Allocates nothing either way.
     *
     * @throws IllegalArgumentException if the region lies outside the segment (a caller's mistake)
     */
    public boolean tryWrap(MemorySegment segment, long offset, long length) {
        BfdWire.checkRegion(segment.byteSize(), offset, length);
        this.valid = false;
        this.segment = segment;
        this.base = offset;
        if (length < Bfd.CONTROL_PACKET_LENGTH) {
            return fail(Reason.TRUNCATED, 0, length, Bfd.CONTROL_PACKET_LENGTH);
        }
        long w0 = segment.get(NetworkOrder.LONG, offset);
        long w1 = segment.get(NetworkOrder.LONG, offset + BfdWire.YOUR_DISCRIMINATOR);
        long w2 = segment.get(NetworkOrder.LONG, offset + BfdWire.REQUIRED_MIN_RX);
        int version = (int) (w0 >>> 61);
        if (version != Bfd.VERSION) {
            return fail(Reason.UNSUPPORTED_VERSION, BfdWire.VERSION_DIAG, version, Bfd.VERSION);
        }
        int declared = (int) (w0 >>> 32) & 0xFF;
        if (declared < Bfd.CONTROL_PACKET_LENGTH) {
            return fail(Reason.BAD_LENGTH, BfdWire.LENGTH, declared, Bfd.CONTROL_PACKET_LENGTH);
        }
        if (declared > length) {
            return fail(Reason.BAD_LENGTH, BfdWire.LENGTH, declared, length);
        }
        int flags = (int) (w0 >>> 48) & 0xFF;
        if ((flags & BfdWire.AUTHENTICATION) != 0) {
            return fail(Reason.AUTHENTICATION_UNSUPPORTED, BfdWire.STATE_FLAGS, 1, 0);
        }
        if (((w0 >>> 40) & 0xFF) == 0) {
            return fail(Reason.ZERO_DETECT_MULT, BfdWire.DETECT_MULT, 0, 1);
        }
        if ((flags & BfdWire.MULTIPOINT) != 0) {
            return fail(Reason.MULTIPOINT, BfdWire.STATE_FLAGS, 1, 0);
        }
        if ((w0 & 0xFFFF_FFFFL) == 0) {
            return fail(Reason.ZERO_MY_DISCRIMINATOR, BfdWire.MY_DISCRIMINATOR, 0, 1);
        }
        int state = flags >>> 6;
        if ((w1 >>> 32) == 0 && state > BfdState.DOWN.code()) {
            return fail(Reason.ZERO_YOUR_DISCRIMINATOR, BfdWire.YOUR_DISCRIMINATOR, state, BfdState.DOWN.code());
        }
        if ((flags & (BfdWire.POLL | BfdWire.FINAL)) == (BfdWire.POLL | BfdWire.FINAL)) {
            return fail(Reason.POLL_AND_FINAL, BfdWire.STATE_FLAGS, 1, 0);
        }
        this.word0 = w0;
        this.word1 = w1;
        this.word2 = w2;
        this.valid = true;
        this.errorReason = null;
        return true;
    }

    private boolean fail(Reason reason, long offset, long found, long expected) {
        this.errorReason = reason;
        this.errorOffset = offset;
        this.errorFound = found;
        this.errorExpected = expected;
        return false;
    }

    /** Why the last {@code tryWrap} failed, or {@code null} after a successful one. */
    public Reason errorReason() {
        return errorReason;
    }

    /** Offset, from the first byte of the packet, of the field that made the last {@code tryWrap} fail. */
    public long errorOffset() {
        return errorOffset;
    }

    /**
     * What the last failed {@code tryWrap} found and expected, as {@link BfdFormatException} says it,
     * or {@code null} after a successful one. Built on demand (allocates).
     */
    public String errorMessage() {
        if (errorReason == null) {
            return null;
        }
        return switch (errorReason) {
            case TRUNCATED -> "BFD control packet truncated: " + errorFound + " bytes (expected: at least "
                    + errorExpected + " bytes)";
            case UNSUPPORTED_VERSION -> "BFD version " + errorFound + " (expected: " + errorExpected + ")";
            case BAD_LENGTH -> errorExpected == Bfd.CONTROL_PACKET_LENGTH
                    ? "BFD Length " + errorFound + " (expected: at least " + errorExpected + ")"
                    : "BFD Length " + errorFound + " beyond the " + errorExpected + " bytes carried";
            case AUTHENTICATION_UNSUPPORTED -> "A bit set (expected: clear; no authentication is configured)";
            case MULTIPOINT -> "M bit set (expected: clear)";
            case ZERO_DETECT_MULT -> "Detect Mult 0 (expected: 1..255)";
            case ZERO_MY_DISCRIMINATOR -> "My Discriminator 0 (expected: non-zero)";
            case ZERO_YOUR_DISCRIMINATOR -> "Your Discriminator 0 in state " + BfdState.ofCode((int) errorFound)
                    + " (expected: non-zero unless Down or AdminDown)";
            case POLL_AND_FINAL -> "Poll and Final both set (expected: at most one)";
        };
    }

    private void checkValid() {
        if (!valid) {
            throw new IllegalStateException("view is not wrapped around a valid BFD control packet");
        }
    }

    /** Whether the last {@code wrap} or {@code tryWrap} succeeded. */
    public boolean isValid() {
        return valid;
    }

    /** The Vers field (always 1 for a wrapped view). */
    public int version() {
        checkValid();
        return (int) (word0 >>> 61);
    }

    /** The raw five-bit Diag field, reserved values included. */
    public int diagnosticCode() {
        checkValid();
        return (int) (word0 >>> 56) & 0x1F;
    }

    /** The Diag field as a constant ({@link BfdDiagnostic#RESERVED} for 9..31). */
    public BfdDiagnostic diagnostic() {
        return BfdDiagnostic.ofCode(diagnosticCode());
    }

    private int flags() {
        checkValid();
        return (int) (word0 >>> 48) & 0xFF;
    }

    /** The Sta field: the sender's session state. */
    public BfdState state() {
        return BfdState.ofCode(flags() >>> 6);
    }

    /** The P bit: the sender asks for a packet with Final at once (§6.5). */
    public boolean poll() {
        return (flags() & BfdWire.POLL) != 0;
    }

    /** The F bit: the answer to our Poll (§6.5). Named so because {@code final} is a Java keyword. */
    public boolean finalFlag() {
        return (flags() & BfdWire.FINAL) != 0;
    }

    /** The C bit: the sender's BFD does not share fate with its control plane. */
    public boolean controlPlaneIndependent() {
        return (flags() & BfdWire.CONTROL_PLANE_INDEPENDENT) != 0;
    }

    /** The D bit: the sender wishes to run in Demand mode (not supported here; recorded only). */
    public boolean demand() {
        return (flags() & BfdWire.DEMAND) != 0;
    }

    /** Detect Mult (1..255). */
    public int detectMult() {
        checkValid();
        return (int) (word0 >>> 40) & 0xFF;
    }

    /** The Length field (24..255; bytes after 24 are ignored). */
    public int length() {
        checkValid();
        return (int) (word0 >>> 32) & 0xFF;
    }

    /** My Discriminator, unsigned (never 0). */
    public long myDiscriminator() {
        checkValid();
        return word0 & 0xFFFF_FFFFL;
    }

    /** Your Discriminator, unsigned (0 only in Down and AdminDown). */
    public long yourDiscriminator() {
        checkValid();
        return word1 >>> 32;
    }

    /** Desired Min TX Interval in microseconds, unsigned. */
    public long desiredMinTxMicros() {
        checkValid();
        return word1 & 0xFFFF_FFFFL;
    }

    /** Required Min RX Interval in microseconds, unsigned; 0 asks us not to send periodically (§6.8.7). */
    public long requiredMinRxMicros() {
        checkValid();
        return word2 >>> 32;
    }

    /** Required Min Echo RX Interval in microseconds, unsigned. */
    public long requiredMinEchoRxMicros() {
        checkValid();
        return word2 & 0xFFFF_FFFFL;
    }

    /** Absolute offset of the packet's first byte in the wrapped segment. */
    public long offset() {
        checkValid();
        return base;
    }

    /** The wrapped segment. */
    public MemorySegment segment() {
        checkValid();
        return segment;
    }

    /** The packet as an immutable record (allocates). */
    public BfdControlPacket toPacket() {
        return new BfdControlPacket(diagnosticCode(), state(), poll(), finalFlag(), controlPlaneIndependent(),
                demand(), detectMult(), myDiscriminator(), yourDiscriminator(), desiredMinTxMicros(),
                requiredMinRxMicros(), requiredMinEchoRxMicros());
    }

    @Override
    public String toString() {
        return valid ? "BfdControlView[" + toPacket() + " at " + base + "]" : "BfdControlView[unwrapped]";
    }
}
