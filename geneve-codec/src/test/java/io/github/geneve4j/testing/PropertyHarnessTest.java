package io.github.geneve4j.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The harness itself: it runs the cases, reports the seed and shrinks to a minimal failure. */
class PropertyHarnessTest {

    @Test
    void runsTheRequestedNumberOfCasesWhenThePropertyHolds() {
        AtomicInteger runs = new AtomicInteger();
        Property.forAll("always true", 123, Gen.ints(0, 10), i -> runs.incrementAndGet());
        assertThat(runs).hasValue(123);
    }

    @Test
    void shrinksAnIntToTheBoundary() {
        AssertionError error = catchThrowableOfType(AssertionError.class, () ->
                Property.forAll("small ints", 500, Gen.ints(0, 1_000_000), i -> assertThat(i).isLessThan(1000)));
        assertThat(error).isNotNull();
        assertThat(error.getMessage()).contains("property 'small ints' failed", "-Dgeneve.seed=",
                "minimal after", ": 1000\n");
    }

    @Test
    void shrinksAListToItsOneOffendingElement() {
        AssertionError error = catchThrowableOfType(AssertionError.class, () ->
                Property.forAll("no element of 50 or more", 500, Gen.lists(Gen.ints(0, 1000), 0, 20),
                        list -> assertThat(list).allMatch(i -> i < 50)));
        assertThat(error).isNotNull();
        assertThat(error.getMessage()).contains("minimal after").endsWith(": [50]\nfailure: " + error.getCause());
    }

    @Test
    void replaysTheSameCasesFromTheSameSeed() {
        List<Integer> first = new ArrayList<>();
        List<Integer> second = new ArrayList<>();
        System.setProperty("geneve.seed", "42");
        try {
            Property.forAll("record", 20, Gen.ints(0, 1 << 30), first::add);
            Property.forAll("record", 20, Gen.ints(0, 1 << 30), second::add);
        } finally {
            System.clearProperty("geneve.seed");
        }
        assertThat(first).hasSize(20).isEqualTo(second);
        assertThat(first).doesNotHaveDuplicates();
    }

    @Test
    void keepsTheMinimalCasesOwnFailureAsTheCause() {
        AssertionError error = catchThrowableOfType(AssertionError.class, () ->
                Property.forAll("throws", 10, Gen.ints(5, 50), i -> {
                    throw new IllegalStateException("boom " + i);
                }));
        assertThat(error.getCause()).isInstanceOf(IllegalStateException.class).hasMessage("boom 5");
    }
}
