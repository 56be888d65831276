package io.github.geneve4j.codec.internal;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveFormatException.Reason;
import java.util.Locale;

/**
 * Why a view's last {@code tryWrap} failed, kept without allocating: the reason, the offset, a
 * constant message template and its numbers. The message (and the exception) is made only when
 * asked for, by a caller that throws.
 */
public final class WrapError {

    /** No failure yet: {@link #reason()} is null until the first {@code fail}. */
    public WrapError() {
    }

    private Reason reason;
    private long offset;
    private String template;
    private long a;
    private long b;
    private long c;

    /**
     * Records a failure; returns false, for {@code return error.fail(...)}.
     *
     * @param template a {@link String#format} template with up to two {@code %d}
     */
    public boolean fail(Reason reason, long offset, String template, long a, long b) {
        return fail(reason, offset, template, a, b, 0);
    }

    /** Records a failure whose template has up to three {@code %d}; returns false. */
    public boolean fail(Reason reason, long offset, String template, long a, long b, long c) {
        this.reason = reason;
        this.offset = offset;
        this.template = template;
        this.a = a;
        this.b = b;
        this.c = c;
        return false;
    }

    /** The reason of the last failure (null before any). */
    public Reason reason() {
        return reason;
    }

    /** The offset of the last failure. */
    public long offset() {
        return offset;
    }

    /** Whether the last failure has a message template (a caller may record one without). */
    public boolean hasTemplate() {
        return template != null;
    }

    /** The last failure's message. */
    public String message() {
        return template == null ? null : String.format(Locale.ROOT, template, a, b, c);
    }

    /** The last failure as the exception {@code wrap} throws. */
    public GeneveFormatException exception() {
        return new GeneveFormatException(reason, offset, message());
    }
}
