package io.github.geneve4j.tools.cli;

import io.github.geneve4j.pcap.LinkType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Finds the outer UDP datagram in a captured packet: link layer (Ethernet with any number of
 * 802.1Q/802.1ad tags, raw IP, Linux cooked v1/v2), IPv4 (options skipped, non-first fragments
 * ignored) or IPv6 (extension headers walked), then UDP. Every step is bounds-checked against the
 * captured bytes; anything that is not UDP over IP is reported as not found. Reusable.
 */
final class OuterUdp {

    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final int MAX_EXTENSION_HEADERS = 16;

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
        long size = data.byteSize();
        long network;
        int etherType;
        switch (linkType) {
            case LinkType.ETHERNET -> {
                if (size < 14) {
                    return false;
                }
                network = 14;
                etherType = u16(12);
                while (etherType == 0x8100 || etherType == 0x88A8 || etherType == 0x9100) {
                    if (network + 4 > size) {
                        return false;
                    }
                    etherType = u16(network + 2);
                    network += 4;
                }
            }
            case LinkType.RAW -> {
                if (size < 1) {
                    return false;
                }
                network = 0;
                int version = u8(0) >>> 4;
                etherType = version == 4 ? 0x0800 : version == 6 ? 0x86DD : -1;
            }
            case LinkType.LINUX_SLL -> {
                if (size < 16) {
                    return false;
                }
                network = 16;
                etherType = u16(14);
            }
            case LinkType.LINUX_SLL2 -> {
                if (size < 20) {
                    return false;
                }
                network = 20;
                etherType = u16(0);
            }
            default -> {
                return false;
            }
        }
        return switch (etherType) {
            case 0x0800 -> ipv4(network, size);
            case 0x86DD -> ipv6(network, size);
            default -> false;
        };
    }

    private boolean ipv4(long at, long size) {
        if (at + 20 > size || (u8(at) >>> 4) != 4) {
            return false;
        }
        int headerLength = (u8(at) & 0x0F) * 4;
        if (headerLength < 20 || at + headerLength > size) {
            return false;
        }
        if ((u16(at + 6) & 0x1FFF) != 0 || u8(at + 9) != 17) {
            return false; // a non-first fragment, or not UDP
        }
        int totalLength = u16(at + 2);
        // a total length of 0 (TSO, BIG TCP) or past the capture: the captured bytes govern
        long end = totalLength == 0 ? size : Math.min(size, at + Math.max(totalLength, headerLength));
        ipVersion = 4;
        sourceAddress = at + 12;
        destinationAddress = at + 16;
        return udp(at + headerLength, end);
    }

    private boolean ipv6(long at, long size) {
        if (at + 40 > size || (u8(at) >>> 4) != 6) {
            return false;
        }
        int payloadLength = u16(at + 4);
        long end = payloadLength == 0 ? size : Math.min(size, at + 40 + payloadLength);
        int next = u8(at + 6);
        long header = at + 40;
        for (int i = 0; i < MAX_EXTENSION_HEADERS; i++) {
            switch (next) {
                case 0, 43, 60 -> { // hop-by-hop, routing, destination options
                    if (header + 8 > end) {
                        return false;
                    }
                    next = u8(header);
                    header += (u8(header + 1) + 1L) * 8;
                }
                case 44 -> { // fragment
                    if (header + 8 > end || (u16(header + 2) & 0xFFF8) != 0) {
                        return false;
                    }
                    next = u8(header);
                    header += 8;
                }
                case 51 -> { // authentication header
                    if (header + 8 > end) {
                        return false;
                    }
                    next = u8(header);
                    header += (u8(header + 1) + 2L) * 4;
                }
                case 17 -> {
                    ipVersion = 6;
                    sourceAddress = at + 8;
                    destinationAddress = at + 24;
                    return udp(header, end);
                }
                default -> {
                    return false;
                }
            }
        }
        return false;
    }

    private boolean udp(long at, long end) {
        if (at + 8 > end) {
            return false;
        }
        sourcePort = u16(at);
        destinationPort = u16(at + 2);
        int length = u16(at + 4);
        payloadOffset = at + 8;
        long available = end - payloadOffset;
        // a UDP length below 8 (or 0, an IPv6 jumbogram) or past the packet: the packet governs
        payloadLength = length >= 8 ? Math.min(length - 8L, available) : available;
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

    private int u8(long at) {
        return data.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    private int u16(long at) {
        return data.get(U16, at) & 0xFFFF;
    }
}
