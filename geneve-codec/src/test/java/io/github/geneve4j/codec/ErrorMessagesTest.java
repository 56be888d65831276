package io.github.geneve4j.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.testing.Hex;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Messages state the value found and what was expected; the non-throwing path says the same. */
class ErrorMessagesTest {

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "00 00 65 58 00; TRUNCATED at offset 5: Geneve header truncated: 5 bytes (expected: at least 8 bytes)",
        "02 00 65 58 00 13 88 00 ff ff 80 01; TRUNCATED at offset 12: Geneve header truncated: 12 bytes, but Opt Len 2 announces 16 bytes",
        "80 00 65 58 00 13 88 00; UNSUPPORTED_VERSION at offset 0: Geneve version 2 (expected: 0)",
        "03 00 65 58 00 00 00 00 01 08 03 01 12 34 56 78 ff ff 01 02 00 00 00 00; OPTION_OVERRUN at offset 16: option at offset 16 with 8 bytes of data ends at offset 28 (expected: at most 20, the end of the options)",
    })
    void messageNamesFoundAndExpected(String hex, String message) {
        byte[] bytes = Hex.bytes(hex);
        assertThatThrownBy(() -> GeneveHeader.decode(bytes)).isInstanceOf(GeneveFormatException.class).hasMessage(message);
        GeneveView view = new GeneveView();
        assertThat(view.tryWrap(MemorySegment.ofArray(bytes), 0)).isFalse();
        assertThat(view.errorReason() + " at offset " + view.errorOffset() + ": " + view.errorMessage()).isEqualTo(message);
        assertThat(view.tryWrap(MemorySegment.ofArray(Hex.bytes("00 00 65 58 00 00 00 00")), 0)).isTrue();
        assertThat(view.errorMessage()).isNull();
    }
}
