package io.github.geneve4j.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.Collections;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** What {@link PacketCapture#open} refuses before it needs any privilege. */
class PacketCaptureTest {

    @Test
    void namesAMissingInterface() {
        assertThatThrownBy(() -> PacketCapture.open("g4j-nosuch0", List.of(6081), 0)).isInstanceOf(IOException.class)
                .hasMessage("no network interface 'g4j-nosuch0'");
    }

    @Test
    void refusesNamesNoInterfaceCanHave() {
        for (String name : new String[] {"", "sixteen-bytes-xx", "a/b"}) {
            assertThatThrownBy(() -> PacketCapture.open(name, List.of(6081), 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected: 1 to 15 bytes");
        }
        assertThatThrownBy(() -> PacketCapture.open(null, List.of(6081), 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusesNoPortsTooManyAndOutOfRange() {
        assertThatThrownBy(() -> PacketCapture.open("lo", List.of(), 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("found 0 ports (expected: 1 to 32)");
        List<Integer> many = IntStream.rangeClosed(1, PacketCapture.MAX_PORTS + 1).boxed().toList();
        assertThatThrownBy(() -> PacketCapture.open("lo", many, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("found 33 ports (expected: 1 to 32)");
        assertThatThrownBy(() -> PacketCapture.open("lo", List.of(65536), 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("found port 65536 (expected: 0..65535)");
        assertThatThrownBy(() -> PacketCapture.open("lo", Collections.singletonList(null), 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
