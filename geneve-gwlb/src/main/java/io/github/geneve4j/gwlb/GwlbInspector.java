package io.github.geneve4j.gwlb;

/**
 * The appliance's inspection hook, called once for every valid inner packet on the receive thread
 * that took it. Several receive threads call one inspector at once: it must be thread-safe, and
 * should allocate nothing (the packet and its context are reused).
 *
 * <pre>{@code
 * GwlbInspector dropTelnet = packet -> packet.protocol() == 6 && packet.destinationPort() == 23
 *         ? GwlbVerdict.DROP : GwlbVerdict.FORWARD;
 * }</pre>
 *
 * <p>An inspector may rewrite the inner packet in place (addresses, ports, payload bytes; not its
 * length) and then call {@link GwlbPacket#rewritten()}, so that the appliance fixes the IPv4 header
 * checksum and the TCP, UDP or ICMP checksum before it sends the packet back. An exception thrown by
 * an inspector ends that receive thread: the appliance turns unhealthy ({@link GwlbAppliance#healthy()})
 * and reports it in {@link GwlbAppliance#failure()}.
 */
@FunctionalInterface
public interface GwlbInspector {

    /** Passes every packet through unchanged: the appliance's default. */
    GwlbInspector PASS = packet -> GwlbVerdict.FORWARD;

    /** Decides for {@code packet}, valid only during the call. */
    GwlbVerdict inspect(GwlbPacket packet);
}
