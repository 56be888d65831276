package io.github.geneve4j.options;

import java.util.Locale;

/**
 * The outcome of a {@link ReceivePolicy} for one packet. Mutable and reusable, so that the accept
 * path allocates nothing: pass one instance per thread to {@link ReceivePolicy#evaluate}.
 */
public final class Verdict {
    /** An empty verdict, to pass to {@link ReceivePolicy#evaluate} (one per thread). */
    public Verdict() {
    }

    /** What to do with the packet. */
    public enum Kind {
        /** Deliver the payload; unknown non-critical options are kept as they are. */
        ACCEPT(false),
        /** The O bit is set: a control packet for the endpoint itself, whose payload is not forwarded. */
        CONTROL(false),
        /** A critical option this receiver does not know: drop (RFC 8926 §3.5). */
        DROP_UNKNOWN_CRITICAL(true),
        /** A known option whose data length its descriptor forbids. */
        DROP_BAD_LENGTH(true),
        /** Strict mode only: the C bit disagrees with the options' critical bits (RFC 8926 §3.4). */
        DROP_CRITICAL_BIT_MISMATCH(true);

        private final boolean drop;

        Kind(boolean drop) {
            this.drop = drop;
        }

        /** Whether the packet is dropped. */
        public boolean drop() {
            return drop;
        }
    }

    private Kind kind = Kind.ACCEPT;
    private int optionClass = -1;
    private int optionType = -1;
    private int offset = -1;
    private int dataLength = -1;
    private OptionDescriptor<?> descriptor;

    Verdict set(Kind kind, int optionClass, int optionType, int offset, int dataLength, OptionDescriptor<?> descriptor) {
        this.kind = kind;
        this.optionClass = optionClass;
        this.optionType = optionType;
        this.offset = offset;
        this.dataLength = dataLength;
        this.descriptor = descriptor;
        return this;
    }

    /** What to do with the packet. */
    public Kind kind() {
        return kind;
    }

    /** The offending option's class, or -1 when no option is at fault. */
    public int optionClass() {
        return optionClass;
    }

    /** The offending option's type, or -1. */
    public int optionType() {
        return optionType;
    }

    /** Offset of the offending option (or, for a C-bit mismatch, of the flags byte) from the header's start, or -1. */
    public int offset() {
        return offset;
    }

    /** The offending option's data length, or -1. */
    public int dataLength() {
        return dataLength;
    }

    /** For {@link Kind#DROP_BAD_LENGTH}: the descriptor whose length rule was broken. */
    public OptionDescriptor<?> descriptor() {
        return descriptor;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case ACCEPT, CONTROL -> kind.name();
            case DROP_UNKNOWN_CRITICAL -> String.format(Locale.ROOT,
                    "DROP_UNKNOWN_CRITICAL: class 0x%04x type 0x%02x at offset %d", optionClass, optionType, offset);
            case DROP_BAD_LENGTH -> String.format(Locale.ROOT,
                    "DROP_BAD_LENGTH: %s with %d bytes of data at offset %d", descriptor, dataLength, offset);
            case DROP_CRITICAL_BIT_MISMATCH -> "DROP_CRITICAL_BIT_MISMATCH: the C bit disagrees with the options";
        };
    }
}
