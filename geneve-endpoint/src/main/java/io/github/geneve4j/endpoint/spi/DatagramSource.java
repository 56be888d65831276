package io.github.geneve4j.endpoint.spi;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * Who sent the datagrams of the last {@link DatagramTransport#receive receive}, and how they were
 * batched: the source IP address as two 64-bit halves (an IPv4 address in the low 32 bits of
 * {@link #low()}), its port, and the size of each datagram when the kernel coalesced several of
 * one size (UDP GRO). Mutable and reused, so that checking a sender allocates nothing: the engine
 * compares the halves with its peers'.
 */
public final class DatagramSource {

    private boolean ipv6;
    private long high;
    private long low;
    private int port;
    private int segmentSize;

    /** An empty source (IPv4 0.0.0.0, port 0). */
    public DatagramSource() {
    }

    /** Sets an IPv4 source; returns {@code this}. */
    public DatagramSource ipv4(int address, int port) {
        this.ipv6 = false;
        this.high = 0;
        this.low = address & 0xFFFF_FFFFL;
        this.port = port;
        return this;
    }

    /** Sets an IPv6 source from its two big-endian halves; returns {@code this}. */
    public DatagramSource ipv6(long high, long low, int port) {
        this.ipv6 = true;
        this.high = high;
        this.low = low;
        this.port = port;
        return this;
    }

    /** Sets the source from a socket address (allocates for IPv6: use on a path that allocated it anyway). */
    public DatagramSource set(InetSocketAddress address) {
        InetAddress ip = address.getAddress();
        if (ip instanceof Inet4Address) {
            return ipv4(ip.hashCode(), address.getPort()); // Inet4Address's hash is its address
        }
        byte[] b = ip.getAddress();
        return ipv6(halve(b, 0), halve(b, 8), address.getPort());
    }

    /** Each datagram's size when one receive returned several of one size (the last may be shorter); else the whole length. */
    public int segmentSize() {
        return segmentSize;
    }

    /** Sets {@link #segmentSize()}; returns {@code this}. */
    public DatagramSource segmentSize(int size) {
        this.segmentSize = size;
        return this;
    }

    /** Whether the source is an IPv6 address. */
    public boolean isIpv6() {
        return ipv6;
    }

    /** The high 64 bits of an IPv6 source address; 0 for IPv4. */
    public long high() {
        return high;
    }

    /** The low 64 bits of an IPv6 source address, or the IPv4 address in the low 32 bits. */
    public long low() {
        return low;
    }

    /** The source UDP port. */
    public int port() {
        return port;
    }

    /** Whether the source's IP address (not its port) is {@code address}'s; allocates nothing for IPv4. */
    public boolean hasAddress(InetAddress address) {
        if (address instanceof Inet4Address) {
            return !ipv6 && low == (address.hashCode() & 0xFFFF_FFFFL);
        }
        if (!ipv6 || !(address instanceof Inet6Address)) {
            return false;
        }
        byte[] b = address.getAddress();
        return high == halve(b, 0) && low == halve(b, 8);
    }

    /** The source as a socket address (allocates: for messages and replies, not per datagram). */
    public InetSocketAddress toSocketAddress() {
        byte[] bytes;
        if (ipv6) {
            bytes = new byte[16];
            for (int i = 0; i < 8; i++) {
                bytes[i] = (byte) (high >>> (56 - 8 * i));
                bytes[8 + i] = (byte) (low >>> (56 - 8 * i));
            }
        } else {
            bytes = new byte[] {(byte) (low >>> 24), (byte) (low >>> 16), (byte) (low >>> 8), (byte) low};
        }
        try {
            return new InetSocketAddress(InetAddress.getByAddress(bytes), port);
        } catch (UnknownHostException impossible) {
            throw new AssertionError(impossible);
        }
    }

    static long halve(byte[] b, int from) {
        long v = 0;
        for (int i = from; i < from + 8; i++) {
            v = (v << 8) | (b[i] & 0xFF);
        }
        return v;
    }

    @Override
    public String toString() {
        InetSocketAddress a = toSocketAddress();
        String host = a.getAddress().getHostAddress();
        return (ipv6 ? "[" + host + "]" : host) + ":" + port;
    }
}
