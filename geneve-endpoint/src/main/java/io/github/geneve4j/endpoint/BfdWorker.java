package io.github.geneve4j.endpoint;

import io.github.geneve4j.endpoint.bfd.BfdDiagnostic;
import io.github.geneve4j.endpoint.bfd.BfdEncapsulation;
import io.github.geneve4j.endpoint.bfd.BfdSession;
import io.github.geneve4j.endpoint.bfd.BfdState;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The endpoint's BFD thread: sends each peer's control packets when its session says they are due
 * (a periodic packet, or a Final that the receive thread asked for and woke it up to send), runs the
 * sessions' detection timers, and tells the user's {@link BfdPeerListener} of state changes. Sleeps
 * until the nearest deadline, at most a second. Allocates nothing per packet.
 */
final class BfdWorker {

    /** The longest the thread sleeps without looking at the sessions. */
    static final long MAX_PARK_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Packets one session may send in one round (a Final and a periodic one at most, normally). */
    private static final int MAX_PER_ROUND = 4;

    /** A state change, queued by the thread that made it (allocates: state changes are rare). */
    record Change(Peer peer, BfdState previous, BfdState current, BfdDiagnostic diagnostic) {
    }

    private final GeneveEndpoint endpoint;
    private final Counters counters;
    private final ConcurrentLinkedQueue<Change> changes;
    private final MemorySegment buffer;
    private final int geneveLength;

    BfdWorker(GeneveEndpoint endpoint) {
        this.endpoint = endpoint;
        this.counters = endpoint.counters;
        this.changes = endpoint.bfdChanges;
        // the header's O bit and options are the same for every peer (one configuration): any peer's will do
        byte[] geneve = new BfdEncapsulation(0, 0, 0, 0, io.github.geneve4j.endpoint.bfd.Bfd.MIN_SOURCE_PORT, true,
                endpoint.bfdOam()).geneveHeader(endpoint.vni()).toBytes();
        this.geneveLength = geneve.length;
        // one buffer for every peer: Geneve header, then the inner frame (a fourth transport view at most)
        this.buffer = Arena.ofAuto().allocate(geneveLength + BfdEncapsulation.FRAME_LENGTH, 8);
        MemorySegment.copy(geneve, 0, buffer, ValueLayout.JAVA_BYTE, 0, geneveLength);
    }

    void run() throws Exception {
        while (!endpoint.closing()) {
            tell();
            long now = System.nanoTime();
            long wake = now + MAX_PARK_NANOS;
            // the peer set of now: a peer added is polled from this round on, one removed no more
            for (Peer p : endpoint.peerSet.list()) {
                BfdSession session = p.bfd;
                for (int i = 0; i < MAX_PER_ROUND && session.poll(now); i++) {
                    send(p);
                }
                wake = Math.min(wake, session.nextDeadline());
            }
            tell();
            long wait = wake - System.nanoTime();
            if (wait > 0 && changes.isEmpty() && !endpoint.closing()) {
                LockSupport.parkNanos(this, wait); // unparked by the receive thread when a Final is due
            }
        }
    }

    /** Hands the queued state changes to the user's listener, in order, outside every lock. */
    private void tell() {
        Change c;
        while ((c = changes.poll()) != null) {
            if (endpoint.bfdListener != null) {
                endpoint.bfdListener.stateChanged(c.peer().address, c.previous(), c.current(), c.diagnostic());
            }
        }
    }

    /** Writes peer {@code p}'s due packet and sends it, under the lock every sender of the endpoint shares. */
    private void send(Peer p) {
        int frame = p.bfdEncapsulation.writeFrame(buffer, geneveLength, p.bfd);
        long length = geneveLength + frame;
        synchronized (endpoint.sendLock) {
            if (endpoint.closing()) {
                return;
            }
            if (endpoint.observer != null) {
                endpoint.observer.sent(buffer, 0, length, p.address);
            }
            counters.sends.increment();
            try {
                if (!endpoint.transport.send(buffer, 0, length, p.address)) {
                    counters.drop(DropReason.SEND_BUFFER_FULL);
                }
            } catch (ClosedChannelException stopped) {
                // closing: the loop ends
            } catch (IOException e) {
                counters.drop(DropReason.SEND_ERROR);
                endpoint.warnOnce(DropReason.SEND_ERROR, e);
            }
        }
    }
}
