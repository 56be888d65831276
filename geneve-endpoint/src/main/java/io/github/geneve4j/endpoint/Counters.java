package io.github.geneve4j.endpoint;

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
    /** Frames flooded (broadcast, multicast, unknown unicast): once per frame, whatever the peers. */
    final LongAdder floods = new LongAdder();
    private final LongAdder[] drops = new LongAdder[DropReason.values().length];

    Counters() {
        for (int i = 0; i < drops.length; i++) {
            drops[i] = new LongAdder();
        }
    }

    void drop(DropReason reason) {
        drops[reason.ordinal()].increment();
    }

    void drop(DropReason reason, int count) {
        drops[reason.ordinal()].add(count);
    }

    /** Frames sent to {@code peer} (null: an address that is no configured peer). */
    void sent(Peer peer, long frames, long bytes) {
        framesToTunnel.add(frames);
        bytesToTunnel.add(bytes);
        if (peer != null) {
            peer.framesSent.add(frames);
            peer.bytesSent.add(bytes);
        }
    }

    /** Frames received from {@code peer} and delivered (null: any source). */
    void received(Peer peer, long frames, long bytes) {
        framesFromTunnel.add(frames);
        bytesFromTunnel.add(bytes);
        if (peer != null) {
            peer.framesReceived.add(frames);
            peer.bytesReceived.add(bytes);
        }
    }

    /** A snapshot; BFD sessions and MAC tables are read here, at snapshot time, never per packet. */
    EndpointStats snapshot(Peer.Set peers, Network[] networks, boolean handler) {
        EnumMap<DropReason, Long> byReason = new EnumMap<>(DropReason.class);
        for (DropReason r : DropReason.values()) {
            byReason.put(r, drops[r.ordinal()].sum());
        }
        long[] macs = new long[peers.byId().length];
        List<MacTableStats> tables = new ArrayList<>(networks.length);
        for (Network n : networks) {
            int entries = n.macs.countByPeer(macs);
            tables.add(new MacTableStats(n.vni, entries, n.macs.maxEntries(), n.macs.learned(), n.macs.moves(), n.macs.heldMoves(),
                    n.macs.evictions(), n.macs.aged(), n.macs.refusals(), n.macs.shareRefusals()));
        }
        List<PeerStats> perPeer = new ArrayList<>(peers.list().length);
        for (Peer p : peers.list()) {
            perPeer.add(new PeerStats(p.address, p.framesSent.sum(), p.bytesSent.sum(), p.framesReceived.sum(),
                    p.bytesReceived.sum(), p.floods.sum(), macs[p.id], p.bfd != null ? p.bfd.status() : null));
        }
        return new EndpointStats(framesToTunnel.sum(), bytesToTunnel.sum(), framesFromTunnel.sum(),
                bytesFromTunnel.sum(), superFrames.sum(), segments.sum(), coalescedWrites.sum(),
                coalescedDatagrams.sum(), sends.sum(), receives.sum(), floods.sum(), byReason, perPeer, tables, handler);
    }
}
