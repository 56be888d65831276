package io.github.geneve4j.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.github.geneve4j.testing.Gen;
import io.github.geneve4j.testing.GeneveGenerators;
import io.github.geneve4j.testing.Hex;
import io.github.geneve4j.testing.Property;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Properties of the codec over generated headers and bytes (seeded; see {@link Property}). */
class GeneveProperties {

    @Test
    void decodeInvertsEncode() {
        Property.forAll("decode(encode(h)) == h", GeneveGenerators.headers(), header -> {
            byte[] wire = header.toBytes();
            assertThat(wire).hasSize(header.encodedLength());
            assertThat(GeneveHeader.decode(wire)).isEqualTo(header);
            assertThat(GeneveHeader.decode(ByteBuffer.wrap(wire), 0)).isEqualTo(header);
        });
    }

    @Test
    void encodeInvertsDecodeOnValidWireBytes() {
        Property.forAll("encode(decode(b)) == b", GeneveGenerators.validWire(), wire -> {
            GeneveView view = new GeneveView().wrap(MemorySegment.ofArray(wire), 0);
            byte[] header = Arrays.copyOf(wire, view.headerLength());
            assertThat(Hex.of(view.toHeader().toBytes())).isEqualTo(Hex.of(header));
            assertThat(view.payloadLength()).isEqualTo(wire.length - view.headerLength());
        });
    }

    @Test
    void everyPrefixShorterThanTheHeaderIsTruncated() {
        Property.forAll("prefixes fail with TRUNCATED", GeneveGenerators.validWire(), wire -> {
            int headerLength = 8 + 4 * (wire[0] & 0x3F);
            for (int length = 0; length < headerLength; length++) {
                byte[] prefix = Arrays.copyOf(wire, length);
                Throwable thrown = catchThrowable(() -> GeneveHeader.decode(prefix));
                assertThat(thrown).as("prefix of %d bytes", length).isInstanceOf(GeneveFormatException.class);
                GeneveFormatException e = (GeneveFormatException) thrown;
                assertThat(e.reason()).isEqualTo(GeneveFormatException.Reason.TRUNCATED);
                assertThat(e.offset()).isEqualTo(length);
            }
        });
    }

    @Test
    void reservedBitsAreIgnoredOnReceipt() {
        Gen<byte[][]> pairs = s -> {
            byte[] wire = GeneveGenerators.validWire().generate(s);
            byte[] noisy = wire.clone();
            noisy[1] |= (byte) s.between(0, 0x3F);
            noisy[7] = (byte) s.between(0, 0xFF);
            int end = 8 + 4 * (wire[0] & 0x3F);
            for (int at = 8; at < end; at += 4 + 4 * (wire[at + 3] & 0x1F)) {
                noisy[at + 3] |= (byte) (s.between(0, 7) << 5);
            }
            return new byte[][] {wire, noisy};
        };
        Property.forAll("reserved bits change nothing", pairs, pair ->
                assertThat(GeneveHeader.decode(pair[1])).isEqualTo(GeneveHeader.decode(pair[0])));
    }

    @Test
    void arbitraryBytesDecodeOrFailWithOurExceptionOnly() {
        Property.forAll("arbitrary bytes", 3000, Gen.bytes(0, 300), GeneveProperties::decodesOrRejectsCleanly);
    }

    @Test
    void singleByteMutationsDecodeOrFailWithOurExceptionOnly() {
        Gen<byte[]> mutated = s -> {
            byte[] wire = GeneveGenerators.validWire().generate(s);
            if (wire.length > 0) {
                wire[s.choice(wire.length)] = (byte) s.choice(256);
            }
            return wire;
        };
        Property.forAll("single-byte mutations", 3000, mutated, GeneveProperties::decodesOrRejectsCleanly);
    }

    /** The hostile-input contract: our exception or a header that view and record agree on. */
    static void decodesOrRejectsCleanly(byte[] bytes) {
        GeneveView view = new GeneveView();
        boolean ok = view.tryWrap(MemorySegment.ofArray(bytes), 0);
        Throwable thrown = catchThrowable(() -> GeneveHeader.decode(ByteBuffer.wrap(bytes), 0));
        if (!ok) {
            assertThat(thrown).isInstanceOf(GeneveFormatException.class);
            GeneveFormatException e = (GeneveFormatException) thrown;
            assertThat(e.reason()).isEqualTo(view.errorReason());
            assertThat(e.offset()).isEqualTo(view.errorOffset()).isBetween(0L, (long) bytes.length);
            return;
        }
        assertThat(thrown).isNull();
        GeneveHeader header = GeneveHeader.decode(bytes);
        assertThat(header.version()).isZero();
        assertThat(header.vni()).isEqualTo(view.vni());
        assertThat(header.protocolType()).isEqualTo(view.protocolType());
        assertThat(header.oam()).isEqualTo(view.oam());
        assertThat(header.critical()).isEqualTo(view.critical());
        assertThat(header.encodedLength()).isEqualTo(view.headerLength()).isLessThanOrEqualTo(bytes.length);
        assertThat(header.options()).hasSize(view.optionCount());
        assertThat(view.payloadOffset() + view.payloadLength()).isEqualTo(bytes.length);
    }
}
