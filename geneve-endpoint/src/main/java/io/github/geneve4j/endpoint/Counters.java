package io.github.geneve4j.endpoint;

import io.github.geneve4j.endpoint.bfd.BfdSession;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/** The endpoint's counters: written by its workers and senders, read by {@link #snapshot}. Allocation-free to count. */
final class Counters {

    final LongAdder framesToTunnel = new LongAdder();
    final LongAdder bytesToTunnel = new LongAdder();
    final LongAdder framesFromTunnel = new LongAdder();
    final LongAdder bytesFromTunnel = new LongAdder();
    final LongAdder superFrames = new LongAdder();
    final LongAdder segments = new LongAdder();
    final LongAdder coalescedWrites = new LongAdder();
    final LongAdder coalescedDatagrams = new LongAdder();
    final LongAdder sends = new LongAdder();
    final LongAdder receives = new LongAdder();
    private final LongAdder[] drops = new LongAdder[DropReason.values().length];
    // per peer: frames and bytes sent, frames and bytes received
    private final LongAdder[][] peers;

    Counters(int peerCount) {
        for (int i = 0; i < drops.length; i++) {
            drops[i] = new LongAdder();
        }
        peers = new LongAdder[peerCount][4];
        for (LongAdder[] p : peers) {
            for (int i = 0; i < p.length; i++) {
                p[i] = new LongAdder();
            }
        }
    }

    void drop(DropReason reason) {
        drops[reason.ordinal()].increment();
    }

    void drop(DropReason reason, int count) {
        drops[reason.ordinal()].add(count);
    }

    /** Frames sent to peer {@code peer} (-1: an address that is no configured peer). */
    void sent(int peer, long frames, long bytes) {
        framesToTunnel.add(frames);
        bytesToTunnel.add(bytes);
        if (peer >= 0) {
            peers[peer][0].add(frames);
            peers[peer][1].add(bytes);
        }
    }

    /** Frames received from peer {@code peer} and delivered (-1: any source). */
    void received(int peer, long frames, long bytes) {
        framesFromTunnel.add(frames);
        bytesFromTunnel.add(bytes);
        if (peer >= 0) {
            peers[peer][2].add(frames);
            peers[peer][3].add(bytes);
        }
    }

    /** A snapshot; {@code sessions} (null without BFD) are read here, at snapshot time, never per packet. */
    EndpointStats snapshot(InetSocketAddress[] addresses, BfdSession[] sessions) {
        EnumMap<DropReason, Long> byReason = new EnumMap<>(DropReason.class);
        for (DropReason r : DropReason.values()) {
            byReason.put(r, drops[r.ordinal()].sum());
        }
        List<PeerStats> perPeer = new ArrayList<>(addresses.length);
        for (int i = 0; i < addresses.length; i++) {
            perPeer.add(new PeerStats(addresses[i], peers[i][0].sum(), peers[i][1].sum(), peers[i][2].sum(),
                    peers[i][3].sum(), sessions != null ? sessions[i].status() : null));
        }
        return new EndpointStats(framesToTunnel.sum(), bytesToTunnel.sum(), framesFromTunnel.sum(),
                bytesFromTunnel.sum(), superFrames.sum(), segments.sum(), coalescedWrites.sum(),
                coalescedDatagrams.sum(), sends.sum(), receives.sum(), byReason, perPeer);
    }
}
