package io.github.geneve4j.tools.demo;

import java.nio.ByteBuffer;

/**
 * The few frames the demo's virtual hosts exchange: Ethernet II carrying ARP (RFC 826) or IPv4 with
 * ICMP echo (RFC 792). Built and read with absolute big-endian accesses; lengths are checked before
 * any field is read.
 */
final class Frames {

    static final int ETHERTYPE_IPV4 = 0x0800;
    static final int ETHERTYPE_ARP = 0x0806;
    static final byte[] BROADCAST = {-1, -1, -1, -1, -1, -1};
    static final int ETHERNET_HEADER = 14;
    static final int ARP_LENGTH = 28;
    static final int IPV4_HEADER = 20;
    static final int ICMP_ECHO_REQUEST = 8;
    static final int ICMP_ECHO_REPLY = 0;

    private Frames() {
    }

    static int etherType(ByteBuffer frame) {
        return frame.limit() >= ETHERNET_HEADER ? frame.getShort(12) & 0xFFFF : -1;
    }

    static void ethernet(ByteBuffer frame, byte[] destination, byte[] source, int etherType) {
        frame.put(0, destination).put(6, source).putShort(12, (short) etherType);
    }

    /** An ARP request or reply (operation 1 or 2) for IPv4 over Ethernet. */
    static ByteBuffer arp(int operation, byte[] senderMac, int senderIp, byte[] targetMac, int targetIp) {
        ByteBuffer frame = ByteBuffer.allocate(ETHERNET_HEADER + ARP_LENGTH);
        ethernet(frame, operation == 1 ? BROADCAST : targetMac, senderMac, ETHERTYPE_ARP);
        int a = ETHERNET_HEADER;
        frame.putShort(a, (short) 1).putShort(a + 2, (short) ETHERTYPE_IPV4).put(a + 4, (byte) 6).put(a + 5, (byte) 4)
                .putShort(a + 6, (short) operation).put(a + 8, senderMac).putInt(a + 14, senderIp)
                .put(a + 18, operation == 1 ? new byte[6] : targetMac).putInt(a + 24, targetIp);
        return frame;
    }

    /** An IPv4 ICMP echo request or reply with the given identifier, sequence and data. */
    static ByteBuffer icmpEcho(byte[] dstMac, byte[] srcMac, int srcIp, int dstIp, int ttl, int type, int id,
            int sequence, byte[] data, int ipId) {
        int icmpLength = 8 + data.length;
        ByteBuffer frame = ByteBuffer.allocate(ETHERNET_HEADER + IPV4_HEADER + icmpLength);
        ethernet(frame, dstMac, srcMac, ETHERTYPE_IPV4);
        int ip = ETHERNET_HEADER;
        frame.put(ip, (byte) 0x45).put(ip + 1, (byte) 0).putShort(ip + 2, (short) (IPV4_HEADER + icmpLength))
                .putShort(ip + 4, (short) ipId).putShort(ip + 6, (short) 0x4000).put(ip + 8, (byte) ttl)
                .put(ip + 9, (byte) 1).putShort(ip + 10, (short) 0).putInt(ip + 12, srcIp).putInt(ip + 16, dstIp);
        frame.putShort(ip + 10, (short) checksum(frame, ip, IPV4_HEADER));
        int icmp = ip + IPV4_HEADER;
        frame.put(icmp, (byte) type).put(icmp + 1, (byte) 0).putShort(icmp + 2, (short) 0)
                .putShort(icmp + 4, (short) id).putShort(icmp + 6, (short) sequence).put(icmp + 8, data);
        frame.putShort(icmp + 2, (short) checksum(frame, icmp, icmpLength));
        return frame;
    }

    /** RFC 1071 checksum of {@code length} bytes at {@code offset}. */
    static int checksum(ByteBuffer b, int offset, int length) {
        long sum = 0;
        int i = 0;
        for (; i + 1 < length; i += 2) {
            sum += b.getShort(offset + i) & 0xFFFF;
        }
        if (i < length) {
            sum += (b.get(offset + i) & 0xFF) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) (~sum & 0xFFFF);
    }

    static String ip(int address) {
        return (address >>> 24) + "." + ((address >>> 16) & 0xFF) + "." + ((address >>> 8) & 0xFF) + "." + (address & 0xFF);
    }

    /** Parses a dotted IPv4 address. */
    static int parseIp(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + text);
        }
        int address = 0;
        for (String part : parts) {
            int value;
            try {
                value = Integer.parseInt(part);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not an IPv4 address: " + text);
            }
            if (value < 0 || value > 255 || part.isEmpty() || part.length() > 3) {
                throw new IllegalArgumentException("not an IPv4 address: " + text);
            }
            address = (address << 8) | value;
        }
        return address;
    }
}
