package io.github.geneve4j.endpoint;

import io.github.geneve4j.endpoint.spi.DatagramTransport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Who the endpoint's peers are, while it runs: peers added and removed (each with an id never
 * reused, and with BFD a session of its own), the MACs learned behind a removed peer forgotten,
 * static MAC entries, and the kernel's source filter kept in step. One lock for every change; the
 * packet paths read the forwarder's peer set, replaced whole, and take no lock.
 */
final class Membership {

    private final Forwarder forwarder;
    private final DatagramTransport[] transports;
    private final boolean kernelFilter;
    private final BooleanSupplier closing;
    /** Null when BFD is off. */
    private final BfdWorker bfd;
    private final Object lock = new Object();
    /** Ids of peers, never reused; guarded by {@link #lock}. */
    private int nextId;
    /** Whether a transport's refusal to filter was said (once: the endpoint goes on checking every source). */
    private boolean filterWarned;

    Membership(Forwarder forwarder, DatagramTransport[] transports, boolean kernelFilter, BooleanSupplier closing,
            BfdWorker bfd) {
        this.forwarder = forwarder;
        this.transports = transports;
        this.kernelFilter = kernelFilter;
        this.closing = closing;
        this.bfd = bfd;
    }

    /** The peers now, in the order they were added. */
    List<InetSocketAddress> addresses() {
        return Arrays.stream(forwarder.peers().list()).map(p -> p.address).toList();
    }

    /** Adds the peers given at build time (before any worker runs). */
    void addAll(List<InetSocketAddress> peers) {
        synchronized (lock) {
            Peer.Set set = forwarder.peers();
            for (InetSocketAddress p : peers) {
                set = set.plus(newPeer(p));
            }
            forwarder.peers(set);
        }
    }

    /** As {@link GeneveEndpoint#addPeer}. */
    boolean add(InetSocketAddress peer, InetSocketAddress local) throws IOException {
        EndpointConfig.checkPeer(peer);
        try {
            EndpointConfig.checkVersion(peer, local);
        } catch (IllegalStateException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        synchronized (lock) {
            if (closing.getAsBoolean() || forwarder.peers().find(peer) != null) {
                return false;
            }
            EndpointConfig.checkNewAddress(peer, addresses());
            forwarder.peers(forwarder.peers().plus(newPeer(peer)));
            refilter();
        }
        if (bfd != null) {
            bfd.wake(); // its session's first packet is due at once
        }
        return true;
    }

    /** As {@link GeneveEndpoint#removePeer}. */
    boolean remove(InetSocketAddress peer) throws IOException {
        synchronized (lock) {
            Peer p = forwarder.peers().find(peer);
            if (p == null) {
                return false;
            }
            forwarder.peers(forwarder.peers().minus(p));
            for (Network n : forwarder.networks()) {
                n.macs.removePeer(p.id);
            }
            refilter();
        }
        return true;
    }

    /** As {@link GeneveEndpoint#addStaticMac}. */
    boolean addStaticMac(Network network, long mac, InetSocketAddress peer) {
        synchronized (lock) {
            Peer p = forwarder.peers().find(peer);
            if (p == null) {
                throw new IllegalArgumentException(peer + " is not a peer (expected one of " + addresses() + ")");
            }
            return network.macs.putStatic(mac, p.id);
        }
    }

    /** A peer with the next id and, with BFD on, a session of its own. Under the lock. */
    private Peer newPeer(InetSocketAddress address) {
        int id = nextId++;
        if (id > MacTable.MAX_PEER) {
            throw new IllegalStateException("more than " + MacTable.MAX_PEER + " peers added in this endpoint's life");
        }
        return bfd == null ? new Peer(id, address, null, null) : bfd.newPeer(id, address);
    }

    /**
     * Asks every transport to drop datagrams from any source but the peers' in the kernel.
     *
     * @return whether every transport does
     */
    boolean restrictSources() throws IOException {
        List<InetAddress> sources = Arrays.stream(forwarder.peers().list()).map(p -> p.address.getAddress())
                .distinct().toList();
        boolean all = true;
        for (DatagramTransport t : transports) {
            all &= t.restrictSources(sources);
        }
        return all;
    }

    /**
     * With the kernel filter on, asks for it at start: a transport that cannot is warned about once.
     */
    void filter() throws IOException {
        synchronized (lock) {
            if (kernelFilter && !restrictSources()) {
                warnFilter("the transport cannot drop non-peers in the kernel; the endpoint drops them");
            }
        }
    }

    /**
     * With the kernel filter on, the kernel's list of sources follows the peer set. A transport that
     * takes the list no more (a socket filter past its size, detached) lets every source through to
     * the endpoint, which still drops non-peers: said once, as the other warnings. Under the lock.
     */
    private void refilter() throws IOException {
        if (kernelFilter && transports[0].isOpen() && !restrictSources()) {
            warnFilter("the kernel source filter cannot hold " + forwarder.peers().list().length
                    + " peers and is off; the endpoint drops non-peers itself (counted as 'not-a-peer')");
        }
    }

    private void warnFilter(String message) {
        if (!filterWarned) {
            filterWarned = true;
            forwarder.warn(message);
        }
    }
}
