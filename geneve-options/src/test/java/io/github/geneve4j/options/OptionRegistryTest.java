package io.github.geneve4j.options;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.options.aws.GwlbOptions;
import io.github.geneve4j.options.ovn.OvnPortKeys;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class OptionRegistryTest {

    @Test
    void defaultsHoldEveryTypedOption() {
        OptionRegistry registry = OptionRegistry.defaults();
        assertThat(registry.lookup(0x0108, 1).name()).isEqualTo("AWS GWLB endpoint ID");
        assertThat(registry.lookup(0x0108, 2).name()).isEqualTo("AWS GWLB attachment ID");
        assertThat(registry.lookup(0x0108, 3).name()).isEqualTo("AWS GWLB flow cookie");
        assertThat(registry.lookup(0x0102, 0x80)).isSameAs(OvnPortKeys.DESCRIPTOR);
        assertThat(registry.lookup(0x0132, 1).name()).isEqualTo("GCP virtual network ID");
        assertThat(registry.lookup(0x0132, 2).name()).isEqualTo("GCP endpoint ID");
        assertThat(registry.lookup(0x0132, 3).name()).isEqualTo("GCP profile ID");
        assertThat(registry.descriptors()).hasSize(18); // 7 above, and the vendor options of TypedVendorOptionsTest
        assertThat(registry.descriptors()).allSatisfy(d -> assertThat(d.codec()).isNotNull());
    }

    @Test
    void unknownPairsAreNotFound() {
        OptionRegistry registry = OptionRegistry.defaults();
        assertThat(registry.lookup(0x0108, 4)).isNull();
        assertThat(registry.lookup(0x0108, 0x81)).as("critical bit is part of the type").isNull();
        assertThat(registry.lookup(0x0109, 1)).isNull();
        assertThat(registry.lookup(0xFFFF, 0x80)).isNull();
        assertThat(registry.contains(0x0102, 0x80)).isTrue();
        assertThat(registry.contains(0x0102, 0x00)).isFalse();
        assertThat(OptionRegistry.builder().build().lookup(0, 0)).isNull();
    }

    @Test
    void rejectsDuplicateRegistration() {
        OptionRegistry.Builder builder = OptionRegistry.builder().register(GwlbOptions.FLOW_COOKIE);
        assertThatThrownBy(() -> builder.register(OptionDescriptor.raw(0x0108, 3, "mine", LengthRule.any())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("class 0x0108 type 0x03 is registered already (as AWS GWLB flow cookie)");
        assertThatThrownBy(() -> OptionRegistry.builder().registerAll(OptionRegistry.defaults())
                .registerAll(OptionRegistry.defaults())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void findsEveryOneOfManyKeysThatCollide() {
        OptionRegistry.Builder builder = OptionRegistry.builder();
        List<int[]> keys = new ArrayList<>();
        for (int c = 0; c < 40; c++) {
            for (int t = 0; t < 256; t += 37) {
                builder.register(OptionDescriptor.raw(0xFF00 + c, t, c + "/" + t, LengthRule.any()));
                keys.add(new int[] {0xFF00 + c, t});
            }
        }
        OptionRegistry registry = builder.build();
        for (int[] k : keys) {
            assertThat(registry.lookup(k[0], k[1]).name()).isEqualTo((k[0] - 0xFF00) + "/" + k[1]);
        }
        assertThat(registry.lookup(0xFF00, 1)).isNull();
        assertThat(registry.descriptors()).hasSize(keys.size());
    }

    @Test
    void decodesTypedValuesAndLeavesOthersRaw() {
        OptionRegistry registry = OptionRegistry.builder().registerAll(OptionRegistry.defaults())
                .register(OptionDescriptor.raw(0xFFFF, 0x80, "lab tag", LengthRule.fixed(4))).build();
        assertThat(registry.decode(new GeneveOption(0x0108, 3, new byte[] {0, 0, 1, 2})))
                .isEqualTo(new GwlbOptions.FlowCookie(258));
        // raw and unknown options stay raw: the option itself, the same object
        GeneveOption lab = new GeneveOption(0xFFFF, 0x80, new byte[4]);
        GeneveOption unknown = new GeneveOption(0x1234, 1, new byte[4]);
        assertThat(registry.decode(lab)).isSameAs(lab);
        assertThat(registry.decode(unknown)).isSameAs(unknown);
        assertThat(registry.lookup(0xFFFF, 0x80).isRaw()).isTrue();
        assertThat(registry.lookup(0x0108, 3).isRaw()).isFalse();
        // typed through a descriptor: the static type is the value's
        GwlbOptions.FlowCookie cookie = registry.decode(GwlbOptions.FLOW_COOKIE, new GeneveOption(0x0108, 3, new byte[] {0, 0, 1, 3}));
        assertThat(cookie.cookie()).isEqualTo(259);
        OptionDescriptor<GwlbOptions.FlowCookie> other = new OptionDescriptor<>(0x0108, 3, "another cookie",
                LengthRule.fixed(4), GwlbOptions.FLOW_COOKIE.codec());
        assertThatThrownBy(() -> registry.decode(other, new GeneveOption(0x0108, 3, new byte[4])))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not registered here");
    }

    @Test
    void aSharedRegistryAnswersConcurrentReaders() throws Exception {
        OptionRegistry registry = OptionRegistry.defaults();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Callable<Long>> readers = new ArrayList<>();
            for (int r = 0; r < 4; r++) {
                readers.add(() -> {
                    long found = 0;
                    for (int i = 0; i < 200_000; i++) {
                        if (registry.lookup(0x0108, 1 + i % 3) != null && registry.lookup(0x0108, 4) == null
                                && registry.lookup(0x0102, 0x80) != null) {
                            found++;
                        }
                    }
                    return found;
                });
            }
            for (Future<Long> f : pool.invokeAll(readers)) {
                assertThat(f.get()).isEqualTo(200_000);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void descriptorsValidateAndPrint() {
        assertThat(GwlbOptions.FLOW_COOKIE)
                .hasToString("AWS GWLB flow cookie (class 0x0108, type 0x03, 4 bytes)");
        assertThat(OvnPortKeys.DESCRIPTOR.critical()).isTrue();
        assertThatThrownBy(() -> OptionDescriptor.raw(0x10000, 1, "x", LengthRule.any()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OptionDescriptor.raw(1, 256, "x", LengthRule.any()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LengthRule.range(8, 4)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LengthRule.fixed(6)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LengthRule.fixed(128)).isInstanceOf(IllegalArgumentException.class);
        assertThat(LengthRule.range(4, 12).allows(8)).isTrue();
        assertThat(LengthRule.range(4, 12).allows(0)).isFalse();
        assertThat(LengthRule.range(4, 12).allows(16)).isFalse();
        assertThat(LengthRule.range(4, 12)).hasToString("4..12 bytes");
    }

    @Test
    void findsEveryEntryOfALargeRegistryWhateverItsCollisions() {
        // 320 entries in 1024 slots: colliding keys are certain, and each must be found where it was put
        OptionRegistry.Builder builder = OptionRegistry.builder();
        List<int[]> pairs = new ArrayList<>();
        for (int c = 0; c < 40; c++) {
            for (int t = 0; t < 8; t++) {
                int optionClass = 0x0200 + c * 7;
                int type = t * 33 & 0x7F;
                builder.register(OptionDescriptor.raw(optionClass, type, "test " + c + "/" + t, LengthRule.fixed(4)));
                pairs.add(new int[] {optionClass, type});
            }
        }
        OptionRegistry registry = builder.build();
        for (int[] p : pairs) {
            OptionDescriptor d = registry.lookup(p[0], p[1]);
            assertThat(d).as("class 0x%04x type %d", p[0], p[1]).isNotNull();
            assertThat(d.optionClass()).isEqualTo(p[0]);
            assertThat(d.type()).isEqualTo(p[1]);
        }
        assertThat(registry.lookup(0x0201, 0)).isNull();
        assertThat(registry.descriptors()).hasSize(320);
    }

    @Test
    void optionCodecOfDelegatesToItsFunctions() {
        OptionCodec<Integer> codec = OptionCodec.of(o -> o.data().length, n -> new GeneveOption(0x0101, 1, new byte[n]));
        assertThat(codec.decode(new GeneveOption(0x0101, 1, new byte[8]))).isEqualTo(8);
        assertThat(codec.encode(4)).isEqualTo(new GeneveOption(0x0101, 1, new byte[4]));
        assertThatThrownBy(() -> OptionCodec.of(null, n -> null)).isInstanceOf(NullPointerException.class)
                .hasMessage("decoder");
        assertThatThrownBy(() -> OptionCodec.<Integer>of(o -> 0, null)).isInstanceOf(NullPointerException.class)
                .hasMessage("encoder");
    }
}
