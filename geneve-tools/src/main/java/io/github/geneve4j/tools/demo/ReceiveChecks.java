package io.github.geneve4j.tools.demo;

import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOptionCursor;
import io.github.geneve4j.codec.GeneveView;
import io.github.geneve4j.codec.ProtocolType;
import java.util.Locale;

/**
 * What a tunnel endpoint of the tools checks before it delivers a received Geneve packet's payload:
 * its VNI, no O bit (RFC 8926 §3.4: a control packet's payload is not forwarded), an Ethernet
 * payload, and no critical option it does not understand (§3.5: drop). The options it understands
 * are the ones it sends itself.
 */
public final class ReceiveChecks {

    private ReceiveChecks() {
    }

    /** Why {@code view} must not be delivered by an endpoint whose own header is {@code ours}, or null. */
    public static String reason(GeneveView view, GeneveHeader ours) {
        if (view.vni() != ours.vni()) {
            return String.format(Locale.ROOT, "VNI %d (expected: %d)", view.vni(), ours.vni());
        }
        if (view.oam()) {
            return "control (O bit) packet: payload not forwarded (RFC 8926 section 3.4)";
        }
        if (view.protocolType() != ProtocolType.ETHERNET) {
            return String.format(Locale.ROOT, "protocol type 0x%04x (expected: 0x6558, Ethernet)", view.protocolType());
        }
        for (GeneveOptionCursor o = view.options(); o.next(); ) {
            if (o.critical() && !knows(ours, o.optionClass(), o.type())) {
                return String.format(Locale.ROOT, "unknown critical option class 0x%04x type 0x%02x at offset %d"
                        + " (RFC 8926 section 3.5: drop)", o.optionClass(), o.type(), o.offset());
            }
        }
        return null;
    }

    /** A short key for counting drops by reason. */
    public static String key(String reason) {
        int space = reason.indexOf(' ');
        return reason.startsWith("unknown critical") ? "unknown-critical-option"
                : reason.startsWith("control") ? "oam" : space > 0 ? reason.substring(0, space) : reason;
    }

    private static boolean knows(GeneveHeader ours, int optionClass, int type) {
        for (var o : ours.options()) {
            if (o.optionClass() == optionClass && o.type() == type) {
                return true;
            }
        }
        return false;
    }
}
