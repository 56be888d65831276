package io.github.geneve4j.endpoint;

import io.github.geneve4j.endpoint.bfd.Bfd;
import io.github.geneve4j.endpoint.bfd.BfdEncapsulation;
import io.github.geneve4j.endpoint.bfd.BfdFrameClassifier;
import io.github.geneve4j.endpoint.bfd.BfdSession;
import io.github.geneve4j.endpoint.bfd.BfdStateListener;
import io.github.geneve4j.endpoint.bfd.BfdTimers;
import java.net.Inet4Address;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * How an endpoint runs BFD with its peers (RFC 5880, RFC 9521 §4): what the builder's {@code bfd*}
 * methods say, in one place, and how a peer's session and encapsulation are made from it.
 *
 * @param timers the sessions' timers; null while BFD is off
 * @param oam the Geneve O bit of BFD packets sent
 * @param destinationMac the inner destination MAC (48 bits)
 * @param sourceMac the inner source MAC (48 bits), or -1 for a random locally administered one
 * @param sourceAddress the inner IPv4 source (unsigned 32 bits)
 * @param destinationAddress the inner IPv4 destination
 * @param udpChecksum whether the inner UDP checksum is computed (else 0, as OVS sends)
 * @param listener told of every peer's state changes; may be null
 * @param requireOam whether a received control packet must have the Geneve O bit set (else it is dropped)
 * @param checkSource whether a received control packet must come from inner IPv4 {@code sourceAddress}
 *     (the source address was given explicitly, as OVS checks {@code bfd_src_ip} only then)
 */
record BfdConfig(BfdTimers timers, boolean oam, long destinationMac, long sourceMac, long sourceAddress,
        long destinationAddress, boolean udpChecksum, BfdPeerListener listener, boolean requireOam,
        boolean checkSource) {

    /** BFD off, Open vSwitch's inner addresses, the O bit set (RFC 9521 §4), a checksum, a random source MAC. */
    static final BfdConfig OFF = new BfdConfig(null, true, BfdEncapsulation.OVS_DESTINATION_MAC, -1,
            BfdEncapsulation.OVS_SOURCE_ADDRESS, BfdEncapsulation.OVS_DESTINATION_ADDRESS, true, null, false, false);

    boolean on() {
        return timers != null;
    }

    BfdConfig withTimers(BfdTimers t) {
        return new BfdConfig(t, oam, destinationMac, sourceMac, sourceAddress, destinationAddress, udpChecksum, listener,
                requireOam, checkSource);
    }

    BfdConfig withOam(boolean o) {
        return new BfdConfig(timers, o, destinationMac, sourceMac, sourceAddress, destinationAddress, udpChecksum, listener,
                requireOam, checkSource);
    }

    /** With these inner MACs (48 bits; -1 for a random source). */
    BfdConfig withMacs(long destination, long source) {
        if (destination < 0 || destination > 0xFFFF_FFFF_FFFFL || source < -1 || source > 0xFFFF_FFFF_FFFFL) {
            throw new IllegalArgumentException("BFD MACs 0x" + Long.toHexString(destination) + ", 0x"
                    + Long.toHexString(source) + " (expected: 48-bit values; -1 for a random source)");
        }
        return new BfdConfig(timers, oam, destination, source, sourceAddress, destinationAddress, udpChecksum, listener,
                requireOam, checkSource);
    }

    /** With these inner IPv4 addresses, the source given explicitly: received packets must come from it. */
    BfdConfig withAddresses(Inet4Address source, Inet4Address destination) {
        return new BfdConfig(timers, oam, destinationMac, sourceMac, ipv4(Objects.requireNonNull(source, "source")),
                ipv4(Objects.requireNonNull(destination, "destination")), udpChecksum, listener, requireOam, true);
    }

    /** With this inner IPv4 destination; the source stays as it was (and unchecked unless given). */
    BfdConfig withDestination(Inet4Address destination) {
        return new BfdConfig(timers, oam, destinationMac, sourceMac, sourceAddress,
                ipv4(Objects.requireNonNull(destination, "destination")), udpChecksum, listener,
                requireOam, checkSource);
    }

    BfdConfig withRequireOam(boolean require) {
        return new BfdConfig(timers, oam, destinationMac, sourceMac, sourceAddress, destinationAddress, udpChecksum,
                listener, require, checkSource);
    }

    private static long ipv4(Inet4Address address) {
        return ByteBuffer.wrap(address.getAddress()).getInt() & 0xFFFF_FFFFL;
    }

    BfdConfig withUdpChecksum(boolean compute) {
        return new BfdConfig(timers, oam, destinationMac, sourceMac, sourceAddress, destinationAddress, compute, listener,
                requireOam, checkSource);
    }

    BfdConfig withListener(BfdPeerListener l) {
        return new BfdConfig(timers, oam, destinationMac, sourceMac, sourceAddress, destinationAddress, udpChecksum, l,
                requireOam, checkSource);
    }

    /** This configuration with its source MAC chosen: a random unicast, locally administered one if none was given. */
    BfdConfig withSourceMacChosen(RandomGenerator random) {
        // IEEE 802: bit 0 clear (unicast), bit 1 set (locally administered)
        return sourceMac >= 0 ? this : withMacs(destinationMac, (random.nextLong() & 0xFEFF_FFFF_FFFFL) | 0x0200_0000_0000L);
    }

    /** A session with this configuration's timers, timed by {@code clock}. */
    BfdSession session(long discriminator, LongSupplier clock, BfdStateListener listener) {
        return BfdSession.builder().timers(timers).localDiscriminator(discriminator).clock(clock).listener(listener).build();
    }

    /**
     * What a peer's control packets must be addressed to, to be taken (RFC 9521 §4, as OVS): this
     * configuration's inner destination MAC and IPv4 address, and its source address when that was
     * given explicitly. Used on receipt, and on the inner side to keep frames addressed this way
     * from reaching a peer. Stateless for {@link BfdFrameClassifier#addressedToTunnelBfd}.
     */
    BfdFrameClassifier classifier() {
        BfdFrameClassifier c = BfdFrameClassifier.addressedAs(
                new BfdEncapsulation(destinationMac, 0, sourceAddress, destinationAddress, Bfd.MIN_SOURCE_PORT, true, oam));
        return checkSource ? c.fromSource(sourceAddress) : c;
    }

    /** Peer {@code id}'s encapsulation: RFC 5881 §4, a source port per session, fixed for its life (OVS: 49152 + a counter). */
    BfdEncapsulation encapsulation(int id) {
        return new BfdEncapsulation(destinationMac, sourceMac, sourceAddress, destinationAddress,
                Bfd.MIN_SOURCE_PORT + id % (Bfd.MAX_SOURCE_PORT - Bfd.MIN_SOURCE_PORT + 1), udpChecksum, oam);
    }

    /** The Geneve header of BFD packets on {@code vni} (the same O bit and options for every peer). */
    byte[] geneveHeader(int vni) {
        return new BfdEncapsulation(0, 0, 0, 0, Bfd.MIN_SOURCE_PORT, true, oam).geneveHeader(vni).toBytes();
    }
}
