package io.github.geneve4j.options;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.options.aws.GwlbOptions;
import io.github.geneve4j.options.ovn.OvnPortKeys;
import org.junit.jupiter.api.Test;

class HeaderBuilderTest {

    @Test
    void composesTypedAndRawOptionsAndComputesTheCriticalBit() {
        GeneveHeader header = HeaderBuilder.ethernet(5000)
                .add(new GwlbOptions.FlowCookie(9))
                .add(new GeneveOption(0xFFFF, 0x01, new byte[4]))
                .build();
        assertThat(header.critical()).isFalse();
        assertThat(header.options()).hasSize(2);
        assertThat(header.protocolType()).isEqualTo(ProtocolType.ETHERNET);
        GeneveHeader critical = HeaderBuilder.of(ProtocolType.IPV4, 7).add(new OvnPortKeys(1, 2)).oam(true).build();
        assertThat(critical.critical()).isTrue();
        assertThat(critical.oam()).isTrue();
        assertThat(critical.vni()).isEqualTo(7);
    }

    @Test
    void namesTheOptionThatDoesNotFit() {
        HeaderBuilder builder = HeaderBuilder.ethernet(1);
        for (int i = 0; i < 15; i++) {
            builder.add(new GeneveOption(0xFFFF, i, new byte[12])); // 16 bytes each: 240 in all
        }
        builder.add(new GeneveOption(0xFFFF, 0x20, new byte[8])); // 252
        assertThatThrownBy(() -> builder.add(new GwlbOptions.FlowCookie(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("option 17 (class 0x0108 type 0x03, 8 bytes) does not fit: the options would take 260 bytes"
                        + " (limit: 252)");
        assertThat(builder.build().optionsLength()).isEqualTo(252);
    }
}
