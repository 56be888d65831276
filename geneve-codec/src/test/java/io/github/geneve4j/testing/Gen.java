package io.github.geneve4j.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * A generator of test values from a {@link Source} of choices.
 *
 * <p>Write generators so that choice 0 gives the simplest value; the harness then shrinks any
 * failing case towards it.
 */
@FunctionalInterface
public interface Gen<T> {

    T generate(Source source);

    default <R> Gen<R> map(Function<? super T, ? extends R> f) {
        return s -> f.apply(generate(s));
    }

    default <R> Gen<R> flatMap(Function<? super T, Gen<R>> f) {
        return s -> f.apply(generate(s)).generate(s);
    }

    static Gen<Integer> ints(int min, int max) {
        return s -> s.between(min, max);
    }

    static Gen<Boolean> bools() {
        return Source::bool;
    }

    /** Byte arrays of a length in {@code [minLength, maxLength]}. */
    static Gen<byte[]> bytes(int minLength, int maxLength) {
        return s -> s.bytes(s.between(minLength, maxLength));
    }

    /** Lists of {@code element} values of a size in {@code [min, max]}. */
    static <T> Gen<List<T>> lists(Gen<T> element, int min, int max) {
        return s -> {
            int size = s.between(min, max);
            List<T> list = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                list.add(element.generate(s));
            }
            return list;
        };
    }

    /** One of the given values, the first the simplest. */
    @SafeVarargs
    static <T> Gen<T> elements(T... values) {
        return s -> values[s.choice(values.length)];
    }

    /** One of the given generators, the first the simplest. */
    @SafeVarargs
    static <T> Gen<T> oneOf(Gen<? extends T>... gens) {
        return s -> gens[s.choice(gens.length)].generate(s);
    }
}
