package io.github.geneve4j.tools.cli;

import io.github.geneve4j.codec.net.EtherType;
import io.github.geneve4j.codec.net.FrameLocator;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.UdpView;
import io.github.geneve4j.pcap.LinkType;
import java.lang.foreign.MemorySegment;

/**
 * Finds the outer UDP datagram in a captured packet with the library's {@link FrameLocator} (link
 * layer: Ethernet with any number of 802.1Q/802.1ad tags, raw IP, Linux cooked v1/v2; IPv4 options
 * skipped; IPv6 extension headers walked; IP fragments refused, first or not), then UDP bounded by
 * the IP packet. Anything that is not a whole UDP datagram over IP is reported as not found.
 * Reusable.
 */
final class OuterUdp {

    private final FrameLocator locator = new FrameLocator();
    private final UdpView udp = new UdpView();
    private MemorySegment data;
    int ipVersion;
    long sourceAddress;
    long destinationAddress;
    int sourcePort;
    int destinationPort;
    long payloadOffset;
    long payloadLength;

    /** Whether {@code data}, captured on a link of {@code linkType}, holds a UDP datagram. */
    boolean locate(int linkType, MemorySegment data) {
        this.data = data;
        FrameLocator.Link link = switch (linkType) {
            case LinkType.ETHERNET -> FrameLocator.Link.ETHERNET;
            case LinkType.RAW -> FrameLocator.Link.IP;
            case LinkType.LINUX_SLL -> FrameLocator.Link.LINUX_SLL;
            case LinkType.LINUX_SLL2 -> FrameLocator.Link.LINUX_SLL2;
            default -> null;
        };
        if (link == null || !locator.tryWrap(link, data, 0, data.byteSize())
                || locator.protocol() != EtherType.PROTOCOL_UDP
                || !udp.tryWrap(data, locator.transportOffset(), locator.transportLength())) {
            return false;
        }
        boolean v4 = locator.ipVersion() == IpVersion.IPV4;
        ipVersion = v4 ? 4 : 6;
        sourceAddress = v4 ? locator.ipv4().sourceOffset() : locator.ipv6().sourceOffset();
        destinationAddress = v4 ? locator.ipv4().destinationOffset() : locator.ipv6().destinationOffset();
        sourcePort = udp.sourcePort();
        destinationPort = udp.destinationPort();
        payloadOffset = udp.payloadOffset();
        payloadLength = udp.payloadLength();
        return true;
    }

    String source() {
        return address(sourceAddress);
    }

    String destination() {
        return address(destinationAddress);
    }

    private String address(long at) {
        return ipVersion == 4 ? Addresses.ipv4(data, at) : Addresses.ipv6(data, at);
    }
}
