package io.github.geneve4j.gwlb;

import io.github.geneve4j.endpoint.spi.RawIpv4Sender;
import io.github.geneve4j.endpoint.spi.FrameDevice;
import java.io.IOException;
import java.util.List;
import java.util.Objects;

/**
 * Kernel-inspection mode, as AWS's {@code gwlbtun} works: instead of an inspector in Java, each GWLB
 * endpoint ID gets a pair of layer-3 devices, created on its first packet: every inner packet from
 * GWLB is written to the ingress device {@code gwi-X}, where the kernel receives it and routes,
 * filters (iptables, nftables) or drops it; what the kernel sends out of the egress device
 * {@code gwo-X} is read back, matched to its flow (either direction of a 5-tuple GWLB sent) and
 * returned to GWLB with that flow's Geneve header and outer addresses; packets of flows GWLB never
 * sent are dropped ({@link GwlbDropReason#KERNEL_UNKNOWN_FLOW}). {@code X} is the endpoint ID in base 62
 * (11 characters: interface names have 15).
 *
 * <p>{@code hook} (may be empty) runs when a pair is created, and when the appliance closes, with the
 * arguments {@code CREATE} or {@code DESTROY}, the ingress and egress names and the endpoint ID in 16 hex
 * digits (as {@code gwlbtun}'s {@code -c}/{@code -r} scripts get): the place to bring the devices up,
 * turn off {@code rp_filter} on the ingress, route it to the egress and add firewall rules. Pairs and
 * hooks are made on a thread of their own ({@code gwlb-endpoints}), never on a receive thread: a new
 * endpoint's first packets wait for its hook (given 30 s), the other endpoints' flows go on. A hook
 * that fails (a non-zero exit, or still running after 30 s) or a device that cannot be opened (out of
 * descriptors) fails that endpoint alone: its packets are dropped and counted
 * ({@link GwlbDropReason#KERNEL_ENDPOINT_FAILED}), and it is tried again after a back-off (1 s doubling
 * to 60 s); the appliance stays healthy. At most {@link GwlbAppliance.Builder#maxEndpoints} endpoint IDs
 * get a pair; one without packets for {@link GwlbAppliance.Builder#endpointIdleTimeout} is reclaimed
 * with its {@code DESTROY} hook.
 *
 * <pre>{@code
 * GwlbAppliance.builder().transport(udp, raw)
 *         .kernelInspection(new GwlbKernelInspection(Tap::openTun, RawIpv4Socket::open, List.of("/etc/gwlb-hook.sh")))
 * }</pre>
 *
 * @param devices opens a layer-3 device by name ({@code Tap::openTun} from {@code geneve-linux})
 * @param returnPaths opens the return path of one egress device's thread ({@code RawIpv4Socket::open})
 * @param hook the command and its first arguments, or an empty list
 */
public record GwlbKernelInspection(DeviceOpener devices, ReturnPathOpener returnPaths, List<String> hook) {

    /** Checks and copies. */
    public GwlbKernelInspection {
        Objects.requireNonNull(devices, "devices");
        Objects.requireNonNull(returnPaths, "returnPaths");
        hook = List.copyOf(hook);
    }

    /** Opens a layer-3 device (one bare IP packet per read and write). */
    @FunctionalInterface
    public interface DeviceOpener {
        /** Opens, creating it, the device {@code name}. */
        FrameDevice open(String name) throws IOException;
    }

    /** Opens a return path. */
    @FunctionalInterface
    public interface ReturnPathOpener {
        /** Opens one. */
        RawIpv4Sender open() throws IOException;
    }

    private static final String DIGITS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

    /** The ingress device's name for {@code endpointId}: {@code gwi-} and the ID in base 62. */
    public static String ingressName(long endpointId) {
        return "gwi-" + base62(endpointId);
    }

    /** The egress device's name for {@code endpointId}: {@code gwo-} and the ID in base 62. */
    public static String egressName(long endpointId) {
        return "gwo-" + base62(endpointId);
    }

    static String base62(long value) {
        char[] out = new char[11];
        long v = value;
        for (int i = out.length - 1; i >= 0; i--) {
            out[i] = DIGITS.charAt((int) Long.remainderUnsigned(v, 62));
            v = Long.divideUnsigned(v, 62);
        }
        return new String(out);
    }
}
