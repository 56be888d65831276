package io.github.geneve4j.endpoint;

import io.github.geneve4j.endpoint.bfd.BfdDiagnostic;
import io.github.geneve4j.endpoint.bfd.BfdEncapsulation;
import io.github.geneve4j.endpoint.bfd.BfdSession;
import io.github.geneve4j.endpoint.bfd.BfdState;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * The endpoint's BFD thread: sends each peer's control packets when its session says they are due
 * (a periodic packet, or a Final that the receive thread asked for and woke it up to send), runs the
 * sessions' detection timers, and tells the user's {@link BfdPeerListener} of state changes. Sleeps
 * until the nearest deadline, at most a second. Makes each peer's session (a discriminator unique
 * among the endpoint's). Allocates nothing per packet.
 */
final class BfdWorker {

    /** The longest the thread sleeps without looking at the sessions. */
    static final long MAX_PARK_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Packets one session may send in one round (a Final and a periodic one at most, normally). */
    private static final int MAX_PER_ROUND = 4;

    /** A state change, queued by the thread that made it (allocates: state changes are rare). */
    record Change(Peer peer, BfdState previous, BfdState current, BfdDiagnostic diagnostic) {
    }

    private final BfdConfig config;
    private final Forwarder forwarder;
    private final LongSupplier clock;
    private final BooleanSupplier closing;
    private final ConcurrentLinkedQueue<Change> changes = new ConcurrentLinkedQueue<>();
    private final Set<Long> discriminators = new HashSet<>();
    private final SecureRandom random;
    private final MemorySegment buffer;
    private final int geneveLength;
    /** Set before any worker starts (the receive thread wakes it for a Final). */
    private volatile Thread thread;

    BfdWorker(BfdConfig config, int vni, Forwarder forwarder, LongSupplier clock, BooleanSupplier closing,
            SecureRandom random) {
        this.config = config;
        this.forwarder = forwarder;
        this.clock = clock;
        this.closing = closing;
        this.random = random;
        byte[] geneve = config.geneveHeader(vni);
        this.geneveLength = geneve.length;
        // one buffer for every peer: Geneve header, then the inner frame
        this.buffer = Arena.ofAuto().allocate(geneveLength + BfdEncapsulation.FRAME_LENGTH, 8);
        MemorySegment.copy(geneve, 0, buffer, ValueLayout.JAVA_BYTE, 0, geneveLength);
    }

    /** The configuration its sessions run by (the source MAC chosen). */
    BfdConfig config() {
        return config;
    }

    void thread(Thread t) {
        this.thread = t;
    }

    /** A peer with a session of its own and a discriminator no other of this endpoint's sessions has. Under the peer lock. */
    Peer newPeer(int id, InetSocketAddress address) {
        long discriminator;
        do {
            discriminator = random.nextLong() & 0xFFFF_FFFFL;
        } while (discriminator == 0 || !discriminators.add(discriminator));
        Peer[] self = new Peer[1];
        BfdSession session = config.session(discriminator, clock,
                (s, previous, current, diagnostic) -> changed(self[0], previous, current, diagnostic));
        self[0] = new Peer(id, address, session, config.encapsulation(id));
        return self[0];
    }

    /** A session's listener, on the thread that changed it, under its lock: queue it for the BFD thread. */
    private void changed(Peer peer, BfdState previous, BfdState current, BfdDiagnostic diagnostic) {
        changes.add(new Change(peer, previous, current, diagnostic));
        wake();
    }

    /** Wakes the BFD thread: a Final is due, a state change is to be told, a peer came, or the endpoint closes. Allocates nothing. */
    void wake() {
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    void run() {
        while (!closing.getAsBoolean()) {
            tell();
            long now = clock.getAsLong();
            long wake = now + MAX_PARK_NANOS;
            // the peer set of now: a peer added is polled from this round on, one removed no more
            for (Peer p : forwarder.peers().list()) {
                BfdSession session = p.bfd;
                for (int i = 0; i < MAX_PER_ROUND && session.poll(now); i++) {
                    send(p);
                }
                wake = Math.min(wake, session.nextDeadline());
            }
            tell();
            long wait = wake - clock.getAsLong();
            if (wait > 0 && changes.isEmpty() && !closing.getAsBoolean()) {
                LockSupport.parkNanos(this, Math.min(wait, MAX_PARK_NANOS)); // unparked by the receive thread when a Final is due
            }
        }
    }

    /** Hands the queued state changes to the user's listener, in order, outside every lock. */
    private void tell() {
        Change c;
        while ((c = changes.poll()) != null) {
            if (config.listener() != null) {
                config.listener().stateChanged(c.peer().address, c.previous(), c.current(), c.diagnostic());
            }
        }
    }

    /** Writes peer {@code p}'s due packet and sends it on the first transport, under its send lock. */
    private void send(Peer p) {
        int frame = p.bfdEncapsulation.writeFrame(buffer, geneveLength, p.bfd);
        synchronized (forwarder.sendLock(0)) {
            if (!closing.getAsBoolean()) {
                forwarder.send(0, buffer, 0, geneveLength + frame, p.address, p, 0);
            }
        }
    }
}
