package io.github.geneve4j.endpoint;

import io.github.geneve4j.endpoint.bfd.BfdEncapsulation;
import io.github.geneve4j.endpoint.bfd.BfdSession;
import io.github.geneve4j.endpoint.spi.DatagramSource;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.concurrent.atomic.LongAdder;

/**
 * One peer of an endpoint: its address (and the halves the receive path matches sources against
 * without allocating), its counters, and its BFD session when BFD is on. Its id is unique for the
 * endpoint's life (never reused after the peer is removed), so a MAC entry that names a removed
 * peer can never name another one.
 */
final class Peer {

    final int id;
    final InetSocketAddress address;
    final boolean v6;
    final long high;
    final long low;
    final LongAdder framesSent = new LongAdder();
    final LongAdder bytesSent = new LongAdder();
    final LongAdder framesReceived = new LongAdder();
    final LongAdder bytesReceived = new LongAdder();
    /** Frames sent to it as one copy of a flood (broadcast, multicast, unknown unicast). */
    final LongAdder floods = new LongAdder();
    /** Null when BFD is off. */
    final BfdSession bfd;
    final BfdEncapsulation bfdEncapsulation;

    Peer(int id, InetSocketAddress address, BfdSession bfd, BfdEncapsulation bfdEncapsulation) {
        this.id = id;
        this.address = address;
        DatagramSource scratch = new DatagramSource();
        scratch.set(address);
        this.v6 = address.getAddress() instanceof Inet6Address;
        this.high = scratch.high();
        this.low = scratch.low();
        this.bfd = bfd;
        this.bfdEncapsulation = bfdEncapsulation;
    }

    /** Whether data may go to it: no BFD, or its session allows it (one volatile read). */
    boolean dataAllowed() {
        return bfd == null || bfd.dataAllowed();
    }

    /**
     * The peers at one moment: replaced whole (copy on write) when a peer is added or removed, read
     * with one volatile load per packet.
     *
     * @param list the peers in the order they were added
     * @param byId the peers by id; null for the ids of removed peers
     */
    record Set(Peer[] list, Peer[] byId) {

        static final Set EMPTY = new Set(new Peer[0], new Peer[0]);

        /** The peer with that id, if it is still a peer. */
        Peer byId(int id) {
            return id >= 0 && id < byId.length ? byId[id] : null;
        }

        Set plus(Peer p) {
            Peer[] l = Arrays.copyOf(list, list.length + 1);
            l[list.length] = p;
            Peer[] b = Arrays.copyOf(byId, Math.max(byId.length, p.id + 1));
            b[p.id] = p;
            return new Set(l, b);
        }

        Set minus(Peer p) {
            Peer[] l = Arrays.stream(list).filter(q -> q != p).toArray(Peer[]::new);
            Peer[] b = byId.clone();
            b[p.id] = null;
            return new Set(l, b);
        }

        Peer find(InetSocketAddress address) {
            for (Peer p : list) {
                if (p.address.equals(address)) {
                    return p;
                }
            }
            return null;
        }
    }
}
