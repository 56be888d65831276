package io.github.geneve4j.options;

import io.github.geneve4j.codec.Geneve;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.GeneveOptionCursor;
import io.github.geneve4j.codec.GeneveView;
import java.util.Objects;

/**
 * What a tunnel endpoint does with a received packet's options, by RFC 8926:
 * <ul>
 *   <li>§3.5: a critical option (type high bit) the receiver does not recognise means the packet
 *       MUST be dropped — in both modes, and whatever the C bit says (Open vSwitch does the same);
 *   <li>a known option whose length its descriptor forbids cannot be interpreted: dropped;
 *   <li>unknown non-critical options are ignored and kept byte for byte;
 *   <li>§3.4: the O bit marks a control packet, whose payload an endpoint MUST NOT forward:
 *       {@link Verdict.Kind#CONTROL};
 *   <li>§3.4: the C bit is set when, and only when, some option is critical. {@link #strict} drops a
 *       packet whose C bit disagrees; {@link #lenient} accepts it, as Open vSwitch does.
 * </ul>
 *
 * <pre>{@code
 * ReceivePolicy policy = ReceivePolicy.strict(OptionRegistry.defaults());   // shared
 * Verdict verdict = new Verdict();                                          // one per thread
 * if (policy.evaluate(view.wrap(packet, 0), verdict).drop()) {
 *     drops.increment(verdict.kind());
 * }
 * }</pre>
 */
public final class ReceivePolicy {

    /** How to treat a C bit that disagrees with the options. */
    public enum Mode {
        /** Drop it: the sender broke RFC 8926 §3.4. */
        STRICT,
        /** Accept it, as Open vSwitch does. */
        LENIENT
    }

    private final OptionRegistry registry;
    private final Mode mode;

    private ReceivePolicy(OptionRegistry registry, Mode mode) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.mode = Objects.requireNonNull(mode, "mode");
    }

    /** The RFC to the letter, C bit included. */
    public static ReceivePolicy strict(OptionRegistry registry) {
        return new ReceivePolicy(registry, Mode.STRICT);
    }

    /** As Open vSwitch: a C bit that disagrees with the options is accepted. */
    public static ReceivePolicy lenient(OptionRegistry registry) {
        return new ReceivePolicy(registry, Mode.LENIENT);
    }

    /** Whether the policy is strict or lenient about the C bit. */
    public Mode mode() {
        return mode;
    }

    /** The options the policy knows. */
    public OptionRegistry registry() {
        return registry;
    }

    /**
     * The verdict for the header {@code view} wraps, written into {@code into}. Allocates nothing.
     *
     * @return {@code into.kind()}
     */
    public Verdict.Kind evaluate(GeneveView view, Verdict into) {
        boolean anyCritical = false;
        for (GeneveOptionCursor o = view.options(); o.next(); ) {
            int optionClass = o.optionClass();
            int type = o.type();
            boolean critical = (type & Geneve.CRITICAL_TYPE_BIT) != 0;
            anyCritical |= critical;
            OptionDescriptor<?> d = registry.lookup(optionClass, type);
            if (d == null) {
                if (critical) {
                    return into.set(Verdict.Kind.DROP_UNKNOWN_CRITICAL, optionClass, type, o.offset(), o.dataLength(),
                            null).kind();
                }
            } else if (!d.length().allows(o.dataLength())) {
                return into.set(Verdict.Kind.DROP_BAD_LENGTH, optionClass, type, o.offset(), o.dataLength(), d).kind();
            }
        }
        return finish(view.critical(), anyCritical, view.oam(), into);
    }

    /** The verdict for {@code view} in a new {@link Verdict}. */
    public Verdict evaluate(GeneveView view) {
        Verdict verdict = new Verdict();
        evaluate(view, verdict);
        return verdict;
    }

    /** The verdict for a decoded header (offsets count from the header's first byte). */
    public Verdict evaluate(GeneveHeader header) {
        Verdict into = new Verdict();
        boolean anyCritical = false;
        int offset = Geneve.BASE_HEADER_LENGTH;
        for (GeneveOption o : header.options()) {
            anyCritical |= o.critical();
            OptionDescriptor<?> d = registry.lookup(o.optionClass(), o.type());
            if (d == null) {
                if (o.critical()) {
                    into.set(Verdict.Kind.DROP_UNKNOWN_CRITICAL, o.optionClass(), o.type(), offset, o.dataLength(), null);
                    return into;
                }
            } else if (!d.length().allows(o.dataLength())) {
                into.set(Verdict.Kind.DROP_BAD_LENGTH, o.optionClass(), o.type(), offset, o.dataLength(), d);
                return into;
            }
            offset += o.encodedLength();
        }
        finish(header.critical(), anyCritical, header.oam(), into);
        return into;
    }

    private Verdict.Kind finish(boolean cBit, boolean anyCritical, boolean oam, Verdict into) {
        if (mode == Mode.STRICT && cBit != anyCritical) {
            return into.set(Verdict.Kind.DROP_CRITICAL_BIT_MISMATCH, -1, -1, 1, -1, null).kind();
        }
        return into.set(oam ? Verdict.Kind.CONTROL : Verdict.Kind.ACCEPT, -1, -1, -1, -1, null).kind();
    }
}
