package io.github.geneve4j.codec;

/**
 * Well-known values of the Geneve Protocol Type field, which holds an EtherType (RFC 8926 §3.4).
 *
 * <p>Any 16-bit value is legal on the wire; these are the ones deployments send.
 */
public final class ProtocolType {

    /** Transparent Ethernet Bridging: the payload is an Ethernet frame (Open vSwitch, OVN). */
    public static final int ETHERNET = 0x6558;
    /** The payload is an IPv4 packet (AWS Gateway Load Balancer). */
    public static final int IPV4 = 0x0800;
    /** The payload is an IPv6 packet. */
    public static final int IPV6 = 0x86DD;

    private ProtocolType() {
    }

    /**
     * A short name for a protocol type, or its hex value when it is not one of the constants here.
     *
     * <pre>{@code ProtocolType.name(0x6558)  // "Ethernet"}</pre>
     */
    public static String name(int protocolType) {
        return switch (protocolType) {
            case ETHERNET -> "Ethernet";
            case IPV4 -> "IPv4";
            case IPV6 -> "IPv6";
            default -> String.format("0x%04x", protocolType);
        };
    }
}
