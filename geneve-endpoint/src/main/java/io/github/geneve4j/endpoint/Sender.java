package io.github.geneve4j.endpoint;

import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.NetworkOrder;
import io.github.geneve4j.codec.net.InternetChecksum;
import io.github.geneve4j.codec.tso.MtuExceededException;
import io.github.geneve4j.codec.tso.SegmentCursor;
import io.github.geneve4j.codec.tso.TcpSegmenter;
import io.github.geneve4j.codec.tunnel.GeneveTunnel;
import io.github.geneve4j.endpoint.spi.DatagramTransport;
import io.github.geneve4j.endpoint.spi.FrameDevice;
import io.github.geneve4j.endpoint.spi.FrameOffload;
import io.github.geneve4j.endpoint.spi.GatherList;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;

/**
 * The send path of an endpoint with a device: each frame is read into native memory behind room for
 * the Geneve header, which is written in place in front of it, and the datagram is sent from that
 * memory to the peer its destination MAC was learned behind, or to every peer (head-end
 * replication: one encapsulation, the same memory sent once per peer) for broadcast, multicast and
 * unknown unicast. A TCP super-frame is cut by the segmenter in gather mode: with a transport that
 * {@linkplain DatagramTransport#gathers gathers}, each segment leaves as its headers and its payload
 * where the device read it (no copy of the payload in user space); otherwise the segments are laid
 * back to back. One segmented send per peer either way. Peers whose BFD session is down are skipped. Sends hold
 * its transport's send lock (the BFD thread sends on the first). One per device queue (a VNI's
 * device, in each worker pair), on a thread of its own; allocates nothing per frame.
 */
final class Sender implements Workers.Loop {

    /** Room for one super-frame's datagrams: its payload plus the headers of over a thousand segments. */
    static final int DATAGRAMS_BUFFER = 1 << 19;
    /**
     * The most segments of one super-frame a gathering send describes: a 64 KiB frame cut at Linux's
     * smallest MSS (48, {@code net.ipv4.tcp_min_snd_mss}) makes 1,366.
     */
    static final int MAX_GATHERED = 1400;

    private final Forwarder forwarder;
    /** The worker pair's transport, and the lock its sends hold. */
    private final DatagramTransport transport;
    private final int pair;
    private final Object sendLock;
    private final Network network;
    private final FrameDevice device;
    private final Counters counters;
    private final GeneveEndpoint.SendObserver observer;
    private final byte[] geneve;
    private final MemorySegment buffer;
    private final long frameOffset;
    private final long headerOffset;
    private final long capacity;
    private final FrameOffload offload = new FrameOffload();
    private final TcpSegmenter segmenter;
    private final MemorySegment datagrams;
    /** With a transport that {@linkplain DatagramTransport#gathers gathers}: each segment as [headers][payload in the frame]. */
    private final GatherList gather;
    private final int outerHeaders;
    /** Sends the frame read ({@link #frameLength} bytes) to one peer; made once. */
    private final Forwarder.Delivery frame = this::sendFrame;
    /** Sends the segments gathered ({@link #count} datagrams of {@link #total} bytes, all but the last {@link #size}). */
    private final Forwarder.Delivery segments = this::sendSegmentsTo;
    private int frameLength;
    private int count;
    private long total;
    private int size;

    Sender(EndpointConfig config, Forwarder forwarder, Network network, int pair) {
        this.forwarder = forwarder;
        this.pair = pair;
        this.transport = forwarder.transport(pair);
        this.sendLock = forwarder.sendLock(pair);
        this.network = network;
        this.device = network.queues[pair];
        this.counters = forwarder.counters;
        this.observer = forwarder.observer();
        this.geneve = network.geneve;
        int room = Math.max(geneve.length, device.headroom());
        this.frameOffset = (room + 7) & ~7;
        this.headerOffset = frameOffset - geneve.length;
        Arena arena = Arena.ofAuto();
        this.buffer = arena.allocate(frameOffset + GeneveEndpoint.MAX_GSO_FRAME + 64, 64);
        this.capacity = buffer.byteSize() - frameOffset;
        if (config.offload()) {
            GeneveHeader header = GeneveHeader.decode(ByteBuffer.wrap(geneve), 0);
            // only its Geneve header leaves: the socket adds UDP and IP
            GeneveTunnel tunnel = GeneveTunnel.builder()
                    .addresses(config.local().getAddress(), config.local().getAddress())
                    .header(header).udpChecksum(false).build();
            this.segmenter = new TcpSegmenter(tunnel, 1448, config.mtu());
            this.datagrams = arena.allocate(DATAGRAMS_BUFFER, 64);
            // headers apart, payload where the device read it: two pieces per segment
            this.gather = transport.gathers() && observer == null
                    ? new GatherList(2 * MAX_GATHERED, MAX_GATHERED) : null;
            // the segmenter writes outer Ethernet, IP and UDP headers in front of each Geneve header: not sent
            this.outerHeaders = tunnel.overhead() - geneve.length;
        } else {
            this.segmenter = null;
            this.datagrams = null;
            this.gather = null;
            this.outerHeaders = 0;
        }
    }

    @Override
    public int io() throws IOException {
        return device.read(buffer, frameOffset, capacity, offload);
    }

    @Override
    public void handle(int n) throws IOException {
        if (n < 0) {
            counters.drop(DropReason.BAD_DEVICE_FRAME);
            return;
        }
        if (n < Network.ETHERNET_HEADER) {
            counters.drop(DropReason.SHORT_FRAME);
            return;
        }
        FrameOffload.Gso gso = offload.gso();
        if (gso != FrameOffload.Gso.NONE) {
            if (segmenter == null) {
                counters.drop(DropReason.GSO_WITHOUT_OFFLOAD);
            } else if (gso == FrameOffload.Gso.OTHER) {
                counters.drop(DropReason.UNSUPPORTED_GSO);
            } else {
                sendSegments(n, offload.gsoSize());
            }
            return;
        }
        if (offload.needsChecksum() && !completeChecksum(buffer, frameOffset, n, offload)) {
            counters.drop(DropReason.BAD_CHECKSUM_OFFSETS);
            return;
        }
        // the Geneve header goes in place in front of the frame, over the device's metadata
        MemorySegment.copy(geneve, 0, buffer, ValueLayout.JAVA_BYTE, headerOffset, geneve.length);
        frameLength = n;
        synchronized (sendLock) {
            forwarder.forward(network, buffer, frameOffset, n, 1, frame);
        }
    }

    private boolean sendFrame(Peer p) {
        return forwarder.send(pair, buffer, headerOffset, frameLength + geneve.length, p.address, p, frameLength);
    }

    /**
     * Completes a partial checksum (virtio-net NEEDS_CSUM, Linux CHECKSUM_PARTIAL): the field at
     * start + offset holds the pseudo-header sum; the checksum covers start to the end.
     *
     * @return false if the offsets point outside the frame
     */
    static boolean completeChecksum(MemorySegment buffer, long frame, int frameLength, FrameOffload offload) {
        int start = offload.checksumStart();
        int field = start + offload.checksumOffset();
        if (field + 2 > frameLength) {
            return false;
        }
        int checksum = InternetChecksum.checksum(buffer, frame + start, frameLength - start);
        // a computed 0 goes out as 0xFFFF, as the kernel's skb_checksum_help does: for UDP, 0 would
        // mean "no checksum" (RFC 768); for TCP the two are the same number in one's complement
        buffer.set(NetworkOrder.SHORT, frame + field, (short) (checksum == 0 ? 0xFFFF : checksum));
        return true;
    }

    /**
     * Cuts one super-frame with the segmenter and sends its segments' Geneve datagrams, all but the
     * last of one size, in as few segmented sends as the transport allows, to every peer.
     */
    private void sendSegments(int superFrameLength, int gsoSize) throws IOException {
        SegmentCursor segment;
        try {
            segment = segmenter.gather(buffer, frameOffset, superFrameLength, Math.max(1, gsoSize));
        } catch (GeneveFormatException | MtuExceededException e) {
            counters.drop(DropReason.BAD_SUPER_FRAME);
            return;
        }
        // gather mode: the payload is summed in place; with a gathering transport it is sent from there
        // (only the headers are copied, into `datagrams`), else copied once, straight into its datagram
        long to = 0;
        int size = 0;
        if (gather != null) {
            gather.clear();
        }
        while (segment.next()) {
            int headers = segment.headerLength() - outerHeaders;
            int datagram = headers + segment.payloadLength();
            if (to + datagram > datagrams.byteSize()) {
                counters.drop(DropReason.TOO_MANY_SEGMENTS);
                return;
            }
            MemorySegment.copy(segment.headers(), outerHeaders, datagrams, to, headers);
            size = segment.index() == 0 ? datagram : size;
            if (gather != null) {
                if (!gather.hasRoom(2)) {
                    counters.drop(DropReason.TOO_MANY_SEGMENTS);
                    return;
                }
                gather.add(datagrams, to, headers).add(segment.frame(), segment.payloadOffset(), segment.payloadLength())
                        .endDatagram();
                to += headers;
                continue;
            }
            MemorySegment.copy(segment.frame(), segment.payloadOffset(), datagrams, to + headers, segment.payloadLength());
            to += datagram;
        }
        this.total = gather != null ? gather.bytes() : to;
        this.count = segment.count();
        this.size = size;
        counters.superFrames.increment();
        counters.segments.add(count);
        // every segment has the super-frame's Ethernet header: one route for them all
        forwarder.forward(network, buffer, frameOffset, superFrameLength, count, segments);
    }

    /** Sends the segments to peer {@code p}, under the send lock (a peer at a time: BFD may send between two). */
    private boolean sendSegmentsTo(Peer p) {
        synchronized (sendLock) {
            return sendToPeer(p, count, total, size);
        }
    }

    /** Sends the {@code count} datagrams of {@code to} bytes (all but the last {@code size}) to peer {@code p}. */
    private boolean sendToPeer(Peer p, int count, long to, int size) {
        if (observer != null) {
            for (long d = 0; d < to; d += size) {
                observer.sent(datagrams, d, Math.min(size, to - d), p.address);
            }
        }
        boolean segmenting = transport.segmentation();
        int sent;
        try {
            sent = gather != null ? transport.sendGathered(gather, size, p.address)
                    : transport.sendSegments(datagrams, 0, to, size, p.address);
        } catch (ClosedChannelException stopped) {
            return false;
        } catch (IOException e) {
            counters.drop(DropReason.SEND_ERROR, count);
            forwarder.warnOnce(DropReason.SEND_ERROR, e);
            return false;
        }
        int calls = transport.lastSendCalls();
        counters.sends.add(calls >= 0 ? calls : sent + (sent < count ? 1 : 0));
        if (segmenting && !transport.segmentation()) {
            forwarder.warn("the kernel refused UDP segmentation (UDP_SEGMENT) towards " + p.address
                    + "; sending one datagram per call");
        }
        if (sent < count) {
            counters.drop(DropReason.SEND_BUFFER_FULL, count - sent);
        }
        // every datagram but perhaps the last is `size` bytes: the payload bytes of those sent
        long bytes = sent == count ? to - (long) count * geneve.length
                : (long) sent * (size - geneve.length);
        counters.sent(p, sent, bytes);
        return sent == count;
    }
}
