package io.github.geneve4j.codec.net;

import io.github.geneve4j.codec.NetworkOrder;
import io.github.geneve4j.codec.internal.Wire;
import java.lang.foreign.MemorySegment;

/**
 * A hash of a frame's flow (addresses, protocol and ports), for the outer UDP source port of an
 * encapsulated frame (RFC 8926 §3.3: stable per flow, spread for ECMP).
 *
 * <pre>{@code
 * int hash = FlowHash.hash(frame, 0, frameLength, EtherType.TRANSPARENT_ETHERNET);
 * int sourcePort = FlowHash.sourcePort(hash, 49152, 65535);
 * }</pre>
 *
 * <p>Never throws on the frame's content and allocates nothing: what cannot be parsed (a short
 * frame, a protocol other than IPv4/IPv6, a non-first fragment) is hashed as far as it goes, so the
 * result is still stable per flow. The hash is not symmetric (A→B and B→A differ), as in Linux.
 */
public final class FlowHash {

    private FlowHash() {
    }

    /**
     * The flow hash of the packet at {@code offset}.
     *
     * @param protocolType what the bytes start with: {@link EtherType#TRANSPARENT_ETHERNET} (an
     *     Ethernet frame), {@link EtherType#IPV4} or {@link EtherType#IPV6}
     */
    public static int hash(MemorySegment segment, long offset, long length, int protocolType) {
        long end = offset + Math.min(length, segment.byteSize() - offset);
        long p = offset;
        int type = protocolType;
        long h = 0x9E3779B97F4A7C15L;
        if (type == EtherType.TRANSPARENT_ETHERNET) {
            if (p + 14 > end) {
                return finish(h);
            }
            type = Wire.u16(segment, p + 12);
            p += 14;
            if (type == EtherType.VLAN && p + 4 <= end) {
                h = mix(h, Wire.u16(segment, p) & 0x0FFF);
                type = Wire.u16(segment, p + 2);
                p += 4;
            }
        }
        int protocol;
        if (type == EtherType.IPV4 && p + 20 <= end) {
            int ihl = (Wire.u8(segment, p) & 0xF) * 4;
            protocol = Wire.u8(segment, p + 9);
            h = mix(h, Wire.u32(segment, p + 12));
            h = mix(h, Wire.u32(segment, p + 16));
            boolean fragment = (Wire.u16(segment, p + 6) & 0x1FFF) != 0;
            p = fragment || ihl < 20 ? end : p + ihl;
        } else if (type == EtherType.IPV6 && p + 40 <= end) {
            protocol = Wire.u8(segment, p + 6);
            for (int i = 8; i < 40; i += 8) {
                h = mix(h, segment.get(NetworkOrder.LONG, p + i));
            }
            h = mix(h, Wire.u32(segment, p) & 0xF_FFFF); // flow label
            p += 40;
        } else {
            return finish(mix(h, type));
        }
        h = mix(h, protocol);
        if ((protocol == EtherType.PROTOCOL_TCP || protocol == EtherType.PROTOCOL_UDP) && p + 4 <= end) {
            h = mix(h, Wire.u32(segment, p)); // both ports
        }
        return finish(h);
    }

    /**
     * Maps a hash into {@code [min, max]} the way Linux's {@code udp_flow_src_port} does: by
     * multiplying, not by modulo, so every port in the range is about equally likely.
     */
    public static int sourcePort(int hash, int min, int max) {
        if (min < 0 || max > 0xFFFF || min > max) {
            throw new IllegalArgumentException("port range " + min + ".." + max + " (expected: within 0..65535)");
        }
        return (int) (((hash & 0xFFFF_FFFFL) * (max - min + 1L)) >>> 32) + min;
    }

    private static long mix(long h, long v) {
        h ^= v;
        h *= 0xFF51AFD7ED558CCDL;
        return h ^ (h >>> 33);
    }

    private static int finish(long h) {
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return (int) (h ^ (h >>> 32));
    }
}
