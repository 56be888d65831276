package io.github.geneve4j.tools.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;

/** Test access to the package-private outer-header walk, with its invariants checked. */
public final class DumpProbe {

    private DumpProbe() {
    }

    public static void locate(int linkType, byte[] packet) {
        OuterUdp udp = new OuterUdp();
        if (udp.locate(linkType, MemorySegment.ofArray(packet))) {
            assertThat(udp.payloadOffset).isBetween(8L, (long) packet.length);
            assertThat(udp.payloadOffset + udp.payloadLength).isLessThanOrEqualTo(packet.length);
            assertThat(udp.payloadLength).isNotNegative();
            assertThat(udp.source()).isNotEmpty();
            assertThat(udp.destination()).isNotEmpty();
        }
    }
}
