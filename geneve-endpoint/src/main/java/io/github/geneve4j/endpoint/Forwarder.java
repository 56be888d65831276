package io.github.geneve4j.endpoint;

import io.github.geneve4j.codec.NetworkOrder;
import io.github.geneve4j.endpoint.GeneveEndpoint.SendObserver;
import io.github.geneve4j.endpoint.bfd.BfdFrameClassifier;
import io.github.geneve4j.endpoint.spi.DatagramTransport;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.function.Consumer;

/**
 * Where frames go and how they leave: the peers of now, each VNI's MAC table, routing (the learned
 * peer, or a flood to every peer), the BFD gate on each peer, sending one datagram on a worker
 * pair's transport and counting it, and the once-per-kind warnings. Shared by the device senders, the
 * handler's sends and replies, and the BFD thread; written by the endpoint when peers change. No
 * lock of its own and no allocation on its paths; the callers hold their transport's send lock.
 */
final class Forwarder {


    /** Sends a prepared datagram to one peer; whether it was sent. Made once by its caller: no allocation per frame. */
    @FunctionalInterface
    interface Delivery {
        boolean to(Peer peer);
    }

    final Counters counters = new Counters();
    private final DatagramTransport[] transports;
    private final Object[] sendLocks;
    private final Network[] networks;
    private final SendObserver observer;
    private final Consumer<String> onWarning;
    /** Knows the tunnel's BFD addressing; only its stateless {@code addressedToTunnelBfd} is used (any thread). */
    private final BfdFrameClassifier tunnelBfd;
    private final boolean[] warned = new boolean[DropReason.values().length];
    /** The peers now: replaced whole when one is added or removed (read once per packet). */
    private volatile Peer.Set peers = Peer.Set.EMPTY;

    /**
     * @param tunnelBfd the tunnel's BFD addressing (its destination MAC and IPv4 address): inner-side
     *     frames addressed so never reach a peer
     */
    Forwarder(DatagramTransport[] transports, Network[] networks, SendObserver observer, Consumer<String> onWarning,
            BfdFrameClassifier tunnelBfd) {
        this.tunnelBfd = tunnelBfd;
        this.transports = transports;
        this.networks = networks;
        this.observer = observer;
        this.onWarning = onWarning;
        this.sendLocks = new Object[transports.length];
        for (int i = 0; i < sendLocks.length; i++) {
            sendLocks[i] = new Object();
        }
    }

    Peer.Set peers() {
        return peers;
    }

    /** Replaces the peer set (under the endpoint's peer lock). */
    void peers(Peer.Set set) {
        peers = set;
    }

    Network[] networks() {
        return networks;
    }

    /** The network of {@code vni}, or null if it is not served. */
    Network network(int vni) {
        for (Network n : networks) {
            if (n.vni == vni) {
                return n;
            }
        }
        return null;
    }

    /** Worker pair {@code pair}'s transport; pair 0's also carries BFD and the handler's frames. */
    DatagramTransport transport(int pair) {
        return transports[pair];
    }

    /**
     * The lock every send on pair {@code pair}'s transport holds: a transport takes one sender at a
     * time (the pair's send threads; on pair 0 also the handler's callers and the BFD thread).
     */
    Object sendLock(int pair) {
        return sendLocks[pair];
    }

    SendObserver observer() {
        return observer;
    }

    /** The 48-bit MAC address at {@code offset}. */
    static long mac(MemorySegment buffer, long offset) {
        return ((buffer.get(NetworkOrder.INT, offset) & 0xFFFF_FFFFL) << 16) | (buffer.get(NetworkOrder.SHORT, offset + 4) & 0xFFFF);
    }

    /**
     * Where the frame at {@code frame} goes in {@code network}: the peer its destination MAC was
     * learned behind, or null to flood it to every peer (a group address, an unknown or aged MAC, a
     * MAC behind a peer since removed). No lock, no allocation.
     */
    static Peer route(Network network, MemorySegment buffer, long frame, Peer.Set set) {
        if ((buffer.get(ValueLayout.JAVA_BYTE, frame) & 1) != 0) {
            return null; // broadcast and multicast: head-end replication
        }
        return set.byId(network.macs.lookup(mac(buffer, frame)));
    }

    /**
     * Whether data frames may go to {@code peer} (no BFD, or its session did not go down after having
     * been up): one volatile read; counts {@code frames} as {@link DropReason#PEER_DOWN} when not.
     */
    boolean allowed(Peer peer, int frames) {
        if (peer.dataAllowed()) {
            return true;
        }
        counters.drop(DropReason.PEER_DOWN, frames);
        return false;
    }

    /**
     * Whether the inner-side frame of {@code length} bytes at {@code frame} may go into the tunnel:
     * not if it is addressed as the tunnel's BFD (a peer would take it for this endpoint's own, and a
     * tenant could move the session), which is counted as {@link DropReason#BFD_FROM_INNER_SIDE}
     * ({@code frames} times). Reads the destination MAC, and only for that MAC a few bytes more: a
     * tenant's own BFD to other addresses passes. Every frame towards the tunnel comes through here.
     */
    boolean fromInnerSide(MemorySegment buffer, long frame, long length, int frames) {
        if (tunnelBfd.addressedToTunnelBfd(buffer, frame, length)) {
            counters.drop(DropReason.BFD_FROM_INNER_SIDE, frames);
            return false;
        }
        return true;
    }

    /**
     * Forwards the frame of {@code length} bytes at {@code frame} of {@code network}, made into
     * {@code frames} datagrams by the caller: to the peer its destination was learned behind, else to
     * every peer (a flood); peers whose BFD session is down are skipped and counted. A frame
     * addressed as the tunnel's BFD goes nowhere ({@link #fromInnerSide}).
     *
     * @return whether every peer it was meant for got it
     */
    boolean forward(Network network, MemorySegment buffer, long frame, long length, int frames, Delivery delivery) {
        if (!fromInnerSide(buffer, frame, length, frames)) {
            return false;
        }
        Peer.Set set = peers;
        Peer to = route(network, buffer, frame, set);
        if (to != null) {
            return allowed(to, frames) && delivery.to(to);
        }
        counters.floods.add(frames);
        boolean all = true;
        for (Peer p : set.list()) {
            if (allowed(p, frames)) {
                p.floods.add(frames);
                all &= delivery.to(p);
            } else {
                all = false;
            }
        }
        return all;
    }

    /**
     * Sends one datagram on pair {@code pair}'s transport (under its send lock) and counts it: a frame
     * of {@code innerLength} bytes to {@code peer} (null for an address that is no configured peer;
     * 0 bytes for BFD's own packets, which are no frames).
     *
     * @return whether it was sent
     */
    boolean send(int pair, MemorySegment buffer, long offset, long length, InetSocketAddress to, Peer peer,
            long innerLength) {
        if (observer != null) {
            observer.sent(buffer, offset, length, to);
        }
        try {
            counters.sends.increment();
            if (!transports[pair].send(buffer, offset, length, to)) {
                counters.drop(DropReason.SEND_BUFFER_FULL);
                return false;
            }
        } catch (ClosedChannelException stopped) {
            return false;
        } catch (IOException e) {
            counters.drop(DropReason.SEND_ERROR);
            warnOnce(DropReason.SEND_ERROR, e);
            return false;
        }
        if (innerLength > 0) {
            counters.sent(peer, 1, innerLength);
        }
        return true;
    }

    /** Says a problem once per kind (the count goes on in the stats). */
    void warnOnce(DropReason kind, Exception e) {
        int i = kind.ordinal();
        if (!warned[i]) {
            warned[i] = true;
            warn(e.getMessage() + " (counted as drops '" + EndpointStats.key(kind) + "' from now on)");
        }
    }

    void warn(String message) {
        if (onWarning != null) {
            onWarning.accept(message);
        }
    }
}
