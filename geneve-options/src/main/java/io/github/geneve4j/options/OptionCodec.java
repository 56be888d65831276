package io.github.geneve4j.options;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.GeneveOptionCursor;
import java.util.Objects;
import java.util.function.Function;

/**
 * Converts between an option on the wire and a typed value.
 *
 * @param <T> the typed value
 */
public interface OptionCodec<T> {

    /**
     * The typed value of {@code option}.
     *
     * @throws GeneveFormatException with {@link GeneveFormatException.Reason#BAD_LENGTH} when the
     *     data length is not the layout's, or {@code BAD_VALUE} for a value the layout forbids
     */
    T decode(GeneveOption option);

    /**
     * The typed value of the option the cursor is on, read in place: no {@link GeneveOption} is made
     * (the default makes one; the library's codecs override it). Error offsets count from the first
     * byte of the Geneve header.
     *
     * @throws GeneveFormatException as {@link #decode(GeneveOption)}
     */
    default T decode(GeneveOptionCursor cursor) {
        return decode(cursor.toOption());
    }

    /** The option carrying {@code value}. */
    GeneveOption encode(T value);

    /** A codec from a decoding and an encoding function. */
    static <T> OptionCodec<T> of(Function<GeneveOption, T> decoder, Function<T, GeneveOption> encoder) {
        Objects.requireNonNull(decoder, "decoder");
        Objects.requireNonNull(encoder, "encoder");
        return new OptionCodec<>() {
            @Override
            public T decode(GeneveOption option) {
                return decoder.apply(option);
            }

            @Override
            public GeneveOption encode(T value) {
                return encoder.apply(value);
            }
        };
    }

    /** A codec that also reads straight from a cursor. */
    static <T> OptionCodec<T> of(Function<GeneveOption, T> decoder, Function<GeneveOptionCursor, T> cursorDecoder,
            Function<T, GeneveOption> encoder) {
        Objects.requireNonNull(decoder, "decoder");
        Objects.requireNonNull(cursorDecoder, "cursorDecoder");
        Objects.requireNonNull(encoder, "encoder");
        return new OptionCodec<>() {
            @Override
            public T decode(GeneveOption option) {
                return decoder.apply(option);
            }

            @Override
            public T decode(GeneveOptionCursor cursor) {
                return cursorDecoder.apply(cursor);
            }

            @Override
            public GeneveOption encode(T value) {
                return encoder.apply(value);
            }
        };
    }

    /**
     * The codec of an option kept raw: its value is the {@link GeneveOption} itself, so it survives
     * a decode and an encode byte for byte (the ClassFile API's unknown attribute).
     */
    static OptionCodec<GeneveOption> raw() {
        return RawCodec.INSTANCE;
    }
}

/** The identity codec of raw options. */
final class RawCodec implements OptionCodec<GeneveOption> {

    static final RawCodec INSTANCE = new RawCodec();

    private RawCodec() {
    }

    @Override
    public GeneveOption decode(GeneveOption option) {
        return Objects.requireNonNull(option, "option");
    }

    @Override
    public GeneveOption encode(GeneveOption value) {
        return Objects.requireNonNull(value, "value");
    }
}
