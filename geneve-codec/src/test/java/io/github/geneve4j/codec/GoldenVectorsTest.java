package io.github.geneve4j.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.geneve4j.testing.Backing;
import io.github.geneve4j.testing.Hex;
import io.github.geneve4j.testing.Vectors;
import io.github.geneve4j.testing.Vectors.Vector;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every vector in {@code vectors/geneve-headers.txt}, decoded over every backing kind at a non-zero
 * offset, through the view and through the record, and re-encoded.
 */
class GoldenVectorsTest {

    static final List<Vector> VECTORS = Vectors.load("/vectors/geneve-headers.txt");
    private static final int OFFSET = 5;

    static Stream<Arguments> vectorsTimesBackings() {
        List<Arguments> cases = new ArrayList<>();
        for (Vector vector : VECTORS) {
            for (Backing backing : Backing.values()) {
                cases.add(Arguments.of(vector, backing));
            }
        }
        return cases.stream();
    }

    @Test
    void vectorFileHasTheCasesTheIssueAsksFor() {
        assertThat(VECTORS).extracting(Vector::name).contains(
                "ovs-vni-0", "ovs-vni-5000", "max-option-data", "critical-zero-length-option",
                "oam-and-critical", "truncated-base", "version-1", "option-overrun-first");
        assertThat(VECTORS).allSatisfy(v -> assertThat(v.get("source")).isNotBlank());
    }

    @ParameterizedTest(name = "{0} over {1}")
    @MethodSource("vectorsTimesBackings")
    void viewDecodesVector(Vector vector, Backing backing) {
        byte[] bytes = vector.bytes();
        Backing.Placed placed = backing.place(bytes, OFFSET, 0);
        String expect = vector.get("expect");
        GeneveView view = new GeneveView();
        if (expect.startsWith("error")) {
            String[] parts = expect.split(" ");
            GeneveFormatException e = catchThrowableOfType(GeneveFormatException.class, () -> wrap(view, placed, backing));
            assertThat(e).as("decoding %s must fail", vector).isNotNull();
            assertThat(e.reason()).isEqualTo(GeneveFormatException.Reason.valueOf(parts[1]));
            assertThat(e.offset()).isEqualTo(Long.parseLong(parts[2]));
            // the non-throwing path agrees with the throwing one
            assertThat(tryWrap(view, placed, backing)).isFalse();
            assertThat(view.errorReason()).isEqualTo(e.reason());
            assertThat(view.errorOffset()).isEqualTo(e.offset());
            assertThatThrownBy(view::vni).isInstanceOf(IllegalStateException.class);
            return;
        }
        wrap(view, placed, backing);
        assertThat(describe(view)).isEqualTo(stripPayload(expect));
        assertThat(view.offset()).isEqualTo(OFFSET);
        assertThat(view.payloadOffset()).isEqualTo(OFFSET + view.headerLength());
        assertThat(view.payloadLength()).isEqualTo(bytes.length - view.headerLength());
        if (expect.contains("payload=")) {
            assertThat(view.payloadLength()).isEqualTo(Long.parseLong(expect.replaceAll(".*payload=", "")));
        }
        assertThat(view.toHeader()).isEqualTo(decodeRecord(placed, backing));
        assertThat(tryWrap(view, placed, backing)).isTrue();
        assertThat(view.errorReason()).isNull();
    }

    @ParameterizedTest(name = "{0} over {1}")
    @MethodSource("vectorsTimesBackings")
    void recordReencodesVector(Vector vector, Backing backing) {
        if (!vector.get("expect").startsWith("ok")) {
            return;
        }
        byte[] bytes = vector.bytes();
        GeneveHeader header = decodeRecord(backing.place(bytes, OFFSET, 0), backing);
        byte[] expected = vector.has("reencoded") ? Hex.bytes(vector.get("reencoded")) : bytes;
        int headerLength = header.encodedLength();
        Backing.Placed target = backing.allocate(OFFSET + headerLength + 3);
        int written = target.buffer() != null
                ? header.encode(target.buffer(), OFFSET)
                : header.encode(target.memory(), OFFSET);
        assertThat(written).isEqualTo(headerLength);
        assertThat(Hex.of(target.bytes(OFFSET, written))).isEqualTo(Hex.of(expected).substring(0, 2 * headerLength));
        // nothing written outside [OFFSET, OFFSET + written)
        assertThat(target.bytes(0, OFFSET)).containsOnly(0);
        assertThat(target.bytes(OFFSET + written, 3)).containsOnly(0);
    }

    static GeneveHeader decodeRecord(Backing.Placed placed, Backing backing) {
        return backing.isBuffer()
                ? GeneveHeader.decode(placed.buffer(), placed.offset())
                : GeneveHeader.decode(placed.memory(), placed.offset());
    }

    static void wrap(GeneveView view, Backing.Placed placed, Backing backing) {
        if (backing.isBuffer()) {
            view.wrap(placed.buffer(), placed.offset());
        } else {
            view.wrap(placed.memory(), placed.offset());
        }
    }

    static boolean tryWrap(GeneveView view, Backing.Placed placed, Backing backing) {
        return backing.isBuffer()
                ? view.tryWrap(placed.buffer(), placed.offset())
                : view.tryWrap(placed.memory(), placed.offset());
    }

    private static String stripPayload(String expect) {
        return expect.replaceAll(" payload=\\d+", "");
    }

    /** The view's fields in the vector file's {@code expect} notation. */
    static String describe(GeneveView view) {
        List<String> options = new ArrayList<>();
        for (GeneveOptionCursor o = view.options(); o.next(); ) {
            options.add(String.format("0x%04x/0x%02x/%s", o.optionClass(), o.type(), Hex.of(o.data())));
        }
        return String.format("ok version=%d oam=%b critical=%b protocolType=0x%04x vni=%d options=%s",
                view.version(), view.oam(), view.critical(), view.protocolType(), view.vni(),
                String.join(",", options));
    }
}
