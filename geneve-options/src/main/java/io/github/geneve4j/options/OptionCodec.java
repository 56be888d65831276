package io.github.geneve4j.options;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveOption;

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
}
