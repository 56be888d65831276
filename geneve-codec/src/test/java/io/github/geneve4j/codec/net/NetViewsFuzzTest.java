package io.github.geneve4j.codec.net;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.tunnel.GeneveFrameView;
import java.lang.foreign.MemorySegment;

/**
 * Fuzzing every L2–L4 view and decapsulation: any bytes, at any offset and length, either wrap or
 * throw our exception, and a frame that decapsulates hands out an inner frame inside the input.
 * Regression inputs in {@code NetViewsFuzzTestInputs/}.
 */
class NetViewsFuzzTest {

    @FuzzTest(maxDuration = "10m")
    void viewsAreTotal(FuzzedDataProvider data) {
        int which = data.consumeInt(0, 5);
        byte[] bytes = data.consumeRemainingAsBytes();
        MemorySegment segment = MemorySegment.ofArray(bytes);
        try {
            switch (which) {
                case 0 -> new EthernetView().wrap(segment, 0, bytes.length);
                case 1 -> new Ipv4View().wrap(segment, 0, bytes.length);
                case 2 -> new Ipv6View().wrap(segment, 0, bytes.length);
                case 3 -> new UdpView().wrap(segment, 0, bytes.length);
                case 4 -> new TcpView().wrap(segment, 0, bytes.length);
                default -> {
                    GeneveFrameView frame = new GeneveFrameView().wrap(segment, 0, bytes.length);
                    assertThat(frame.innerOffset()).isBetween(0L, (long) bytes.length);
                    assertThat(frame.innerOffset() + frame.innerLength()).isLessThanOrEqualTo(bytes.length);
                }
            }
        } catch (GeneveFormatException expected) {
            assertThat(expected.offset()).isGreaterThanOrEqualTo(0);
        }
    }
}
