package io.github.geneve4j.options;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveOption;
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
}
