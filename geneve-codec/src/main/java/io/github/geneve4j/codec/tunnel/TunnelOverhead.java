package io.github.geneve4j.codec.tunnel;

import io.github.geneve4j.codec.Geneve;
import io.github.geneve4j.codec.net.EthernetView;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.UdpView;

/**
 * How many bytes Geneve encapsulation adds, and what that leaves for the inner packet.
 *
 * <p>Two figures are in use and easily confused:
 * <ul>
 *   <li>{@link #ipOverhead} counts what the encapsulation adds inside the outer MTU: outer IP
 *       (20 or 40) + UDP (8) + Geneve (8 + options). AWS Gateway Load Balancer's documented 68 bytes
 *       is this figure: 20 + 8 + 8 + 32, its three options taking 32 bytes (12 + 12 + 8).
 *   <li>{@link #frameOverhead} counts the whole outer frame in front of the inner one: the above plus
 *       the outer Ethernet header (14, or 18 with an 802.1Q tag).
 * </ul>
 *
 * <pre>{@code
 * TunnelOverhead.ipOverhead(IpVersion.IPV4, 32);                  // 68, the AWS GWLB figure
 * TunnelOverhead.innerMtu(9001, IpVersion.IPV4, 32, false);       // 8933: inner IP packet, protocol type IPv4
 * TunnelOverhead.innerMtu(1500, IpVersion.IPV4, 0, true);         // 1450: inner IP in an inner Ethernet frame
 * }</pre>
 */
public final class TunnelOverhead {

    private TunnelOverhead() {
    }

    /**
     * Outer IP + UDP + Geneve header with {@code optionsLength} bytes of options.
     *
     * @throws IllegalArgumentException if {@code optionsLength} is not a multiple of 4 in 0..252
     */
    public static int ipOverhead(IpVersion outer, int optionsLength) {
        if (optionsLength < 0 || optionsLength > Geneve.MAX_OPTIONS_LENGTH || optionsLength % 4 != 0) {
            throw new IllegalArgumentException("options length " + optionsLength
                    + " (expected: a multiple of 4 in 0.." + Geneve.MAX_OPTIONS_LENGTH + ")");
        }
        return outer.headerLength() + UdpView.HEADER_LENGTH + Geneve.BASE_HEADER_LENGTH + optionsLength;
    }

    /** {@link #ipOverhead} plus the outer Ethernet header (14, or 18 with a VLAN tag). */
    public static int frameOverhead(IpVersion outer, boolean vlan, int optionsLength) {
        return (vlan ? EthernetView.TAGGED_HEADER_LENGTH : EthernetView.HEADER_LENGTH) + ipOverhead(outer, optionsLength);
    }

    /**
     * The largest inner IP packet that fits an outer MTU (the outer IP packet's size limit).
     *
     * @param innerEthernet whether the inner packet travels in an Ethernet frame (protocol type
     *     0x6558, 14 more bytes) rather than directly (protocol type 0x0800/0x86DD)
     * @throws IllegalArgumentException if nothing fits
     */
    public static int innerMtu(int outerMtu, IpVersion outer, int optionsLength, boolean innerEthernet) {
        int mtu = outerMtu - ipOverhead(outer, optionsLength) - (innerEthernet ? EthernetView.HEADER_LENGTH : 0);
        if (mtu <= 0) {
            throw new IllegalArgumentException("outer MTU " + outerMtu + " leaves no room for an inner packet");
        }
        return mtu;
    }
}
