package io.github.geneve4j.tools.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The statistics loop on a clock of our own: the waits advance it, nothing sleeps. */
class StatsLoopTest {

    private long now = 1_000;
    private final List<Long> printed = new ArrayList<>();
    private final List<Duration> waits = new ArrayList<>();

    private StatsLoop.Wait advancing(long stopAt) {
        return atMost -> {
            waits.add(atMost);
            now += atMost.toNanos();
            return stopAt > 0 && now >= stopAt;
        };
    }

    private void print() {
        printed.add(now);
    }

    @Test
    void printsEveryPeriodAndOnceMoreAtTheEndOfTheDuration() throws InterruptedException {
        new StatsLoop(1, 3.5, () -> now).run(advancing(0), this::print);
        // at 1 s, 2 s, 3 s, and at the end (3.5 s)
        assertThat(printed).containsExactly(1_000 + 1_000_000_000L, 1_000 + 2_000_000_000L, 1_000 + 3_000_000_000L,
                1_000 + 3_500_000_000L);
    }

    @Test
    void withoutStatsPrintsOnlyAtTheEndAndWaitsAtMostASecondAtATime() throws InterruptedException {
        new StatsLoop(0, 2.5, () -> now).run(advancing(0), this::print);
        assertThat(printed).containsExactly(1_000 + 2_500_000_000L);
        assertThat(waits).allSatisfy(w -> assertThat(w).isLessThanOrEqualTo(Duration.ofSeconds(1)));
    }

    @Test
    void stopsWhenTheServiceStopsAndPrintsTheLastCounters() throws InterruptedException {
        new StatsLoop(10, 0, () -> now).run(advancing(1_000 + 3_000_000_000L), this::print);
        assertThat(printed).containsExactly(1_000 + 3_000_000_000L);
    }

    @Test
    void afterALongPauseOneLineNotABurst() throws InterruptedException {
        // a wait that returns 5 periods late (a stopped process, a suspended VM)
        boolean[] first = {true};
        new StatsLoop(1, 10, () -> now).run(atMost -> {
            now += first[0] ? 5_500_000_000L : atMost.toNanos();
            first[0] = false;
            return false;
        }, this::print);
        assertThat(printed.get(0)).isEqualTo(1_000 + 5_500_000_000L);
        assertThat(printed.get(1)).isEqualTo(1_000 + 6_500_000_000L);
    }

    @Test
    void refusesNegativeOrNotANumber() {
        assertThatThrownBy(() -> new StatsLoop(-1, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--stats -1.0, --duration 0.0 (expected: 0 or more seconds)");
        assertThatThrownBy(() -> new StatsLoop(0, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }
}
