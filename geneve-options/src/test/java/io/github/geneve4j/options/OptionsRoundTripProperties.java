package io.github.geneve4j.options;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.options.aws.GwlbOptions;
import io.github.geneve4j.options.google.GcpOptions;
import io.github.geneve4j.options.ovn.OvnPortKeys;
import io.github.geneve4j.testing.Gen;
import io.github.geneve4j.testing.GeneveGenerators;
import io.github.geneve4j.testing.Hex;
import io.github.geneve4j.testing.Property;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Headers that mix typed (known) options and unknown ones decode and re-encode to identical bytes;
 * typed values survive their codecs.
 */
class OptionsRoundTripProperties {

    static final Gen<TypedOption> TYPED = Gen.oneOf(
            s -> new GwlbOptions.FlowCookie(s.between(Integer.MIN_VALUE, Integer.MAX_VALUE)),
            s -> new GwlbOptions.EndpointId((long) s.between(Integer.MIN_VALUE, Integer.MAX_VALUE) << 32
                    | s.between(0, Integer.MAX_VALUE)),
            s -> new GwlbOptions.AttachmentId(s.between(0, Integer.MAX_VALUE)),
            s -> new OvnPortKeys(s.between(0, 0x7FFF), s.between(0, 0xFFFF)),
            s -> new GcpOptions.Vnid(s.between(0, 0x0FFFFFFF), s.bool()),
            s -> new GcpOptions.ProfileId(s.between(Integer.MIN_VALUE, Integer.MAX_VALUE)),
            s -> new GcpOptions.EndpointId(s.bytes(4 * s.between(0, 8))));

    static final Gen<GeneveHeader> MIXED = s -> {
        List<GeneveOption> options = new ArrayList<>();
        int room = 252;
        int count = s.between(0, 8);
        for (int i = 0; i < count; i++) {
            GeneveOption o = s.bool() ? TYPED.generate(s).toOption() : GeneveGenerators.options().generate(s);
            if (o.encodedLength() <= room) {
                options.add(o);
                room -= o.encodedLength();
            }
        }
        return GeneveHeader.of(s.between(0, 0xFFFF), s.between(0, 0xFFFFFF), options);
    };

    @Test
    void mixedHeadersReencodeByteForByte() {
        Property.forAll("decode then re-encode keeps every option's bytes", MIXED, header -> {
            byte[] wire = header.toBytes();
            GeneveHeader decoded = GeneveHeader.decode(wire);
            // rebuild from the typed values where the registry knows the option, raw otherwise
            HeaderBuilder rebuilt = HeaderBuilder.of(decoded.protocolType(), decoded.vni());
            for (GeneveOption o : decoded.options()) {
                Object typed = OptionRegistry.defaults().decode(o);
                if (typed instanceof TypedOption t) {
                    rebuilt.add(t);
                } else {
                    rebuilt.add(o);
                }
            }
            assertThat(Hex.of(rebuilt.build().toBytes())).isEqualTo(Hex.of(wire));
        });
    }

    @Test
    void typedValuesSurviveTheirCodecs() {
        Property.forAll("typed value -> option -> typed value", TYPED, value ->
                assertThat(OptionRegistry.defaults().decode(value.toOption())).isEqualTo(value));
    }
}
