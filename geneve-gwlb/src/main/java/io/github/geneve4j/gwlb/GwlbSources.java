package io.github.geneve4j.gwlb;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Arrays;

/**
 * The allow-list of GWLB's outer source addresses: IPv4 prefixes, checked for every datagram before
 * it is parsed (a comparison per prefix, no allocation). GWLB sends from its own addresses in the
 * appliance's subnet; anything else that reaches port 6081 is a stranger, and answering it would make
 * the appliance a reflector of attacker-chosen bytes.
 */
final class GwlbSources {

    private final int[] networks;
    private final int[] masks;

    private GwlbSources(int[] networks, int[] masks) {
        this.networks = networks;
        this.masks = masks;
    }

    static GwlbSources none() {
        return new GwlbSources(new int[0], new int[0]);
    }

    /** This list and {@code network}/{@code prefixLength}. */
    GwlbSources and(InetAddress network, int prefixLength) {
        if (!(network instanceof Inet4Address)) {
            throw new IllegalArgumentException("found GWLB source " + network + " (expected: an IPv4 address; GWLB sends over IPv4 only)");
        }
        if (prefixLength < 0 || prefixLength > 32) {
            throw new IllegalArgumentException("found prefix length " + prefixLength + " (expected: 0 to 32)");
        }
        int mask = prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
        int[] n = Arrays.copyOf(networks, networks.length + 1);
        int[] m = Arrays.copyOf(masks, masks.length + 1);
        n[networks.length] = network.hashCode() & mask; // Inet4Address's hash is its address
        m[masks.length] = mask;
        return new GwlbSources(n, m);
    }

    boolean isEmpty() {
        return networks.length == 0;
    }

    /** Whether one of the prefixes is 0.0.0.0/0. */
    boolean allowsAny() {
        for (int m : masks) {
            if (m == 0) {
                return true;
            }
        }
        return false;
    }

    /** Whether the IPv4 address {@code address} is in one of the prefixes. */
    boolean allows(int address) {
        for (int i = 0; i < networks.length; i++) {
            if ((address & masks[i]) == networks[i]) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < networks.length; i++) {
            int a = networks[i];
            b.append(i == 0 ? "" : ", ").append(a >>> 24).append('.').append((a >>> 16) & 0xFF).append('.')
                    .append((a >>> 8) & 0xFF).append('.').append(a & 0xFF).append('/').append(Integer.bitCount(masks[i]));
        }
        return b.toString();
    }
}
