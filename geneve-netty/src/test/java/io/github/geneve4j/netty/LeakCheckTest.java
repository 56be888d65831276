package io.github.geneve4j.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBufAllocator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The leak check itself can fail: a buffer dropped unreleased is reported. */
@ExtendWith(LeakCheck.class)
class LeakCheckTest {

    @Test
    void reportsABufferThatWasNeverReleased() throws Exception {
        leak();
        assertThat(LeakCheck.collect()).isNotEmpty().first().asString().contains("leaked");
    }

    private static void leak() {
        ByteBufAllocator.DEFAULT.directBuffer(64).writeLong(1); // never released
    }
}
