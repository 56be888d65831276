package io.github.geneve4j.options;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.GeneveView;
import java.lang.foreign.MemorySegment;

/**
 * Fuzzing the registry and receive policy over any bytes: the view and record verdicts agree in
 * both modes, a drop names an option inside the header, and every known option's typed decoder
 * either decodes or throws our exception. Regression inputs in {@code ReceivePolicyFuzzTestInputs/}.
 */
class ReceivePolicyFuzzTest {

    private static final ReceivePolicy STRICT = ReceivePolicy.strict(OptionRegistry.defaults());
    private static final ReceivePolicy LENIENT = ReceivePolicy.lenient(OptionRegistry.defaults());

    @FuzzTest(maxDuration = "10m")
    void verdictsAreTotalAndAgree(byte[] input) {
        GeneveView view = new GeneveView();
        if (!view.tryWrap(MemorySegment.ofArray(input), 0)) {
            return;
        }
        GeneveHeader header = view.toHeader();
        for (ReceivePolicy policy : new ReceivePolicy[] {STRICT, LENIENT}) {
            Verdict fromView = new Verdict();
            policy.evaluate(view, fromView);
            Verdict fromRecord = policy.evaluate(header);
            assertThat(fromRecord.kind()).isEqualTo(fromView.kind());
            assertThat(fromRecord.offset()).isEqualTo(fromView.offset());
            if (fromView.kind() == Verdict.Kind.DROP_UNKNOWN_CRITICAL || fromView.kind() == Verdict.Kind.DROP_BAD_LENGTH) {
                assertThat(fromView.offset()).isBetween(8, view.headerLength() - 4);
            }
        }
        assertThat(LENIENT.evaluate(header).kind().drop()).as("lenient drops no more than strict")
                .matches(drop -> !drop || STRICT.evaluate(header).kind().drop());
        for (GeneveOption option : header.options()) {
            try {
                Object typed = OptionRegistry.defaults().decode(option);
                if (typed instanceof TypedOption t) {
                    assertThat(t.toOption()).isEqualTo(option.optionClass() == OptionClass.OVN
                            ? new GeneveOption(option.optionClass(), option.type(), clearTopBit(option.data()))
                            : option);
                }
            } catch (GeneveFormatException expected) {
                assertThat(expected.reason()).isIn(GeneveFormatException.Reason.BAD_LENGTH,
                        GeneveFormatException.Reason.BAD_VALUE);
            }
        }
    }

    /** OVN's reserved bit is ignored on receipt and written as zero. */
    private static byte[] clearTopBit(byte[] data) {
        data[0] &= 0x7F;
        return data;
    }
}
