package io.github.geneve4j.endpoint;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.function.BooleanSupplier;

/**
 * The send path of an endpoint with a {@link FrameHandler}: what {@link GeneveEndpoint#send},
 * {@link GeneveEndpoint#reply} and {@link ReceivedFrame#reply} do. Each frame is copied behind the
 * Geneve header in one send buffer, under the first transport's send lock (any thread may call), and
 * forwarded: to the peers (learned or flooded) or back to whoever sent a received frame.
 * Allocates nothing per frame.
 */
final class HandlerPath {

    /** Where the frame goes in {@link #buffer}: room for the Geneve header in front, aligned. */
    private static final long FRAME_OFFSET = 64;

    private final Forwarder forwarder;
    private final BooleanSupplier closing;
    private final Network network;
    private final byte[] geneve;
    private final int replyPort;
    private final Object lock;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer;
    private final ByteBuffer view;
    private final Forwarder.Delivery delivery = this::deliver;
    /** The frame's length while {@link #delivery} runs (under the lock). */
    private long length;
    private InetSocketAddress lastReplyTarget;

    HandlerPath(Forwarder forwarder, BooleanSupplier closing, int replyPort) {
        this.forwarder = forwarder;
        this.closing = closing;
        this.network = forwarder.networks()[0];
        this.geneve = network.geneve;
        this.replyPort = replyPort;
        this.lock = forwarder.sendLock(0);
        this.buffer = arena.allocate(FRAME_OFFSET + Network.MAX_DATAGRAM, 64);
        this.view = buffer.asByteBuffer();
    }

    /**
     * Sends the {@code length} bytes at {@code offset} of {@code frame} to the peers, or with
     * {@code replyTo} to whoever sent that frame.
     */
    boolean send(MemorySegment frame, long offset, long length, ReceivedFrame replyTo) {
        checkSendable(length, geneve.length);
        synchronized (lock) {
            if (closing.getAsBoolean()) {
                return false;
            }
            MemorySegment.copy(frame, offset, buffer, FRAME_OFFSET, length);
            return sendPrepared(length, replyTo);
        }
    }

    /** As above, for the bytes between {@code frame}'s position and limit (left as they are). */
    boolean send(ByteBuffer frame, ReceivedFrame replyTo) {
        int length = frame.remaining();
        checkSendable(length, geneve.length);
        synchronized (lock) {
            if (closing.getAsBoolean()) {
                return false;
            }
            view.put((int) FRAME_OFFSET, frame, frame.position(), length);
            return sendPrepared(length, replyTo);
        }
    }

    static void checkSendable(long length, int geneveLength) {
        if (length < Network.ETHERNET_HEADER || length > Network.MAX_DATAGRAM - geneveLength) {
            throw new IllegalArgumentException("frame of " + length + " bytes (expected: " + Network.ETHERNET_HEADER
                    + ".." + (Network.MAX_DATAGRAM - geneveLength) + ")");
        }
    }

    /** Puts the Geneve header in front of the frame at {@link #FRAME_OFFSET} and sends it; under the lock. */
    private boolean sendPrepared(long frameLength, ReceivedFrame replyTo) {
        MemorySegment.copy(geneve, 0, buffer, ValueLayout.JAVA_BYTE, FRAME_OFFSET - geneve.length, geneve.length);
        this.length = frameLength;
        if (replyTo == null) {
            return forwarder.forward(network, buffer, FRAME_OFFSET, frameLength, 1, delivery);
        }
        if (!forwarder.fromInnerSide(buffer, FRAME_OFFSET, frameLength, 1)) {
            return false; // a reply goes into the tunnel too
        }
        Peer peer = forwarder.peers().byId(replyTo.peerIndex());
        if (peer != null) {
            return forwarder.allowed(peer, 1) && deliver(peer);
        }
        if (replyTo.peerIndex() >= 0) {
            return false; // removed since
        }
        return forwarder.send(0, buffer, FRAME_OFFSET - geneve.length, frameLength + geneve.length,
                replyTarget(replyTo), null, frameLength);
    }

    private boolean deliver(Peer peer) {
        return forwarder.send(0, buffer, FRAME_OFFSET - geneve.length, length + geneve.length, peer.address, peer,
                length);
    }

    /** A source that is no peer, at the reply port (never its source port, which is flow entropy); kept while it repeats. */
    private InetSocketAddress replyTarget(ReceivedFrame to) {
        InetSocketAddress last = lastReplyTarget;
        if (last == null || !to.source().hasAddress(last.getAddress())) {
            last = new InetSocketAddress(to.source().toSocketAddress().getAddress(), replyPort);
            lastReplyTarget = last;
        }
        return last;
    }

    /** Frees the send buffer once no send can be running. */
    void close() {
        synchronized (lock) {
            arena.close();
        }
    }
}
