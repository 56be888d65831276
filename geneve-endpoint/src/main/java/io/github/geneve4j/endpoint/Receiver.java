package io.github.geneve4j.endpoint;

import io.github.geneve4j.codec.GeneveView;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.TcpView;
import io.github.geneve4j.codec.tso.TcpCoalescer;
import io.github.geneve4j.endpoint.bfd.BfdControlView;
import io.github.geneve4j.endpoint.bfd.BfdFrameClassifier;
import io.github.geneve4j.endpoint.bfd.BfdReception;
import io.github.geneve4j.endpoint.spi.DatagramSource;
import io.github.geneve4j.endpoint.spi.DatagramTransport;
import io.github.geneve4j.endpoint.spi.FrameOffload;
import io.github.geneve4j.options.ReceivePolicy;
import io.github.geneve4j.options.Verdict;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.function.LongSupplier;

/**
 * The receive path: datagrams from the transport, checked in order (who sent it, the Geneve header,
 * VNI, protocol type, receive policy, a whole Ethernet header); the inner source MAC is learned in
 * the VNI's table as behind the peer; then the frame is delivered to the VNI's device (with offload,
 * TCP that continues one flow is coalesced first) or the handler; with BFD on, a peer's control
 * packets (addressed to the tunnel's BFD MAC and IPv4 address; with the O bit if so configured) go to
 * its session instead. Split horizon: nothing received is ever
 * sent to another peer, this path only writes to the inner side (a handler's
 * {@linkplain ReceivedFrame#reply reply} goes back to the frame's own sender). One per worker pair (its
 * transport, its queue of each device), on a thread of its own; allocates nothing per datagram,
 * whatever becomes of it.
 */
final class Receiver implements Workers.Loop {

    /** Room in front of every datagram: the device's headroom fits before the inner frame. */
    static final int RECEIVE_OFFSET = 64;
    /** A receive takes up to a UDP GRO batch: one IP packet's worth. */
    static final int CAPACITY = 65_536;
    /** The longest a merged frame waits for more segments: 1 ms (a NIC's GRO flushes at the end of a NAPI poll). */
    static final long MAX_HOLD_NANOS = 1_000_000;

    private final Forwarder forwarder;
    private final Workers workers;
    private final DatagramTransport transport;
    /** The worker pair this receiver is in: it writes to that queue of each device. */
    private final int queue;
    private final Counters counters;
    private final ReceivePolicy policy;
    private final FrameHandler handler;
    private final boolean acceptAnySource;
    private final LongSupplier clock;
    private final MemorySegment buffer;
    private final ByteBuffer datagram;
    private final GeneveView view = new GeneveView();
    private final Verdict verdict = new Verdict();
    private final ReceivedFrame frame;
    private final DatagramSource source;
    private final FrameOffload offload = new FrameOffload();
    private final TcpCoalescer coalescer;
    private final MemorySegment merged;
    private Peer heldPeer;
    private Network heldNetwork;
    private long heldSince;
    private final Network[] networks;
    // BFD: null when off
    private final BfdWorker bfd;
    private final BfdFrameClassifier classifier;
    private final BfdControlView bfdView;
    /** Whether a control packet must have the Geneve O bit. */
    private final boolean bfdRequireOam;
    /** The VNI the sessions run on (the first served): BFD-looking frames on another VNI are that VNI's data. */
    private final int bfdVni;

    /**
     * @param bfd the BFD thread, woken for a Final; null when BFD is off
     * @param replies the handler's send path, which its frames reply through; null with devices
     */
    Receiver(EndpointConfig config, Forwarder forwarder, Workers workers, BfdWorker bfd, HandlerPath replies, int pair) {
        this.forwarder = forwarder;
        this.workers = workers;
        this.transport = forwarder.transport(pair);
        this.queue = pair;
        this.counters = forwarder.counters;
        this.policy = config.policy();
        this.handler = config.handler();
        this.acceptAnySource = config.acceptAnySource();
        this.clock = config.clock();
        Arena arena = Arena.ofAuto();
        this.buffer = arena.allocate(RECEIVE_OFFSET + CAPACITY + 64, 64);
        this.datagram = buffer.asByteBuffer();
        this.frame = new ReceivedFrame(replies);
        this.source = frame.mutableSource();
        this.networks = forwarder.networks();
        boolean coalesce = config.offload() && handler == null;
        this.merged = coalesce ? arena.allocate(RECEIVE_OFFSET + GeneveEndpoint.MAX_GSO_FRAME, 64) : null;
        // the coalescer builds its frame where the device write takes it: no copy out
        this.coalescer = coalesce
                ? new TcpCoalescer(merged.asSlice(RECEIVE_OFFSET, GeneveEndpoint.MAX_GSO_FRAME), false) : null;
        this.bfd = bfd;
        // only frames addressed as the tunnel's BFD are taken: a tenant's own BFD to its own addresses is data
        this.classifier = bfd != null ? bfd.config().classifier() : null;
        this.bfdView = bfd != null ? new BfdControlView() : null;
        this.bfdRequireOam = bfd != null && bfd.config().requireOam();
        this.bfdVni = networks[0].vni;
    }

    @Override
    public int io() throws IOException {
        boolean wait = coalescer == null || coalescer.frameCount() == 0;
        return transport.receive(buffer, RECEIVE_OFFSET, CAPACITY, wait, source);
    }

    @Override
    public void handle(int n) throws Exception {
        // the MAC tables' time: one clock reading per receive call (a GRO batch, or half a second idle)
        long now = clock.getAsLong();
        for (Network network : networks) {
            network.macs.tick(now);
        }
        if (n < 0) {
            flush(); // nothing more waiting: what was merged goes to the device now
            return;
        }
        received(n, now);
    }

    /** What one receive brought at {@code now}: {@code n} bytes at {@link #RECEIVE_OFFSET}, from {@link #source}. */
    private void received(int n, long now) throws Exception {
        counters.receives.increment();
        int size = source.segmentSize() > 0 ? Math.min(source.segmentSize(), n) : n;
        Peer peer = peerOf(source);
        if (peer == null && !acceptAnySource) {
            // who sent it is checked before anything else: a stranger's bytes are not even parsed
            counters.drop(DropReason.NOT_A_PEER, size == 0 ? 1 : (n + size - 1) / size);
            flushIfOld();
            return;
        }
        // with UDP GRO one receive may hold several datagrams of one size back to back
        int end = RECEIVE_OFFSET + n;
        int at = RECEIVE_OFFSET;
        do {
            int length = Math.min(size, end - at);
            datagram(at, length, peer, now);
            at += Math.max(size, 1);
        } while (at < end);
        flushIfOld();
    }

    /** The peer that sent it, by the peer set of now (a linear match: an endpoint has tens of peers, not thousands). */
    private Peer peerOf(DatagramSource s) {
        boolean v6 = s.isIpv6();
        long high = s.high();
        long low = s.low();
        for (Peer p : forwarder.peers().list()) {
            if (p.low == low && p.high == high && p.v6 == v6) {
                return p;
            }
        }
        return null;
    }

    private void datagram(int at, int length, Peer peer, long now) throws Exception {
        datagram.limit(at + length);
        if (!view.tryWrap(datagram, at)) {
            counters.drop(DropReason.MALFORMED);
            return;
        }
        Network network = forwarder.network(view.vni());
        if (network == null) {
            counters.drop(DropReason.WRONG_VNI);
            return;
        }
        if (view.protocolType() != ProtocolType.ETHERNET) {
            counters.drop(DropReason.WRONG_PROTOCOL);
            return;
        }
        Verdict.Kind kind = policy.evaluate(view, verdict);
        // BFD before the CONTROL drop: RFC 9521 §4 sends it with the O bit set (OVS by default without)
        if (classifier != null && network.vni == bfdVni && (kind == Verdict.Kind.ACCEPT || kind == Verdict.Kind.CONTROL)
                && bfd(peer, now)) {
            return;
        }
        switch (kind) {
            case ACCEPT -> {
            }
            case CONTROL -> {
                counters.drop(DropReason.CONTROL);
                return;
            }
            case DROP_UNKNOWN_CRITICAL -> {
                counters.drop(DropReason.UNKNOWN_CRITICAL_OPTION);
                return;
            }
            case DROP_BAD_LENGTH -> {
                counters.drop(DropReason.BAD_OPTION_LENGTH);
                return;
            }
            default -> {
                counters.drop(DropReason.POLICY);
                return;
            }
        }
        long payload = view.payloadOffset();
        int payloadLength = (int) view.payloadLength();
        if (payloadLength < Network.ETHERNET_HEADER) {
            counters.drop(DropReason.RUNT_FRAME);
            return;
        }
        if (peer != null) {
            // learning: the inner source MAC is behind the peer that sent it (a move if it was behind another)
            network.macs.learn(Forwarder.mac(buffer, payload + 6), peer.id,
                    (buffer.get(ValueLayout.JAVA_BYTE, payload) & 1) != 0);
        }
        if (handler != null) {
            InetSocketAddress from = peer != null ? peer.address : null;
            frame.set(buffer, payload, payloadLength, view.vni(), from, peer != null ? peer.id : -1);
            counters.received(peer, 1, payloadLength);
            handler.onFrame(frame);
            return;
        }
        if (coalescer != null && coalesce(at, length, peer, network)) {
            return;
        }
        write(network, buffer, payload, payloadLength, offload.clear(), peer, 1);
    }

    /**
     * Takes a BFD control packet to its peer's session: whether the inner frame was BFD's (it is then
     * consumed, counted if refused, and never delivered). Allocates nothing.
     */
    private boolean bfd(Peer peer, long now) {
        switch (classifier.classify(buffer, view.payloadOffset(), view.payloadLength())) {
            case NOT_BFD -> {
                return false;
            }
            case CONTROL_PACKET -> {
                if (bfdRequireOam && !view.oam()) {
                    // a peer that does not filter its tenants (OVS) forwards their frames without the O bit
                    counters.drop(DropReason.BFD_NOT_OAM);
                } else if (peer == null || peer.bfd == null) {
                    counters.drop(DropReason.BFD_NO_SESSION);
                } else if (!bfdView.tryWrap(buffer, classifier.payloadOffset(), classifier.payloadLength())) {
                    counters.drop(DropReason.BFD_MALFORMED);
                } else {
                    BfdReception reception = peer.bfd.onPacket(bfdView, now);
                    if (reception == BfdReception.ACCEPTED_FINAL_DUE) {
                        bfd.wake(); // the peer's Poll is answered at once (RFC 5880 §6.5)
                    } else if (!reception.accepted()) {
                        counters.drop(DropReason.BFD_DISCARDED);
                    }
                }
            }
            case TTL_NOT_255 -> counters.drop(DropReason.BFD_TTL_NOT_255);
            case WRONG_SOURCE -> counters.drop(DropReason.BFD_WRONG_SOURCE);
            // MALFORMED, BAD_CHECKSUM (WRONG_DESTINATION: a classifier addressedAs says NOT_BFD instead)
            default -> counters.drop(DropReason.BFD_MALFORMED);
        }
        return true;
    }

    /**
     * Offers a datagram to the coalescer, writing out what it held first when the datagram does not
     * follow on or comes from another peer (one coalescer merges one peer's datagrams).
     *
     * @return false if the datagram is not TCP the coalescer can take (anything held is written
     *     first, so the device sees the peer's order): write it as it is
     */
    private boolean coalesce(int at, int length, Peer peer, Network network) {
        if (peer != heldPeer || network != heldNetwork) {
            flush();
        }
        TcpCoalescer.Offer offer = coalescer.offerDatagram(buffer, at, length);
        if (offer == TcpCoalescer.Offer.NOT_NEXT) {
            flush();
            offer = coalescer.offerDatagram(buffer, at, length);
        }
        if (offer == TcpCoalescer.Offer.MERGED) {
            if (coalescer.frameCount() == 1) {
                heldSince = System.nanoTime();
            }
            heldPeer = peer;
            heldNetwork = network;
            return true;
        }
        // ARP, ICMP, UDP, a fragment, a bad inner checksum: the device's kernel decides about those
        flush();
        return false;
    }

    /**
     * Writes out what the coalescer holds once it has waited {@link #MAX_HOLD_NANOS}, whatever keeps
     * arriving: a stream of datagrams that are dropped (a flood from a stranger) or that merge
     * (up to the coalescer's capacity) must not hold a peer's segment back.
     */
    private void flushIfOld() {
        if (coalescer != null && coalescer.frameCount() > 0 && System.nanoTime() - heldSince > MAX_HOLD_NANOS) {
            flush();
        }
    }

    /** Writes the coalescer's frame to the device: one GSO write for two or more datagrams. */
    private void flush() {
        if (coalescer == null) {
            return;
        }
        int count = coalescer.frameCount();
        if (count == 0) {
            return;
        }
        long length = coalescer.finishInPlace(count > 1);
        offload.clear();
        if (count > 1) {
            offload.segmentation(coalescer.ipVersion() == IpVersion.IPV4 ? FrameOffload.Gso.TCPV4 : FrameOffload.Gso.TCPV6,
                    false, coalescer.segmentSize(), coalescer.headerLength())
                    .partialChecksum(coalescer.checksumStart(), TcpView.CHECKSUM_OFFSET);
            counters.coalescedWrites.increment();
            counters.coalescedDatagrams.add(count);
        }
        write(heldNetwork, merged, RECEIVE_OFFSET, length, offload, heldPeer, count);
    }

    private void write(Network network, MemorySegment from, long offset, long length, FrameOffload meta, Peer peer,
            int frames) {
        try {
            network.queues[queue].write(from, offset, length, meta);
        } catch (IOException e) {
            // the device is down, or refuses the frame: count it and go on (closing ends the loop)
            if (!workers.closing()) {
                counters.drop(DropReason.DEVICE_WRITE_ERROR, frames);
                forwarder.warnOnce(DropReason.DEVICE_WRITE_ERROR, e);
            }
            return;
        }
        counters.received(peer, frames, length);
    }
}
