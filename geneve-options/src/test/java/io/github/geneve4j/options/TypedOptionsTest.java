package io.github.geneve4j.options;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.options.aws.GwlbOptions;
import io.github.geneve4j.options.google.GcpOptions;
import io.github.geneve4j.options.ovn.OvnPortKeys;
import io.github.geneve4j.testing.Hex;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every typed option against known bytes, both ways, and its refusal of wrong lengths. */
class TypedOptionsTest {

    /** The AWS GWLB layout as it appears on the wire (class 0x0108, types 1, 2, 3). */
    static final byte[] GWLB = Hex.bytes("08 00 08 00 00 00 00 00 | 01 08 01 02 11 22 33 44 55 66 77 88"
            + " | 01 08 02 02 99 aa bb cc dd ee ff 00 | 01 08 03 01 12 34 56 78");

    @Test
    void gwlbOptionsFromKnownBytes() {
        GeneveHeader header = GeneveHeader.decode(GWLB);
        assertThat(GwlbOptions.endpointId(header)).isEqualTo(new GwlbOptions.EndpointId(0x1122334455667788L));
        assertThat(GwlbOptions.attachmentId(header)).isEqualTo(new GwlbOptions.AttachmentId(0x99aabbccddeeff00L));
        assertThat(GwlbOptions.flowCookie(header)).isEqualTo(new GwlbOptions.FlowCookie(0x12345678));
        assertThat(GeneveHeader.of(ProtocolType.IPV4, 0,
                new GwlbOptions.EndpointId(0x1122334455667788L).toOption(),
                new GwlbOptions.AttachmentId(0x99aabbccddeeff00L).toOption(),
                new GwlbOptions.FlowCookie(0x12345678).toOption()).toBytes()).isEqualTo(GWLB);
        assertThat(GwlbOptions.flowCookie(GeneveHeader.of(ProtocolType.IPV4, 0))).isNull();
        assertThat(GwlbOptions.endpointId(GeneveHeader.of(ProtocolType.IPV4, 0))).isNull();
        assertThat(GwlbOptions.attachmentId(GeneveHeader.of(ProtocolType.IPV4, 0))).isNull();
    }

    @Test
    void gwlbReplyKeepsVniProtocolAndOptionsByteForByte() {
        GeneveHeader request = GeneveHeader.decode(Hex.bytes("0a 00 08 00 00 12 34 00 | 01 08 01 02 11 22 33 44 55 66 77 88"
                + " | 01 08 02 02 99 aa bb cc dd ee ff 00 | 01 08 03 01 12 34 56 78 | 7f 00 01 01 ca fe ba be"));
        GeneveHeader reply = GwlbOptions.replyHeader(request);
        assertThat(reply.toBytes()).isEqualTo(request.toBytes());
        assertThat(reply.vni()).isEqualTo(0x1234);
        assertThat(reply.oam()).isFalse();
    }

    @Test
    void ovnPortKeysFollowOvnsBitLayout() {
        // bit 31 reserved, bits 30..16 ingress (15 bits), bits 15..0 egress
        OvnPortKeys keys = OvnPortKeys.from(new GeneveOption(0x0102, 0x80, Hex.bytes("7f ff 00 02")));
        assertThat(keys).isEqualTo(new OvnPortKeys(0x7FFF, 2));
        assertThat(new OvnPortKeys(1, 0xFFFF).toOption().data()).isEqualTo(Hex.bytes("00 01 ff ff"));
        assertThat(new OvnPortKeys(3, 4).toOption().critical()).isTrue();
        // the reserved bit is ignored on receipt
        assertThat(OvnPortKeys.from(new GeneveOption(0x0102, 0x80, Hex.bytes("80 05 00 06")))).isEqualTo(new OvnPortKeys(5, 6));
        assertThatThrownBy(() -> new OvnPortKeys(0x8000, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new OvnPortKeys(0, 0x10000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new OvnPortKeys(-1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new OvnPortKeys(0, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void gcpOptionsFollowWiresharksLayout() {
        GcpOptions.Vnid vnid = GcpOptions.Vnid.from(new GeneveOption(0x0132, 1, Hex.bytes("00 12 34 51")));
        assertThat(vnid).isEqualTo(new GcpOptions.Vnid(0x12345, true));
        assertThat(new GcpOptions.Vnid(0x0FFFFFFF, false).toOption().data()).isEqualTo(Hex.bytes("ff ff ff f0"));
        assertThatThrownBy(() -> new GcpOptions.Vnid(0x10000000, false)).isInstanceOf(IllegalArgumentException.class);
        GcpOptions.ProfileId profile = GcpOptions.ProfileId.from(new GeneveOption(0x0132, 3, Hex.bytes("00 00 00 00 00 00 01 00")));
        assertThat(profile.id()).isEqualTo(256);
        assertThat(profile.toOption().data()).isEqualTo(Hex.bytes("00 00 00 00 00 00 01 00"));
        GcpOptions.EndpointId endpoint = GcpOptions.EndpointId.from(new GeneveOption(0x0132, 2, Hex.bytes("01 02 03 04 05 06 07 08")));
        assertThat(endpoint.id()).isEqualTo(Hex.bytes("01 02 03 04 05 06 07 08"));
        assertThat(endpoint).isEqualTo(new GcpOptions.EndpointId(Hex.bytes("01 02 03 04 05 06 07 08")))
                .hasSameHashCodeAs(new GcpOptions.EndpointId(Hex.bytes("01 02 03 04 05 06 07 08")))
                .hasToString("EndpointId[0102030405060708]");
        assertThat(endpoint.toOption().optionClass()).isEqualTo(0x0132);
        assertThatThrownBy(() -> new GcpOptions.EndpointId(new byte[3])).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "GWLB endpoint ID; 0x0108; 1; 4; AWS GWLB endpoint ID with 4 bytes of data (expected: 8 bytes)",
        "GWLB attachment ID; 0x0108; 2; 12; AWS GWLB attachment ID with 12 bytes of data (expected: 8 bytes)",
        "GWLB flow cookie; 0x0108; 3; 8; AWS GWLB flow cookie with 8 bytes of data (expected: 4 bytes)",
        "OVN; 0x0102; 0x80; 8; OVN logical ingress/egress port keys with 8 bytes of data (expected: 4 bytes)",
        "GCP VNID; 0x0132; 1; 0; GCP virtual network ID with 0 bytes of data (expected: 4 bytes)",
        "GCP profile; 0x0132; 3; 4; GCP profile ID with 4 bytes of data (expected: 8 bytes)",
    })
    void wrongLengthsAreOurException(String what, String cls, String type, int length, String message) {
        GeneveOption option = new GeneveOption(Integer.decode(cls), Integer.decode(type), new byte[length]);
        assertThatThrownBy(() -> OptionRegistry.defaults().decode(option))
                .isInstanceOfSatisfying(GeneveFormatException.class, e -> {
                    assertThat(e.reason()).isEqualTo(GeneveFormatException.Reason.BAD_LENGTH);
                    assertThat(e.offset()).isEqualTo(3);
                })
                .hasMessageEndingWith(message);
    }

    @Test
    void aTypedDecoderRefusesAnotherOptionsClassOrType() {
        GeneveOption cookie = new GwlbOptions.FlowCookie(1).toOption();
        Function<GeneveOption, Object> ovn = OvnPortKeys::from;
        assertThatThrownBy(() -> ovn.apply(cookie)).isInstanceOfSatisfying(GeneveFormatException.class,
                e -> assertThat(e.reason()).isEqualTo(GeneveFormatException.Reason.BAD_VALUE))
                .hasMessageContaining("class 0x0108 type 0x03 is not OVN");
    }

    @Test
    void codecsRoundTripThroughTheRegistry() {
        for (TypedOption value : new TypedOption[] {new GwlbOptions.EndpointId(-1L), new GwlbOptions.AttachmentId(7),
            new GwlbOptions.FlowCookie(-2), new OvnPortKeys(7, 9), new GcpOptions.Vnid(5, false),
            new GcpOptions.ProfileId(Long.MIN_VALUE), new GcpOptions.EndpointId(new byte[12])}) {
            GeneveOption option = value.toOption();
            assertThat(OptionRegistry.defaults().decode(option)).isEqualTo(value);
            @SuppressWarnings("unchecked")
            OptionCodec<TypedOption> codec = (OptionCodec<TypedOption>) OptionRegistry.defaults()
                    .lookup(option.optionClass(), option.type()).codec();
            assertThat(codec.encode(value)).isEqualTo(option);
        }
    }

    @Test
    void rangesIncludeTheirEnds() {
        assertThat(new OvnPortKeys(0, 0).toOption().data()).isEqualTo(new byte[4]);
        assertThat(new OvnPortKeys(0x7FFF, 0xFFFF).toOption().data()).isEqualTo(Hex.bytes("7f ff ff ff"));
        assertThat(new GcpOptions.Vnid(0, false).toOption().data()).isEqualTo(new byte[4]);
        assertThat(OptionDescriptor.raw(0xFFFF, 0xFF, "top", LengthRule.any()).optionClass()).isEqualTo(0xFFFF);
        assertThat(OptionDescriptor.raw(0, 0, "bottom", LengthRule.any()).type()).isZero();
        assertThatThrownBy(() -> OptionDescriptor.raw(-1, 0, "x", LengthRule.any())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OptionDescriptor.raw(0, -1, "x", LengthRule.any())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void gcpEndpointIdsCompareByContentAndCheckTheirOption() {
        GcpOptions.EndpointId a = new GcpOptions.EndpointId(Hex.bytes("01020304"));
        assertThat(a).isNotEqualTo(new GcpOptions.EndpointId(Hex.bytes("01020305"))).isNotEqualTo("01020304");
        assertThat(a.hashCode()).isNotZero().isNotEqualTo(new GcpOptions.EndpointId(Hex.bytes("01020305")).hashCode());
        assertThatThrownBy(() -> GcpOptions.EndpointId.from(new GeneveOption(0x0133, 2, new byte[4])))
                .isInstanceOf(GeneveFormatException.class);
        assertThatThrownBy(() -> OptionClass.owner(0x10000)).isInstanceOf(IllegalArgumentException.class);
    }
}
