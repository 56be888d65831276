package io.github.geneve4j.codec.net;

/** Version of an IP header, with its fixed header length. */
public enum IpVersion {
    /** IPv4: 20-byte header without options. */
    IPV4(20, EtherType.IPV4),
    /** IPv6: 40-byte fixed header. */
    IPV6(40, EtherType.IPV6);

    private final int headerLength;
    private final int etherType;

    IpVersion(int headerLength, int etherType) {
        this.headerLength = headerLength;
        this.etherType = etherType;
    }

    /** The fixed header length: 20 or 40 bytes. */
    public int headerLength() {
        return headerLength;
    }

    /** The EtherType: 0x0800 or 0x86DD. */
    public int etherType() {
        return etherType;
    }
}
