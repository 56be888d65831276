package io.github.geneve4j.tools.demo;

import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.GeneveView;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.options.LengthRule;
import io.github.geneve4j.options.OptionDescriptor;
import io.github.geneve4j.options.OptionRegistry;
import io.github.geneve4j.options.ReceivePolicy;
import io.github.geneve4j.options.Verdict;
import java.util.Locale;

/**
 * What a tunnel endpoint of the tools checks before it delivers a received Geneve packet's payload:
 * its VNI, an Ethernet payload, and the {@link ReceivePolicy} (lenient, as Open vSwitch): a
 * critical option it does not understand means drop (RFC 8926 §3.5), an O-bit packet's payload is
 * not forwarded (§3.4). It understands the options of {@link OptionRegistry#defaults()} and the ones
 * it sends itself.
 */
public final class ReceiveChecks {

    private final GeneveHeader ours;
    private final ReceivePolicy policy;
    private final Verdict verdict = new Verdict();

    /** Checks for an endpoint that sends {@code ours}; one instance per receiving thread. */
    public ReceiveChecks(GeneveHeader ours) {
        this.ours = ours;
        OptionRegistry.Builder registry = OptionRegistry.builder().registerAll(OptionRegistry.defaults());
        for (GeneveOption o : ours.options()) {
            if (!OptionRegistry.defaults().contains(o.optionClass(), o.type())) {
                try {
                    registry.register(OptionDescriptor.raw(o.optionClass(), o.type(), "configured option",
                            LengthRule.any()));
                } catch (IllegalArgumentException sameOptionTwice) {
                    // --option given twice with one class and type: once is enough
                }
            }
        }
        this.policy = ReceivePolicy.lenient(registry.build());
    }

    /** Why {@code view} must not be delivered, or null. */
    public String reason(GeneveView view) {
        if (view.vni() != ours.vni()) {
            return String.format(Locale.ROOT, "VNI %d (expected: %d)", view.vni(), ours.vni());
        }
        if (view.protocolType() != ProtocolType.ETHERNET) {
            return String.format(Locale.ROOT, "protocol type 0x%04x (expected: 0x6558, Ethernet)", view.protocolType());
        }
        return switch (policy.evaluate(view, verdict)) {
            case ACCEPT -> null;
            case CONTROL -> "control (O bit) packet: payload not forwarded (RFC 8926 section 3.4)";
            case DROP_UNKNOWN_CRITICAL -> String.format(Locale.ROOT, "unknown critical option class 0x%04x type 0x%02x"
                    + " at offset %d (RFC 8926 section 3.5: drop)", verdict.optionClass(), verdict.optionType(),
                    verdict.offset());
            default -> verdict.toString();
        };
    }

    /** A short key for counting drops by reason. */
    public static String key(String reason) {
        int space = reason.indexOf(' ');
        return reason.startsWith("unknown critical") ? "unknown-critical-option"
                : reason.startsWith("control") ? "oam"
                : reason.startsWith("DROP_") ? reason.substring(0, reason.indexOf(':') > 0 ? reason.indexOf(':') : reason.length())
                : space > 0 ? reason.substring(0, space) : reason;
    }
}
