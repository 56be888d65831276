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
            s -> new GcpOptions.EndpointId(s.bytes(4 * s.between(0, 8))),
            s -> new io.github.geneve4j.options.cilium.CiliumDsr(address(s.bytes(s.bool() ? 4 : 16)),
                    s.between(0, 0xFFFF)),
            s -> new io.github.geneve4j.options.oxide.OxideOptions.Multicast(
                    io.github.geneve4j.options.oxide.OxideOptions.Replication.values()[s.between(0, 3)]),
            s -> new io.github.geneve4j.options.oxide.OxideOptions.Mss(s.between(0, Integer.MAX_VALUE) * 2L),
            s -> new io.github.geneve4j.options.cpacket.CpacketMetadata(s.between(0, Integer.MAX_VALUE),
                    s.between(0, 0xFFFF), s.between(0, 0xFF), (long) s.between(0, 0xFFFF) << 32 | s.between(0, 0x7FFF_FFFF),
                    s.between(0, 999_999_999), s.between(0, 0xFFFF), s.between(0, 0xFFFF), s.between(0, 0xFFFF)),
            s -> {
                int hopMl = s.between(1, 4);
                java.util.List<io.github.geneve4j.options.telemetry.IntOptions.Hop> hops = new java.util.ArrayList<>();
                for (int h = s.between(0, 6); h > 0; h--) {
                    java.util.List<Long> words = new java.util.ArrayList<>();
                    for (int w = 0; w < hopMl; w++) {
                        words.add((long) s.between(0, Integer.MAX_VALUE));
                    }
                    hops.add(new io.github.geneve4j.options.telemetry.IntOptions.Hop(words));
                }
                return new io.github.geneve4j.options.telemetry.IntOptions.IntMetadata(2, s.bool(), s.bool(), s.bool(),
                        hopMl, s.between(0, 0xFF), s.between(0, 0xFFFF), s.between(0, 0xFFFF), s.between(0, 0xFFFF),
                        s.between(0, 0xFFFF), hops, java.util.List.of());
            },
            s -> new io.github.geneve4j.options.linux.GroHint(new int[] {0x6558, 0x86DD, 0x0800}[s.between(0, 2)],
                    s.bool(), s.between(0, 0xFF), s.between(0, 0xFF), s.between(0, 0xFF)),
            s -> new io.github.geneve4j.options.nat64.Nat64Options.Bypass("m".repeat(s.between(0, 40)) + "\u00e9"),
            s -> new io.github.geneve4j.options.nat64.Nat64Options.AuditMirror("a".repeat(s.between(0, 100))));

    private static java.net.InetAddress address(byte[] bytes) {
        try {
            return java.net.InetAddress.getByAddress(bytes);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

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
