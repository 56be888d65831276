package io.github.geneve4j.gwlb;

/** Why the appliance did not send a received datagram back; counted per reason in {@link GwlbStats}. */
public enum GwlbDropReason {
    /**
     * The outer source address is not in the appliance's allow-list of GWLB addresses
     * ({@link GwlbAppliance.Builder#gwlbSource}): dropped before it is parsed, never answered.
     */
    NOT_GWLB,
    /** The outer packet was not IPv4 (GWLB sends over IPv4 only). */
    NOT_IPV4,
    /** Not a valid Geneve header (too short, version not 0, options overrunning the header). */
    BAD_GENEVE,
    /** The O bit was set: a control packet, not traffic. */
    CONTROL,
    /** The endpoint ID, attachment ID or flow cookie option was missing or malformed: not from GWLB. */
    MISSING_GWLB_OPTIONS,
    /** The protocol type was neither IPv4 (0x0800) nor IPv6 (0x86DD). */
    UNSUPPORTED_PROTOCOL,
    /** The inner packet was not a valid IPv4 or IPv6 packet of the protocol type the header named. */
    BAD_INNER_PACKET,
    /**
     * A packet of a live flow came from an outer source address other than the one that started the
     * flow (GWLB sends a flow from one address): a replay by someone else, which must not take the flow
     * over (in kernel-inspection mode, where its answers go). Not refreshed; the flow's owner is kept.
     */
    FLOW_SOURCE_MISMATCH,
    /** The inspector returned {@link GwlbVerdict#DROP}. */
    INSPECTOR,
    /** The reply could not be sent: the socket's buffer was full, or the send failed. */
    SEND_FAILED,
    /**
     * Kernel-inspection mode: a packet the kernel sent out of an egress device belongs to no flow GWLB
     * sent (GWLB is for inline inspection: flows start there), or a packet from GWLB found the flow table full.
     */
    KERNEL_UNKNOWN_FLOW,
    /** Kernel-inspection mode: the ingress device refused the packet (it is down: the hook did not bring it up). */
    KERNEL_WRITE_FAILED,
    /**
     * Kernel-inspection mode: a new endpoint ID past the limit of endpoint IDs with devices
     * ({@link GwlbAppliance.Builder#maxEndpoints}): nothing is made for it.
     */
    KERNEL_ENDPOINT_LIMIT,
    /**
     * Kernel-inspection mode: the endpoint's devices were being made (its first packets wait, up to a
     * few) or reclaimed.
     */
    KERNEL_ENDPOINT_PENDING,
    /**
     * Kernel-inspection mode: the endpoint's devices could not be made (its hook failed, descriptors ran
     * out); it is retried after a back-off, the other endpoints go on.
     */
    KERNEL_ENDPOINT_FAILED
}
