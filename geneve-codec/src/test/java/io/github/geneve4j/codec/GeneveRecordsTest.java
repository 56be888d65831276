package io.github.geneve4j.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.testing.Hex;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Validation, copying, equality and the sender rules of the immutable records. */
class GeneveRecordsTest {

    private static final byte[] FOUR = {1, 2, 3, 4};

    @Test
    void optionRejectsClassAndTypeOutOfRange() {
        assertThatThrownBy(() -> new GeneveOption(-1, 0, FOUR)).hasMessageContaining("option class -1");
        assertThatThrownBy(() -> new GeneveOption(0x10000, 0, FOUR)).hasMessageContaining("option class 65536");
        assertThatThrownBy(() -> new GeneveOption(0, 256, FOUR)).hasMessageContaining("option type 256");
        assertThatThrownBy(() -> new GeneveOption(0, -1, FOUR)).isInstanceOf(IllegalArgumentException.class);
        assertThat(new GeneveOption(0xFFFF, 0xFF, FOUR).optionClass()).isEqualTo(0xFFFF);
    }

    @Test
    void optionRejectsDataNotAMultipleOfFour() {
        assertThatThrownBy(() -> new GeneveOption(1, 1, new byte[3]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("3 bytes is not a multiple of 4");
    }

    @Test
    void optionRejectsDataOver124BytesInsteadOfWrappingTheLengthField() {
        // 128 bytes would encode Length 32, which wraps the 5-bit field to 0 (CVE-2025-22055)
        assertThatThrownBy(() -> new GeneveOption(1, 1, new byte[128]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("128 bytes is too long (expected: at most 124 bytes)");
        assertThat(new GeneveOption(1, 1, new byte[124]).encodedLength()).isEqualTo(128);
    }

    @Test
    void optionRejectsNullData() {
        assertThatThrownBy(() -> new GeneveOption(1, 1, null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void optionCopiesDataInAndOut() {
        byte[] data = FOUR.clone();
        GeneveOption option = new GeneveOption(0x0108, 3, data);
        data[0] = 99;
        assertThat(option.data()).containsExactly(1, 2, 3, 4);
        option.data()[1] = 99;
        assertThat(option.data()).containsExactly(1, 2, 3, 4);
        assertThat(option.dataByte(3)).isEqualTo(4);
        assertThat(option.dataEquals(FOUR)).isTrue();
        assertThat(option.dataEquals(new byte[4])).isFalse();
    }

    @Test
    void optionEqualityIsByValue() {
        GeneveOption a = new GeneveOption(0x0108, 3, FOUR);
        assertThat(a).isEqualTo(new GeneveOption(0x0108, 3, FOUR.clone()))
                .hasSameHashCodeAs(new GeneveOption(0x0108, 3, FOUR.clone()))
                .isNotEqualTo(new GeneveOption(0x0108, 3, new byte[4]))
                .isNotEqualTo(new GeneveOption(0x0108, 2, FOUR))
                .isNotEqualTo(new GeneveOption(0x0109, 3, FOUR))
                .isNotEqualTo("not an option");
    }

    @Test
    void optionCriticalIsTheTypeHighBit() {
        assertThat(GeneveOption.of(1, 0x80).critical()).isTrue();
        assertThat(GeneveOption.of(1, 0xFF).critical()).isTrue();
        assertThat(GeneveOption.of(1, 0x7F).critical()).isFalse();
        assertThat(GeneveOption.of(1, 0).dataLength()).isZero();
    }

    @Test
    void optionToStringShowsHexData() {
        assertThat(new GeneveOption(0x0108, 0x83, new byte[] {0x12, 0x34, (byte) 0xab, (byte) 0xcd}))
                .hasToString("GeneveOption[class=0x0108, type=0x83 (critical), data=1234abcd]");
        assertThat(GeneveOption.of(0xffff, 1)).hasToString("GeneveOption[class=0xffff, type=0x01, data=]");
    }

    @Test
    void headerRejectsVniOutOfRange() {
        assertThatThrownBy(() -> GeneveHeader.of(ProtocolType.ETHERNET, 1 << 24))
                .hasMessageContaining("VNI 16777216 out of range");
        assertThatThrownBy(() -> GeneveHeader.of(ProtocolType.ETHERNET, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(GeneveHeader.of(ProtocolType.ETHERNET, Geneve.MAX_VNI).vni()).isEqualTo(0xFFFFFF);
    }

    @Test
    void headerRejectsVersionAndProtocolTypeOutOfRange() {
        assertThatThrownBy(() -> new GeneveHeader(4, false, false, 0, 0, List.of())).hasMessageContaining("version 4");
        assertThatThrownBy(() -> new GeneveHeader(-1, false, false, 0, 0, List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GeneveHeader(0, false, false, 0x10000, 0, List.of())).hasMessageContaining("protocol type");
        assertThatThrownBy(() -> new GeneveHeader(0, false, false, -1, 0, List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void headerAcceptsExactly252BytesOfOptionsAndRejectsMore() {
        List<GeneveOption> options = new ArrayList<>(Collections.nCopies(63, GeneveOption.of(0xFFFF, 1)));
        assertThat(GeneveHeader.of(ProtocolType.ETHERNET, 0, options).optionsLength()).isEqualTo(252);
        options.add(GeneveOption.of(0xFFFF, 1));
        assertThatThrownBy(() -> GeneveHeader.of(ProtocolType.ETHERNET, 0, options))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("options take 256 bytes (expected: at most 252");
    }

    @Test
    void headerCopiesTheOptionList() {
        List<GeneveOption> options = new ArrayList<>(List.of(GeneveOption.of(1, 1)));
        GeneveHeader header = GeneveHeader.of(ProtocolType.ETHERNET, 0, options);
        options.add(GeneveOption.of(2, 2));
        assertThat(header.options()).hasSize(1);
        assertThatThrownBy(() -> header.options().add(GeneveOption.of(3, 3)))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void ofComputesTheCriticalBitFromTheOptions() {
        assertThat(GeneveHeader.of(ProtocolType.ETHERNET, 1, GeneveOption.of(1, 0x01)).critical()).isFalse();
        assertThat(GeneveHeader.of(ProtocolType.ETHERNET, 1, GeneveOption.of(1, 0x01), GeneveOption.of(1, 0x81))
                .critical()).isTrue();
        assertThat(GeneveHeader.of(ProtocolType.ETHERNET, 1).critical()).isFalse();
        GeneveHeader plain = GeneveHeader.of(ProtocolType.ETHERNET, 1);
        assertThat(plain.withOptions(List.of(GeneveOption.of(1, 0x80))).critical()).isTrue();
        assertThat(plain.withOam(true).oam()).isTrue();
        assertThat(plain.version()).isZero();
        assertThat(plain.oam()).isFalse();
    }

    @Test
    void decodedHeaderKeepsTheCriticalBitAsReceived() {
        // critical option, C bit clear: as Open vSwitch may receive it
        GeneveHeader decoded = GeneveHeader.decode(Hex.bytes("02 00 65 58 00 13 88 00 ff ff 80 01 a1 b2 c3 d4"));
        assertThat(decoded.critical()).isFalse();
        assertThat(decoded.hasCriticalOption()).isTrue();
        // and the other way round: C set without critical options
        GeneveHeader setC = GeneveHeader.decode(Hex.bytes("00 40 65 58 00 13 88 00"));
        assertThat(setC.critical()).isTrue();
        assertThat(setC.hasCriticalOption()).isFalse();
        assertThat(setC.toBytes()).isEqualTo(Hex.bytes("00 40 65 58 00 13 88 00"));
    }

    @Test
    void headerToStringIsReadable() {
        assertThat(GeneveHeader.of(ProtocolType.ETHERNET, 5000))
                .hasToString("GeneveHeader[version=0, oam=false, critical=false, protocolType=0x6558 (Ethernet), "
                        + "vni=5000 (0x001388), options=[]]");
    }

    @Test
    void encodedLengthCountsOptionHeadersAndData() {
        GeneveHeader header = GeneveHeader.of(ProtocolType.IPV4, 0,
                new GeneveOption(0x0108, 1, new byte[8]), new GeneveOption(0x0108, 2, new byte[8]),
                new GeneveOption(0x0108, 3, new byte[4]));
        assertThat(header.optionsLength()).isEqualTo(32);
        assertThat(header.encodedLength()).isEqualTo(40);
        assertThat(header.toBytes()).hasSize(40);
        assertThat(header.toBytes()[0]).isEqualTo((byte) 8); // Opt Len in words
    }

    @Test
    void protocolTypeNames() {
        assertThat(ProtocolType.name(0x6558)).isEqualTo("Ethernet");
        assertThat(ProtocolType.name(0x0800)).isEqualTo("IPv4");
        assertThat(ProtocolType.name(0x86DD)).isEqualTo("IPv6");
        assertThat(ProtocolType.name(0x88cc)).isEqualTo("0x88cc");
    }

    @Test
    void formatExceptionCarriesReasonOffsetAndMessage() {
        GeneveFormatException e = new GeneveFormatException(GeneveFormatException.Reason.TRUNCATED, 7, "short");
        assertThat(e.reason()).isEqualTo(GeneveFormatException.Reason.TRUNCATED);
        assertThat(e.offset()).isEqualTo(7);
        assertThat(e).hasMessage("TRUNCATED at offset 7: short");
        assertThatThrownBy(() -> new GeneveFormatException(null, 0, "x")).isInstanceOf(NullPointerException.class);
    }
}
