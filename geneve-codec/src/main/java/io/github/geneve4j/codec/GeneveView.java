package io.github.geneve4j.codec;

import io.github.geneve4j.codec.GeneveFormatException.Reason;
import io.github.geneve4j.codec.internal.Wire;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * An allocation-free, re-wrappable view (flyweight) of a Geneve header in place in a buffer.
 *
 * <p>{@code wrap} validates the header once (RFC 8926 receipt rules: version 0, Opt Len within the
 * input, options exactly filling Opt Len) and keeps the 8-byte base header and each option's 4-byte
 * header it read on the way in registers and a small array; the accessors decode those, and option
 * data is read straight from the bytes. Re-wrap after changing a header in place.
 * Reserved bits are ignored, never rejected (§3.4). Nothing is copied and, once a view and its
 * buffer exist, nothing is allocated per packet — keep one view per thread and re-wrap it.
 *
 * <pre>{@code
 * GeneveView view = new GeneveView();              // once per thread
 * view.wrap(udpPayload, 0);                        // per packet; throws GeneveFormatException
 * int vni = view.vni();
 * for (GeneveOptionCursor o = view.options(); o.next(); ) {
 *     if (o.critical() && !known(o.optionClass(), o.type())) drop();
 * }
 * long inner = view.payloadOffset();               // the inner frame starts here
 * }</pre>
 *
 * <p>{@link #tryWrap(MemorySegment, long)} is the non-throwing variant for drop decisions: it returns
 * {@code false} and leaves the reason in {@link #errorReason()} and {@link #errorOffset()}.
 *
 * <p>Offsets: {@link #offset()} and {@link #payloadOffset()} are absolute positions in the wrapped
 * segment or buffer; offsets reported for errors and by {@link GeneveOptionCursor#offset()} count
 * from the first byte of the Geneve header. A view is not thread-safe.
 */
public final class GeneveView {

    // exactly one of the two is set: ByteBuffers are read directly, since making a segment of one
    // costs an allocation per wrap
    private MemorySegment segment;
    private ByteBuffer buffer;
    private long base;
    private long end;
    private int headerLength;
    // the 8-byte base header, read once by wrap: the accessors decode it from this register-sized
    // copy instead of going back to memory
    private long word;
    // each option's 4-byte header (class, type, R bits, length), read once by the validating walk,
    // so that walking the options again touches no memory but the data
    private final int[] optionWords = new int[Geneve.MAX_OPTION_COUNT];
    private int optionCount;
    private boolean valid;

    // the failure is kept as numbers; its message is built only when asked for, so that the
    // non-throwing path allocates nothing
    private Reason errorReason;
    private long errorOffset;
    private long errorFound;
    private long errorExpected;

    private final GeneveOptionCursor cursor = new GeneveOptionCursor();

    /** An unwrapped view; call {@code wrap} before reading fields. */
    public GeneveView() {
    }

    /**
     * Wraps the Geneve header that starts at {@code offset} in {@code segment} and validates it. The
     * input ends at the end of the segment.
     *
     * @return this view
     * @throws GeneveFormatException if the bytes are not a valid Geneve header
     * @throws IllegalArgumentException if {@code offset} is outside the segment
     */
    public GeneveView wrap(MemorySegment segment, long offset) {
        if (!tryWrap(segment, offset)) {
            throw error();
        }
        return this;
    }

    /**
     * Wraps the Geneve header that starts at absolute index {@code offset} in {@code buffer} and
     * validates it. The input ends at the buffer's limit; its position and byte order are ignored.
     *
     * @return this view
     * @throws GeneveFormatException if the bytes are not a valid Geneve header
     * @throws IllegalArgumentException if {@code offset} is outside {@code [0, limit]}
     */
    public GeneveView wrap(ByteBuffer buffer, int offset) {
        if (!tryWrap(buffer, offset)) {
            throw error();
        }
        return this;
    }

    /**
     * Like {@link #wrap(MemorySegment, long)}, but reports bad input by returning {@code false}
     * (see {@link #errorReason()}) instead of throwing. Allocates nothing either way.
     */
    public boolean tryWrap(MemorySegment segment, long offset) {
        Wire.checkOffset(segment.byteSize(), offset);
        this.segment = segment;
        this.buffer = null;
        return validate(offset, segment.byteSize());
    }

    /**
     * Wraps the Geneve header at {@code offset} in a datagram of {@code length} bytes (a UDP payload):
     * the header, its options and the payload are bounded by that length, not by the segment's end.
     *
     * @throws GeneveFormatException if the bytes are not a valid Geneve header
     * @throws IllegalArgumentException if the region lies outside the segment
     */
    public GeneveView wrap(MemorySegment segment, long offset, long length) {
        if (!tryWrap(segment, offset, length)) {
            throw error();
        }
        return this;
    }

    /** Like {@link #wrap(MemorySegment, long, long)}, but returns {@code false} on bad input instead of throwing. */
    public boolean tryWrap(MemorySegment segment, long offset, long length) {
        Wire.checkTarget(segment.byteSize(), offset, length, "datagram");
        this.segment = segment;
        this.buffer = null;
        return validate(offset, offset + length);
    }

    /** Like {@link #wrap(ByteBuffer, int)}, but returns {@code false} on bad input instead of throwing. */
    public boolean tryWrap(ByteBuffer buffer, int offset) {
        Wire.checkOffset(buffer.limit(), offset);
        this.segment = null;
        this.buffer = buffer;
        return validate(offset, buffer.limit());
    }

    private boolean validate(long offset, long limit) {
        this.base = offset;
        this.end = limit;
        this.valid = false;
        long available = limit - offset;
        if (available < Geneve.BASE_HEADER_LENGTH) {
            return fail(Reason.TRUNCATED, available, available, Geneve.BASE_HEADER_LENGTH);
        }
        long word = buffer != null ? Wire.int64(buffer, (int) offset) : segment.get(NetworkOrder.LONG, offset);
        int first = (int) (word >>> 56);
        int version = first >>> 6;
        if (version != Geneve.VERSION) {
            return fail(Reason.UNSUPPORTED_VERSION, 0, version, Geneve.VERSION);
        }
        int length = Geneve.BASE_HEADER_LENGTH + ((first & 0x3F) << 2);
        if (available < length) {
            return fail(Reason.TRUNCATED, available, available, length);
        }
        // Options are 4-byte aligned and at least 4 bytes long, so this loop ends within 63 steps
        // and an option header never straddles the end of the area: only its data can overrun.
        int position = Geneve.BASE_HEADER_LENGTH;
        int count = 0;
        while (position < length) {
            long at = offset + position;
            int optionWord = buffer != null ? Wire.int32(buffer, (int) at) : segment.get(NetworkOrder.INT, at);
            int next = position + Geneve.OPTION_HEADER_LENGTH + ((optionWord & 0x1F) << 2);
            if (next > length) {
                return fail(Reason.OPTION_OVERRUN, position, next, length);
            }
            optionWords[count++] = optionWord;
            position = next;
        }
        this.optionCount = count;
        this.headerLength = length;
        this.word = word;
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

    private GeneveFormatException error() {
        return new GeneveFormatException(errorReason, errorOffset, errorMessage());
    }

    /**
     * What the last failed {@code tryWrap} found and expected, as {@link GeneveFormatException}
     * would say it, or {@code null} after a successful one. Built on demand (allocates).
     */
    public String errorMessage() {
        if (errorReason == null) {
            return null;
        }
        return switch (errorReason) {
            case TRUNCATED -> errorExpected == Geneve.BASE_HEADER_LENGTH
                    ? "Geneve header truncated: " + errorFound + " bytes (expected: at least "
                            + Geneve.BASE_HEADER_LENGTH + " bytes)"
                    : "Geneve header truncated: " + errorFound + " bytes, but Opt Len "
                            + (errorExpected - Geneve.BASE_HEADER_LENGTH) / 4 + " announces "
                            + errorExpected + " bytes";
            case UNSUPPORTED_VERSION -> "Geneve version " + errorFound + " (expected: " + errorExpected + ")";
            case OPTION_OVERRUN -> "option at offset " + errorOffset + " with "
                    + (errorFound - errorOffset - Geneve.OPTION_HEADER_LENGTH)
                    + " bytes of data ends at offset " + errorFound + " (expected: at most "
                    + errorExpected + ", the end of the options)";
            default -> errorReason + " (found " + errorFound + ", expected " + errorExpected + ")";
        };
    }

    /** Why the last {@code tryWrap} failed, or {@code null} after a successful one. */
    public Reason errorReason() {
        return errorReason;
    }

    /** Offset from the start of the header at which the last {@code tryWrap} failed. */
    public long errorOffset() {
        return errorOffset;
    }

    private void checkValid() {
        if (!valid) {
            throw new IllegalStateException("view is not wrapped around a valid Geneve header");
        }
    }

    /** The Version field (always 0 for a wrapped view). */
    public int version() {
        checkValid();
        return (int) (word >>> 62);
    }

    /** Opt Len in bytes: the length of all options (0..252). */
    public int optionsLength() {
        checkValid();
        return headerLength - Geneve.BASE_HEADER_LENGTH;
    }

    /** Header length in bytes, options included (8..260). */
    public int headerLength() {
        checkValid();
        return headerLength;
    }

    /** The O bit: a control (OAM) packet, whose payload an endpoint must not forward (§3.4). */
    public boolean oam() {
        checkValid();
        return (word & (0x80L << 48)) != 0;
    }

    /** The C bit exactly as received. */
    public boolean critical() {
        checkValid();
        return (word & (0x40L << 48)) != 0;
    }

    /** The Protocol Type (an EtherType, see {@link ProtocolType}). */
    public int protocolType() {
        checkValid();
        return (int) (word >>> 32) & 0xFFFF;
    }

    /** The 24-bit Virtual Network Identifier. */
    public int vni() {
        checkValid();
        return (int) (word >>> 8) & 0xFF_FFFF;
    }

    /** Absolute offset of the header's first byte in the wrapped segment or buffer. */
    public long offset() {
        checkValid();
        return base;
    }

    /** Absolute offset of the first payload byte (the inner frame) in the wrapped segment or buffer. */
    public long payloadOffset() {
        checkValid();
        return base + headerLength;
    }

    /** Number of bytes after the header up to the end of the input. */
    public long payloadLength() {
        checkValid();
        return end - base - headerLength;
    }

    /**
     * The wrapped segment; for a wrapped {@link ByteBuffer}, a new segment over its whole capacity
     * (offsets stay absolute).
     */
    public MemorySegment segment() {
        checkValid();
        return buffer != null ? Wire.segmentOf(buffer) : segment;
    }

    /** The payload as a slice of the wrapped memory: no copy, one small allocation. */
    public MemorySegment payloadSegment() {
        return segment().asSlice(payloadOffset(), payloadLength());
    }

    /**
     * The payload as a slice of the wrapped buffer: no copy, one small allocation.
     *
     * @throws IllegalStateException if the view wraps a {@link MemorySegment}, not a buffer
     */
    public ByteBuffer payloadBuffer() {
        checkValid();
        if (buffer == null) {
            throw new IllegalStateException("view wraps a MemorySegment; use payloadSegment()");
        }
        return buffer.slice((int) payloadOffset(), (int) payloadLength());
    }

    /** The header's options from the first, through a cursor this view owns (no allocation). */
    public GeneveOptionCursor options() {
        checkValid();
        cursor.reset(segment, buffer, base, optionWords, optionCount);
        return cursor;
    }

    /** Number of options in the header. */
    public int optionCount() {
        checkValid();
        return optionCount;
    }

    /** Whether any option has its critical bit set, whatever the C bit says. */
    public boolean hasCriticalOption() {
        for (GeneveOptionCursor o = options(); o.next(); ) {
            if (o.critical()) {
                return true;
            }
        }
        return false;
    }

    /** The header as an immutable record, C bit as received (allocates). */
    public GeneveHeader toHeader() {
        checkValid();
        List<GeneveOption> options = new ArrayList<>();
        for (GeneveOptionCursor o = options(); o.next(); ) {
            options.add(o.toOption());
        }
        return new GeneveHeader(version(), oam(), critical(), protocolType(), vni(), options);
    }

    @Override
    public String toString() {
        return valid ? "GeneveView[" + toHeader() + " at " + base + "]" : "GeneveView[unwrapped]";
    }
}
