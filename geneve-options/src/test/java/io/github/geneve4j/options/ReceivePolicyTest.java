package io.github.geneve4j.options;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveView;
import io.github.geneve4j.testing.Hex;
import java.lang.foreign.MemorySegment;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every verdict, in both modes, for the view and for the record. */
class ReceivePolicyTest {

    static final OptionRegistry REGISTRY = OptionRegistry.builder().registerAll(OptionRegistry.defaults())
            .register(OptionDescriptor.raw(0xFFFF, 0x80, "OVS test tun_metadata0", LengthRule.fixed(4))).build();

    static Stream<Arguments> cases() {
        return Stream.of(
                // name, wire bytes, strict verdict, lenient verdict, offending offset
                Arguments.of("no options", "00 00 65 58 00 13 88 00", "ACCEPT", "ACCEPT", -1),
                Arguments.of("AWS GWLB three options",
                        "08 00 08 00 00 00 00 00 01 08 01 02 11 22 33 44 55 66 77 88 01 08 02 02 99 aa bb cc dd ee ff 00"
                                + " 01 08 03 01 12 34 56 78", "ACCEPT", "ACCEPT", -1),
                Arguments.of("OVS vector: known critical option, C clear",
                        "02 00 65 58 00 13 88 00 ff ff 80 01 a1 b2 c3 d4", "DROP_CRITICAL_BIT_MISMATCH", "ACCEPT", 1),
                Arguments.of("known critical option, C set",
                        "02 40 65 58 00 13 88 00 ff ff 80 01 a1 b2 c3 d4", "ACCEPT", "ACCEPT", -1),
                Arguments.of("C set without critical options",
                        "00 40 65 58 00 13 88 00", "DROP_CRITICAL_BIT_MISMATCH", "ACCEPT", 1),
                Arguments.of("unknown critical option, C set",
                        "03 40 65 58 00 13 88 00 01 08 03 01 12 34 56 78 ff fe 80 00", "DROP_UNKNOWN_CRITICAL",
                        "DROP_UNKNOWN_CRITICAL", 16),
                Arguments.of("unknown critical option, C clear (dropped all the same, as OVS does)",
                        "01 00 65 58 00 13 88 00 ff fe 80 00", "DROP_UNKNOWN_CRITICAL", "DROP_UNKNOWN_CRITICAL", 8),
                Arguments.of("unknown non-critical option: kept",
                        "02 00 65 58 00 13 88 00 ff fe 01 01 de ad be ef", "ACCEPT", "ACCEPT", -1),
                Arguments.of("known option with a length its descriptor forbids",
                        "03 00 08 00 00 00 00 00 01 08 03 02 00 00 00 00 00 00 00 00", "DROP_BAD_LENGTH",
                        "DROP_BAD_LENGTH", 8),
                Arguments.of("O bit: control packet", "00 80 65 58 00 13 88 00", "CONTROL", "CONTROL", -1),
                Arguments.of("O bit with an unknown critical option: the drop wins",
                        "01 c0 65 58 00 13 88 00 ff fe 80 00", "DROP_UNKNOWN_CRITICAL", "DROP_UNKNOWN_CRITICAL", 8));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void verdicts(String name, String hex, String strict, String lenient, int offset) {
        byte[] bytes = Hex.bytes(hex);
        GeneveView view = new GeneveView().wrap(MemorySegment.ofArray(bytes), 0);
        GeneveHeader header = GeneveHeader.decode(bytes);
        Verdict reused = new Verdict();
        for (var mode : new Object[][] {{ReceivePolicy.strict(REGISTRY), strict}, {ReceivePolicy.lenient(REGISTRY), lenient}}) {
            ReceivePolicy policy = (ReceivePolicy) mode[0];
            Verdict.Kind expected = Verdict.Kind.valueOf((String) mode[1]);
            assertThat(policy.evaluate(view, reused)).as("%s, %s, view", name, policy.mode()).isEqualTo(expected);
            Verdict fromRecord = policy.evaluate(header);
            assertThat(fromRecord.kind()).as("%s, %s, record", name, policy.mode()).isEqualTo(expected);
            assertThat(expected.drop()).isEqualTo(expected.name().startsWith("DROP"));
            if (expected.drop()) {
                assertThat(reused.offset()).isEqualTo(offset);
                assertThat(fromRecord.offset()).isEqualTo(offset);
                assertThat(fromRecord.toString()).startsWith(expected.name());
            } else {
                assertThat(reused.offset()).isEqualTo(-1);
                assertThat(reused.toString()).isEqualTo(expected.name());
            }
        }
    }

    @org.junit.jupiter.api.Test
    void dropsNameTheOffendingOption() {
        Verdict v = ReceivePolicy.lenient(REGISTRY).evaluate(GeneveHeader.decode(
                Hex.bytes("03 40 65 58 00 13 88 00 01 08 03 01 12 34 56 78 ff fe 80 00")));
        assertThat(v.optionClass()).isEqualTo(0xFFFE);
        assertThat(v.optionType()).isEqualTo(0x80);
        assertThat(v.dataLength()).isZero();
        assertThat(v).hasToString("DROP_UNKNOWN_CRITICAL: class 0xfffe type 0x80 at offset 16");
        Verdict bad = ReceivePolicy.strict(REGISTRY).evaluate(GeneveHeader.decode(
                Hex.bytes("03 00 08 00 00 00 00 00 01 08 03 02 00 00 00 00 00 00 00 00")));
        assertThat(bad.descriptor().name()).isEqualTo("AWS GWLB flow cookie");
        assertThat(bad.dataLength()).isEqualTo(8);
        assertThat(bad).hasToString("DROP_BAD_LENGTH: AWS GWLB flow cookie (class 0x0108, type 0x03, 4 bytes)"
                + " with 8 bytes of data at offset 8");
        assertThat(ReceivePolicy.strict(REGISTRY).mode()).isEqualTo(ReceivePolicy.Mode.STRICT);
        assertThat(ReceivePolicy.lenient(REGISTRY).registry()).isSameAs(REGISTRY);
    }

    @org.junit.jupiter.api.Test
    void theAcceptPathAllocatesNothing() {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        byte[] bytes = Hex.bytes("08 00 08 00 00 00 00 00 01 08 01 02 11 22 33 44 55 66 77 88 01 08 02 02 99 aa bb cc"
                + " dd ee ff 00 01 08 03 01 12 34 56 78");
        MemorySegment packet = MemorySegment.ofArray(bytes);
        GeneveView view = new GeneveView();
        Verdict verdict = new Verdict();
        ReceivePolicy policy = ReceivePolicy.strict(OptionRegistry.defaults());
        long accepted = 0;
        for (int i = 0; i < 20_000; i++) {
            accepted += policy.evaluate(view.wrap(packet, 0), verdict) == Verdict.Kind.ACCEPT ? 1 : 0;
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 200_000; i++) {
            accepted += policy.evaluate(view.wrap(packet, 0), verdict) == Verdict.Kind.ACCEPT ? 1 : 0;
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(accepted).isEqualTo(220_000);
        assertThat(allocated).as("bytes over 200,000 verdicts").isLessThan(50_000);
    }

    @org.junit.jupiter.api.Test
    void evaluateIntoANewVerdictGivesTheSameVerdict() {
        GeneveView view = new GeneveView().wrap(MemorySegment.ofArray(
                Hex.bytes("03 40 65 58 00 13 88 00 01 08 03 01 12 34 56 78 ff fe 80 00")), 0);
        ReceivePolicy policy = ReceivePolicy.strict(REGISTRY);
        Verdict into = new Verdict();
        Verdict.Kind kind = policy.evaluate(view, into);
        Verdict fresh = policy.evaluate(view);
        assertThat(fresh).isNotSameAs(into);
        assertThat(fresh.kind()).isEqualTo(kind).isEqualTo(Verdict.Kind.DROP_UNKNOWN_CRITICAL);
        assertThat(fresh.offset()).isEqualTo(into.offset()).isEqualTo(16);
        assertThat(fresh.optionClass()).isEqualTo(0xfffe);
    }
}
