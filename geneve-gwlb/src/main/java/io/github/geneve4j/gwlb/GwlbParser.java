package io.github.geneve4j.gwlb;

import io.github.geneve4j.codec.GeneveOptionCursor;
import io.github.geneve4j.codec.GeneveView;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.endpoint.spi.DatagramSource;
import io.github.geneve4j.options.OptionClass;
import io.github.geneve4j.options.aws.GwlbOptions;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Reads one received datagram into a {@link GwlbPacket}, or says why it is not GWLB's: outer IPv4, a
 * valid Geneve header without the O bit, the three GWLB options well formed, an IPv4 or IPv6 inner
 * packet of the protocol type the header names, its ports and its addresses (the flow's key). One per
 * receive thread; allocates nothing, throws nothing for any input.
 */
final class GwlbParser {

    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final GeneveView view = new GeneveView();

    /**
     * Fills {@code p} from the {@code length}-byte datagram at {@code at} of {@code segment}.
     *
     * @return null when it is a GWLB packet, else why it is dropped
     */
    GwlbDropReason parse(DatagramSource source, MemorySegment segment, long at, int length, GwlbPacket p) {
        if (source.isIpv6()) {
            return GwlbDropReason.NOT_IPV4;
        }
        if (!view.tryWrap(segment, at) || view.headerLength() > length) {
            return GwlbDropReason.BAD_GENEVE;
        }
        if (view.oam()) {
            return GwlbDropReason.CONTROL;
        }
        if (!options(p)) {
            return GwlbDropReason.MISSING_GWLB_OPTIONS;
        }
        int headerLength = view.headerLength();
        p.geneveLength = headerLength;
        p.segment = segment;
        p.offset = at + headerLength;
        p.length = length - headerLength;
        p.vni = view.vni();
        p.sourcePort = 0;
        p.destinationPort = 0;
        int protocolType = view.protocolType();
        if (protocolType == ProtocolType.IPV4) {
            return ipv4(p) ? null : GwlbDropReason.BAD_INNER_PACKET;
        }
        if (protocolType == ProtocolType.IPV6) {
            return ipv6(p) ? null : GwlbDropReason.BAD_INNER_PACKET;
        }
        return GwlbDropReason.UNSUPPORTED_PROTOCOL;
    }

    /** Reads the endpoint ID, attachment ID and flow cookie; whether all three were there and well formed. */
    private boolean options(GwlbPacket p) {
        int seen = 0;
        for (GeneveOptionCursor o = view.options(); o.next(); ) {
            if (o.optionClass() != OptionClass.AWS_GWLB) {
                continue;
            }
            int type = o.type();
            if (type == GwlbOptions.ENDPOINT_ID_TYPE && GwlbOptions.is(o, type)) {
                p.endpointId = GwlbOptions.EndpointId.read(o);
                seen |= 1;
            } else if (type == GwlbOptions.ATTACHMENT_ID_TYPE && GwlbOptions.is(o, type)) {
                p.attachmentId = GwlbOptions.AttachmentId.read(o);
                seen |= 2;
            } else if (type == GwlbOptions.FLOW_COOKIE_TYPE && GwlbOptions.is(o, type)) {
                p.flowCookie = GwlbOptions.FlowCookie.read(o);
                seen |= 4;
            }
        }
        return seen == 7;
    }

    private static boolean ipv4(GwlbPacket p) {
        if (!p.ipv4.tryWrap(p.segment, p.offset, p.length)) {
            return false;
        }
        p.ipVersion = 4;
        p.protocol = p.ipv4.protocol();
        p.transportOffset = p.offset + p.ipv4.headerLength();
        p.transportLength = p.ipv4.payloadLength();
        p.fragment = p.ipv4.moreFragments() || p.ipv4.fragmentOffset() != 0;
        if (p.ipv4.fragmentOffset() == 0) {
            ports(p);
        }
        p.sourceHigh = 0;
        p.sourceLow = p.ipv4.source();
        p.destinationHigh = 0;
        p.destinationLow = p.ipv4.destination();
        return true;
    }

    private static boolean ipv6(GwlbPacket p) {
        if (!p.ipv6.tryWrap(p.segment, p.offset, p.length)) {
            return false;
        }
        p.ipVersion = 6;
        p.protocol = p.ipv6.upperLayerProtocol();
        p.transportOffset = p.ipv6.upperLayerOffset();
        p.transportLength = p.ipv6.upperLayerLength();
        p.fragment = p.ipv6.fragmented();
        if (!p.fragment) {
            ports(p);
        }
        long s = p.ipv6.sourceOffset();
        long d = p.ipv6.destinationOffset();
        p.sourceHigh = p.segment.get(U64, s);
        p.sourceLow = p.segment.get(U64, s + 8);
        p.destinationHigh = p.segment.get(U64, d);
        p.destinationLow = p.segment.get(U64, d + 8);
        return true;
    }

    /** The TCP, UDP or SCTP ports, where the transport header holds them. */
    private static void ports(GwlbPacket p) {
        int protocol = p.protocol;
        if ((protocol == GwlbPacket.TCP || protocol == GwlbPacket.UDP || protocol == GwlbPacket.SCTP)
                && p.transportLength >= 4) {
            int ports = p.segment.get(U32, p.transportOffset);
            p.sourcePort = ports >>> 16;
            p.destinationPort = ports & 0xFFFF;
        }
    }
}
