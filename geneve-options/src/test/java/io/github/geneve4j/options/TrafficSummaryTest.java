package io.github.geneve4j.options;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.GeneveView;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.options.aws.GwlbOptions;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrafficSummaryTest {

    private static GeneveView view(GeneveHeader header) {
        return new GeneveView().wrap(MemorySegment.ofArray(header.toBytes()), 0);
    }

    @Test
    void countsPacketsBytesProtocolsAndOptionKindsPerVni() {
        TrafficSummary s = new TrafficSummary();
        s.add(view(GeneveHeader.of(ProtocolType.ETHERNET, 5000, new GeneveOption(0xFFFF, 0x80, new byte[4]))), 100);
        s.add(view(GeneveHeader.of(ProtocolType.IPV4, 5000, new GeneveOption(0xFFFF, 0x80, new byte[4]),
                new GeneveOption(0xFFFF, 0x80, new byte[4]), new GwlbOptions.FlowCookie(1).toOption())), 50);
        s.add(view(GeneveHeader.of(ProtocolType.ETHERNET, 7)), 10);
        s.addMalformed();
        assertThat(s.packets()).isEqualTo(3);
        assertThat(s.bytes()).isEqualTo(160);
        assertThat(s.malformed()).isEqualTo(1);
        assertThat(s.vnis().keySet()).containsExactly(7, 5000);
        TrafficSummary.Vni v = s.vnis().get(5000);
        assertThat(v.packets()).isEqualTo(2);
        assertThat(v.bytes()).isEqualTo(150);
        assertThat(v.protocolTypes()).containsExactly(Map.entry(0x0800, 1L), Map.entry(0x6558, 1L));
        assertThat(v.options()).containsExactly(Map.entry(new TrafficSummary.OptionKind(0x0108, 3), 1L),
                Map.entry(new TrafficSummary.OptionKind(0xFFFF, 0x80), 3L));
        assertThat(s.vnis().get(7).options()).isEmpty();
    }

    @Test
    void everyTableIsBounded() {
        TrafficSummary s = new TrafficSummary(2);
        for (int vni = 0; vni < 5; vni++) {
            s.add(view(GeneveHeader.of(ProtocolType.ETHERNET, vni)), 1);
        }
        assertThat(s.vnis()).hasSize(2);
        assertThat(s.untrackedPackets()).isEqualTo(3);
        assertThat(s.packets()).isEqualTo(5);
        TrafficSummary one = new TrafficSummary(1);
        for (int p = 0; p < TrafficSummary.MAX_KINDS + 10; p++) {
            one.add(view(GeneveHeader.of(p, 1, List.of(new GeneveOption(0xFF00, p & 0xFF, new byte[0]),
                    new GeneveOption(0xFF01, p & 0x7F, new byte[0])))), 1);
        }
        TrafficSummary.Vni v = one.vnis().get(1);
        assertThat(v.protocolTypes()).hasSize(TrafficSummary.MAX_KINDS);
        assertThat(v.untrackedProtocols()).isEqualTo(10);
        assertThat(v.options()).hasSize(TrafficSummary.MAX_KINDS);
        assertThat(v.untrackedOptions()).isEqualTo(2L * (TrafficSummary.MAX_KINDS + 10) - v.options().values().stream()
                .mapToLong(Long::longValue).sum());
        assertThatThrownBy(() -> new TrafficSummary(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
