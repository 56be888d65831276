package io.github.geneve4j.options.nat64;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.GeneveOptionCursor;
import io.github.geneve4j.options.LengthRule;
import io.github.geneve4j.options.OptionClass;
import io.github.geneve4j.options.OptionCodec;
import io.github.geneve4j.options.OptionDescriptor;
import io.github.geneve4j.options.TypedOption;
import io.github.geneve4j.options.internal.Fields;
import io.github.geneve4j.options.internal.Layouts;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * nat64.net's options, class 0x0162, as nat64.net publishes them
 * ({@code https://nat64.net/geneve/nat64-bypass}, {@code https://nat64.net/geneve/audit-mirror}):
 * <ul>
 *   <li>type 0x00, NAT64 bypass (non-critical): the packet comes from a NAT64 gateway through a bypass
 *       tunnel to an IPv4-only server; data: an optional log message;
 *   <li>type 0x81, audit mirror (critical): the packet is a copy for auditing, not to be forwarded;
 *       data: an optional human-readable explanation.
 * </ul>
 * Both carry UTF-8 text followed by 0–3 padding bytes of value 0xFF (which UTF-8 never contains).
 * Text that is not UTF-8, or more than 3 bytes of padding, is refused ({@code BAD_VALUE}).
 */
public final class Nat64Options {

    /** The type of the NAT64 bypass option. */
    public static final int BYPASS_TYPE = 0x00;
    /** The type of the audit mirror option (critical). */
    public static final int AUDIT_MIRROR_TYPE = 0x81;

    /** NAT64 bypass: class 0x0162, type 0x00, any length. */
    public static final OptionDescriptor<Bypass> BYPASS = new OptionDescriptor<>(OptionClass.NAT64_NET, BYPASS_TYPE,
            "nat64.net NAT64 bypass", LengthRule.any(),
            OptionCodec.of(Bypass::from, c -> Fields.viaOption(c, Bypass::from), Bypass::toOption));
    /** Audit mirror: class 0x0162, type 0x81, any length. */
    public static final OptionDescriptor<AuditMirror> AUDIT_MIRROR = new OptionDescriptor<>(OptionClass.NAT64_NET,
            AUDIT_MIRROR_TYPE, "nat64.net audit mirror", LengthRule.any(),
            OptionCodec.of(AuditMirror::from, c -> Fields.viaOption(c, AuditMirror::from), AuditMirror::toOption));

    private Nat64Options() {
    }

    /**
     * The NAT64 bypass option (type 0x00), with an optional log message.
     *
     * @param message the log message, empty if none
     */
    public record Bypass(String message) implements TypedOption {
        /**
         * Checks the components.
         *
         * @throws IllegalArgumentException if the message does not fit an option (124 bytes with padding)
         */
        public Bypass {
            encode(message);
        }

        @Override
        public GeneveOption toOption() {
            return new GeneveOption(OptionClass.NAT64_NET, BYPASS_TYPE, encode(message));
        }

        /**
         * The message of a decoded option.
         *
         * @throws GeneveFormatException unless it is this option with UTF-8 text and 0–3 bytes of 0xFF padding
         */
        public static Bypass from(GeneveOption option) {
            Layouts.expect(option, BYPASS);
            return new Bypass(decode(BYPASS, option));
        }
    }

    /**
     * The audit mirror option (type 0x81), with an optional explanation.
     *
     * @param explanation the explanation, empty if none
     */
    public record AuditMirror(String explanation) implements TypedOption {
        /**
         * Checks the components.
         *
         * @throws IllegalArgumentException if the explanation does not fit an option
         */
        public AuditMirror {
            encode(explanation);
        }

        @Override
        public GeneveOption toOption() {
            return new GeneveOption(OptionClass.NAT64_NET, AUDIT_MIRROR_TYPE, encode(explanation));
        }

        /**
         * The explanation of a decoded option.
         *
         * @throws GeneveFormatException as {@link Bypass#from(GeneveOption)}
         */
        public static AuditMirror from(GeneveOption option) {
            Layouts.expect(option, AUDIT_MIRROR);
            return new AuditMirror(decode(AUDIT_MIRROR, option));
        }
    }

    /**
     * How many bytes of text the cursor's option carries (its data less the 0xFF padding), read in
     * place: no allocation.
     *
     * @throws GeneveFormatException unless it is a nat64.net bypass or audit mirror option with 0–3
     *     bytes of padding
     */
    public static int textLength(GeneveOptionCursor cursor) {
        OptionDescriptor<?> d = cursor.type() == AUDIT_MIRROR_TYPE ? AUDIT_MIRROR : BYPASS;
        Layouts.expect(cursor, d);
        int end = cursor.dataLength();
        while (end > 0 && cursor.dataU8(end - 1) == 0xFF) {
            end--;
        }
        if (cursor.dataLength() - end > 3) {
            throw Fields.badValue(d, cursor, end, (cursor.dataLength() - end) + " bytes of 0xff padding (expected: 0..3)");
        }
        return end;
    }

    private static byte[] encode(String text) {
        Objects.requireNonNull(text, "text");
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        int padded = (utf8.length + 3) & ~3;
        if (padded > 124) {
            throw new IllegalArgumentException("nat64.net option text of " + utf8.length
                    + " UTF-8 bytes (expected: at most 124 with padding)");
        }
        byte[] data = Arrays.copyOf(utf8, padded);
        Arrays.fill(data, utf8.length, padded, (byte) 0xFF);
        return data;
    }

    private static String decode(OptionDescriptor<?> d, GeneveOption option) {
        byte[] data = option.data();
        int end = data.length;
        while (end > 0 && data[end - 1] == (byte) 0xFF) {
            end--;
        }
        if (data.length - end > 3) {
            throw Fields.badValue(d, end, (data.length - end) + " bytes of 0xff padding (expected: 0..3)");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(data, 0, end)).toString();
        } catch (CharacterCodingException e) {
            throw Fields.badValue(d, 0, "text that is not UTF-8");
        }
    }
}
