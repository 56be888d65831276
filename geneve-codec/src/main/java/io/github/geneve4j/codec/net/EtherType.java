package io.github.geneve4j.codec.net;

/** EtherType and IP protocol numbers the L2–L4 helpers use. */
public final class EtherType {

    /** IPv4 (0x0800). */
    public static final int IPV4 = 0x0800;
    /** ARP (0x0806). */
    public static final int ARP = 0x0806;
    /** IPv6 (0x86DD). */
    public static final int IPV6 = 0x86DD;
    /** An 802.1Q VLAN tag (0x8100). */
    public static final int VLAN = 0x8100;
    /** 802.1ad service tag (the outer tag of Q-in-Q). */
    public static final int SERVICE_VLAN = 0x88A8;
    /** Transparent Ethernet Bridging (0x6558), Geneve's protocol type for an Ethernet payload. */
    public static final int TRANSPARENT_ETHERNET = 0x6558;

    /** IP protocol number of TCP. */
    public static final int PROTOCOL_TCP = 6;
    /** IP protocol number of UDP. */
    public static final int PROTOCOL_UDP = 17;

    private EtherType() {
    }
}
