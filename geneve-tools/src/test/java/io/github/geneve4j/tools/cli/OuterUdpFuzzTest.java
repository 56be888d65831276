package io.github.geneve4j.tools.cli;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.geneve4j.pcap.LinkType;

/**
 * Fuzzing the outer-header walk of {@code dump} ({@link OuterUdp}): any packet on any link type
 * is located or refused, never another exception or a read past the packet; {@link DumpProbe}
 * checks what a located packet reports. Regression inputs live in {@code OuterUdpFuzzTestInputs/}.
 */
class OuterUdpFuzzTest {

    @FuzzTest(maxDuration = "10m")
    void outerHeaderWalkIsTotal(FuzzedDataProvider data) {
        int linkType = data.pickValue(new int[] {LinkType.ETHERNET, LinkType.RAW, LinkType.LINUX_SLL,
            LinkType.LINUX_SLL2, 0});
        byte[] packet = data.consumeRemainingAsBytes();
        DumpProbe.locate(linkType, packet);
    }
}
