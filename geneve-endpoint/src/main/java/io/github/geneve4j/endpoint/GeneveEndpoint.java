package io.github.geneve4j.endpoint;

import io.github.geneve4j.codec.Geneve;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.endpoint.bfd.Bfd;
import io.github.geneve4j.endpoint.bfd.BfdDiagnostic;
import io.github.geneve4j.endpoint.bfd.BfdEncapsulation;
import io.github.geneve4j.endpoint.bfd.BfdSession;
import io.github.geneve4j.endpoint.bfd.BfdState;
import io.github.geneve4j.endpoint.bfd.BfdTimers;
import io.github.geneve4j.endpoint.spi.ChannelTransport;
import io.github.geneve4j.endpoint.spi.DatagramTransport;
import io.github.geneve4j.endpoint.spi.FrameDevice;
import io.github.geneve4j.options.LengthRule;
import io.github.geneve4j.options.OptionDescriptor;
import io.github.geneve4j.options.OptionRegistry;
import io.github.geneve4j.options.ReceivePolicy;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * A Geneve tunnel endpoint (RFC 8926): Ethernet frames from its inner side are encapsulated and
 * sent to its peers over UDP; datagrams from its peers are checked and their frames delivered to the
 * inner side.
 *
 * <p>The inner side is a {@link FrameDevice} (a TAP from {@code geneve-linux}: the endpoint reads it
 * on a thread of its own) or a {@link FrameHandler} in your program (frames are handed to it on the
 * receive thread; you send with {@link #send}). The outer side is a {@link DatagramTransport}: by
 * default a JDK {@code DatagramChannel} bound to {@link Builder#local}.
 *
 * <pre>{@code
 * try (GeneveEndpoint endpoint = GeneveEndpoint.builder()
 *         .local(new InetSocketAddress("127.0.0.1", 6081))
 *         .peer(new InetSocketAddress("127.0.0.2", 6081))
 *         .vni(5000)
 *         .handler(frame -> System.out.println(frame))
 *         .start()) {
 *     endpoint.send(ByteBuffer.wrap(ethernetFrame));
 * }
 * }</pre>
 *
 * <p><b>Who may talk to it.</b> A datagram is accepted only from a configured peer's IP address
 * (any source port: RFC 8926 §3.3 makes it flow entropy), checked before anything else; then its
 * Geneve header (§3.4), its VNI, its protocol type (Ethernet) and its options against the
 * {@link ReceivePolicy} (an unknown critical option means drop, §3.5; an O-bit packet's payload is
 * not forwarded). Everything else is counted by {@link DropReason} and costs no exception, string
 * or allocation. A source address can be spoofed by anyone on the path: where that matters, protect
 * the underlay (IPsec, a private network), as RFC 8926 §6 says.
 *
 * <p><b>Lifecycle.</b> {@link Builder#start()} opens what it must and starts the endpoint's
 * threads; {@link #close()} stops them and closes the transport and the device (the endpoint owns
 * both). If a worker fails (a handler throws, a device or socket goes away), the endpoint closes
 * itself; the failure is in {@link #failure()}, reaches {@link Builder#onFailure}, and is thrown by
 * {@link #close()} as an {@link EndpointFailedException}: never a silent stall.
 *
 * <p><b>Tunnel liveness (BFD).</b> With {@link Builder#bfd(BfdTimers)} the endpoint runs one BFD
 * session per peer inside the tunnel (RFC 5880 asynchronous mode, RFC 9521 §4 encapsulation, Open
 * vSwitch's defaults; see {@link io.github.geneve4j.endpoint.bfd}) on a thread of its own. BFD packets
 * are consumed, never delivered to the inner side; while a peer's session is down after having been
 * up, data frames are not sent to it (counted as {@link DropReason#PEER_DOWN}), until it is up again.
 * Each session's state is in {@link PeerStats#bfd()} and reaches {@link Builder#bfdListener}.
 *
 * <pre>{@code
 * GeneveEndpoint.builder().local(local).peer(ovs).vni(5000).device(tap)
 *         .bfd(BfdTimers.ofMillis(300, 300, 3))          // OVS: bfd:min_tx=300 bfd:min_rx=300 bfd:mult=3
 *         .bfdListener((peer, from, to, diag) -> System.out.println(peer + " " + to))
 *         .start();
 * }</pre>
 *
 * <p>Thread-safe: {@link #send}, {@link #stats()} and {@link #close()} may be called from any thread.
 */
public final class GeneveEndpoint implements AutoCloseable {

    /** The largest frame a device takes or gives with GSO: an IP length field's 65535 plus Ethernet and a VLAN tag. */
    public static final int MAX_GSO_FRAME = 65_535 + 18;
    /** The largest Geneve datagram: a UDP length field's 65535 less the UDP header. */
    static final int MAX_DATAGRAM = 65_535 - 8;
    static final int ETHERNET_HEADER = 14;

    final DatagramTransport transport;
    final FrameDevice device;
    final FrameHandler handler;
    final int vni;
    final byte[] geneve;
    final ReceivePolicy policy;
    final int mtu;
    final boolean offload;
    final boolean acceptAnySource;
    final int replyPort;
    final InetSocketAddress[] peers;
    final Counters counters;
    final SendObserver observer;
    /** One session per peer, in the peers' order; null when BFD is off. */
    final BfdSession[] bfdSessions;
    final BfdEncapsulation[] bfdEncapsulations;
    final BfdPeerListener bfdListener;
    final ConcurrentLinkedQueue<BfdWorker.Change> bfdChanges = new ConcurrentLinkedQueue<>();
    /** The BFD thread, set before any worker starts (the receive thread wakes it for a Final). */
    private Thread bfdThread;
    private final Consumer<Throwable> onFailure;
    private final Consumer<String> onWarning;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final List<Thread> workers = new ArrayList<>();
    /**
     * Held around every send on the transport, which takes one sender at a time: the device's send
     * thread, the handler's callers and the BFD thread.
     */
    final Object sendLock = new Object();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment sendBuffer;
    private final ByteBuffer sendView;
    private final long sendFrameOffset;
    private final boolean[] warned = new boolean[DropReason.values().length + 1];
    private volatile boolean closing;
    private boolean closed;

    private GeneveEndpoint(Builder b, DatagramTransport transport) {
        this.transport = transport;
        this.device = b.device;
        this.handler = b.handler;
        this.vni = b.vni;
        GeneveHeader header = GeneveHeader.of(ProtocolType.ETHERNET, b.vni, b.options);
        this.geneve = header.toBytes();
        this.policy = b.policy != null ? b.policy : defaultPolicy(b.options);
        this.mtu = b.mtu;
        this.offload = b.offload;
        this.acceptAnySource = b.acceptAnySource;
        this.replyPort = b.replyPort;
        this.peers = b.peers.toArray(InetSocketAddress[]::new);
        this.counters = new Counters(peers.length);
        this.observer = b.observer;
        this.onFailure = b.onFailure;
        this.onWarning = b.onWarning;
        this.sendFrameOffset = 64;
        this.sendBuffer = handler != null ? arena.allocate(sendFrameOffset + MAX_DATAGRAM, 64) : null;
        this.sendView = sendBuffer != null ? sendBuffer.asByteBuffer() : null;
        this.bfdListener = b.bfdListener;
        if (b.bfdTimers != null && peers.length > 0) {
            bfdSessions = new BfdSession[peers.length];
            bfdEncapsulations = new BfdEncapsulation[peers.length];
            SecureRandom random = new SecureRandom();
            long sourceMac = b.bfdSourceMac >= 0 ? b.bfdSourceMac
                    // a random unicast, locally administered address (IEEE 802: bit 0 clear, bit 1 set)
                    : (random.nextLong() & 0xFEFF_FFFF_FFFFL) | 0x0200_0000_0000L;
            Set<Long> discriminators = new HashSet<>();
            for (int p = 0; p < peers.length; p++) {
                long discriminator;
                do {
                    discriminator = random.nextLong() & 0xFFFF_FFFFL; // unique among this endpoint's sessions
                } while (discriminator == 0 || !discriminators.add(discriminator));
                int peer = p;
                bfdSessions[p] = BfdSession.builder().timers(b.bfdTimers).localDiscriminator(discriminator)
                        .listener((session, previous, current, diagnostic) -> changed(peer, previous, current,
                                diagnostic))
                        .build();
                // RFC 5881 §4: a source port per session, fixed for its life (OVS: 49152 + a counter)
                bfdEncapsulations[p] = new BfdEncapsulation(b.bfdDestinationMac, sourceMac, b.bfdSourceAddress,
                        b.bfdDestinationAddress, Bfd.MIN_SOURCE_PORT + p, b.bfdUdpChecksum, b.bfdOam);
            }
        } else {
            bfdSessions = null;
            bfdEncapsulations = null;
        }
    }

    /** A session's listener, on the thread that changed it, under its lock: queue it for the BFD thread. */
    private void changed(int peer, BfdState previous, BfdState current, BfdDiagnostic diagnostic) {
        bfdChanges.add(new BfdWorker.Change(peer, previous, current, diagnostic));
        wakeBfd();
    }

    /** Wakes the BFD thread: a Final is due, or a state change is to be told. Allocates nothing. */
    void wakeBfd() {
        Thread t = bfdThread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** Starts describing an endpoint. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The receive policy an endpoint uses unless given one: lenient (as Open vSwitch), knowing the
     * options of {@link OptionRegistry#defaults()} and those it sends itself.
     */
    public static ReceivePolicy defaultPolicy(List<GeneveOption> sent) {
        OptionRegistry.Builder registry = OptionRegistry.builder().registerAll(OptionRegistry.defaults());
        OptionRegistry known = OptionRegistry.defaults();
        List<Long> added = new ArrayList<>();
        for (GeneveOption o : sent) {
            long key = ((long) o.optionClass() << 8) | o.type();
            if (!known.contains(o.optionClass(), o.type()) && !added.contains(key)) {
                registry.register(OptionDescriptor.raw(o.optionClass(), o.type(), "configured option", LengthRule.any()));
                added.add(key);
            }
        }
        return ReceivePolicy.lenient(registry.build());
    }

    private void startWorkers() {
        Receiver receiver = new Receiver(this);
        workers.add(Thread.ofPlatform().name("geneve-receive-" + transport.localAddress().getPort()).daemon()
                .unstarted(() -> run(receiver::run)));
        if (device != null) {
            Sender sender = new Sender(this);
            workers.add(Thread.ofPlatform().name("geneve-send-" + device.name()).daemon()
                    .unstarted(() -> run(sender::run)));
        }
        if (bfdSessions != null) {
            BfdWorker bfd = new BfdWorker(this);
            bfdThread = Thread.ofPlatform().name("geneve-bfd-" + transport.localAddress().getPort()).daemon()
                    .unstarted(() -> run(bfd::run));
            workers.add(bfdThread);
        }
        workers.forEach(Thread::start);
    }

    /** A worker's body: any throwable that ends it while the endpoint is running stops the endpoint. */
    private void run(Worker body) {
        try {
            body.run();
            if (!closing) {
                fail(new IllegalStateException("a worker stopped"));
            }
        } catch (Throwable t) {
            if (!closing) {
                fail(t);
            }
        }
    }

    @FunctionalInterface
    interface Worker {
        void run() throws Exception;
    }

    /**
     * Records the first failure and stops the endpoint (the other workers end as the transport and
     * device close); the listener hears it before {@link #awaitStop} returns.
     */
    void fail(Throwable t) {
        if (failure.compareAndSet(null, t)) {
            shutdown();
            if (onFailure != null) {
                try {
                    onFailure.accept(t);
                } catch (RuntimeException ignored) {
                    // a listener's own failure must not hide the endpoint's
                }
            }
        }
        stopped.countDown();
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

    /** Whether the endpoint is stopping or stopped. */
    boolean closing() {
        return closing;
    }

    /** The local address of the transport. */
    public InetSocketAddress localAddress() {
        return transport.localAddress();
    }

    /** The peers, in the order configured. */
    public List<InetSocketAddress> peers() {
        return List.of(peers);
    }

    /** The VNI this endpoint serves. */
    public int vni() {
        return vni;
    }

    /** The Geneve header it sends (VNI, protocol type Ethernet, options). */
    public GeneveHeader header() {
        return GeneveHeader.decode(ByteBuffer.wrap(geneve), 0);
    }

    /**
     * The inner MTU: the largest inner IP packet that fits the outer {@link Builder#mtu MTU} after
     * outer IP, UDP, Geneve (with options) and the inner Ethernet header.
     */
    public int innerMtu() {
        return mtu - overhead();
    }

    /** Bytes the tunnel adds to an inner IP packet: inner Ethernet, Geneve with options, UDP and outer IP. */
    public int overhead() {
        int ip = transport.localAddress().getAddress() instanceof Inet4Address ? 20 : 40;
        return ETHERNET_HEADER + geneve.length + 8 + ip;
    }

    /** Whether the endpoint is running: started, not closed, not failed. */
    public boolean isRunning() {
        return !closing;
    }

    /** Why the endpoint stopped by itself, if it did. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure.get());
    }

    /**
     * Waits until the endpoint stops (it fails, or another thread closes it).
     *
     * @return true if it stopped within {@code timeout}
     */
    public boolean awaitStop(Duration timeout) throws InterruptedException {
        return stopped.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** A snapshot of the counters. */
    public EndpointStats stats() {
        return counters.snapshot(peers, bfdSessions);
    }

    /**
     * Encapsulates an Ethernet frame and sends it to every peer (a copy into the endpoint's send
     * buffer; nothing allocated). For an endpoint with a {@link FrameHandler}.
     *
     * @return whether it was sent to every peer (false: a full socket buffer or a send error, or a
     *     peer whose BFD session is down, counted in the stats; or the endpoint is stopped)
     * @throws IllegalArgumentException if the frame is shorter than an Ethernet header or longer than
     *     a datagram can carry
     * @throws IllegalStateException if the endpoint reads a frame device (its frames come from there)
     */
    public boolean send(MemorySegment frame, long offset, long length) {
        checkSendable(length);
        synchronized (sendLock) {
            if (closing) {
                return false;
            }
            MemorySegment.copy(frame, offset, sendBuffer, sendFrameOffset, length);
            return sendPrepared(length, null);
        }
    }

    /** Encapsulates the frame between {@code frame}'s position and limit (left as they are) and sends it to every peer. */
    public boolean send(ByteBuffer frame) {
        int length = frame.remaining();
        checkSendable(length);
        synchronized (sendLock) {
            if (closing) {
                return false;
            }
            sendView.put((int) sendFrameOffset, frame, frame.position(), length);
            return sendPrepared(length, null);
        }
    }

    /**
     * Encapsulates a frame and sends it to whoever sent {@code to}: its peer, or for an endpoint that
     * accepts any source, the source's address at the {@link Builder#replyPort reply port} (never the
     * datagram's source port, which is flow entropy). Call it from within
     * {@link FrameHandler#onFrame} with the frame at hand.
     */
    public boolean reply(ReceivedFrame to, MemorySegment frame, long offset, long length) {
        checkSendable(length);
        synchronized (sendLock) {
            if (closing) {
                return false;
            }
            MemorySegment.copy(frame, offset, sendBuffer, sendFrameOffset, length);
            return sendPrepared(length, to);
        }
    }

    /** {@link #reply(ReceivedFrame, MemorySegment, long, long)} for the bytes between {@code frame}'s position and limit. */
    public boolean reply(ReceivedFrame to, ByteBuffer frame) {
        int length = frame.remaining();
        checkSendable(length);
        synchronized (sendLock) {
            if (closing) {
                return false;
            }
            sendView.put((int) sendFrameOffset, frame, frame.position(), length);
            return sendPrepared(length, to);
        }
    }

    private InetSocketAddress lastReplyTarget;

    private InetSocketAddress replyTarget(ReceivedFrame to) {
        InetSocketAddress last = lastReplyTarget;
        if (last == null || !to.source().hasAddress(last.getAddress())) {
            last = new InetSocketAddress(to.source().toSocketAddress().getAddress(), replyPort);
            lastReplyTarget = last;
        }
        return last;
    }

    private void checkSendable(long length) {
        if (device != null) {
            throw new IllegalStateException("this endpoint sends the frames of device " + device.name());
        }
        if (length < ETHERNET_HEADER || length > MAX_DATAGRAM - geneve.length) {
            throw new IllegalArgumentException("frame of " + length + " bytes (expected: " + ETHERNET_HEADER + ".."
                    + (MAX_DATAGRAM - geneve.length) + ")");
        }
    }

    /**
     * Sends the frame of {@code length} bytes at {@code sendFrameOffset} to every peer, or with
     * {@code replyTo} to whoever sent that frame; under sendLock.
     */
    private boolean sendPrepared(long length, ReceivedFrame replyTo) {
        long at = sendFrameOffset - geneve.length;
        MemorySegment.copy(geneve, 0, sendBuffer, ValueLayout.JAVA_BYTE, at, geneve.length);
        if (replyTo != null) {
            int peer = replyTo.peerIndex();
            if (peerDown(peer)) {
                return false;
            }
            InetSocketAddress target = peer >= 0 ? peers[peer] : replyTarget(replyTo);
            return sendDatagram(sendBuffer, at, length + geneve.length, target, peer, length);
        }
        boolean all = true;
        for (int p = 0; p < peers.length; p++) {
            all &= !peerDown(p) && sendDatagram(sendBuffer, at, length + geneve.length, peers[p], p, length);
        }
        return all;
    }

    /**
     * Whether data frames must not go to peer {@code peer} (its BFD session went down after having
     * been up): one volatile read; counts the frame as {@link DropReason#PEER_DOWN} when so.
     */
    boolean peerDown(int peer) {
        if (bfdSessions == null || peer < 0 || bfdSessions[peer].dataAllowed()) {
            return false;
        }
        counters.drop(DropReason.PEER_DOWN);
        return true;
    }

    /**
     * Sends one datagram and counts it: a frame of {@code innerLength} bytes to {@code peer} (its
     * index, or -1 for an address that is not a configured peer).
     *
     * @return whether it was sent
     */
    boolean sendDatagram(MemorySegment buffer, long offset, long length, InetSocketAddress to, int peer,
            long innerLength) {
        if (observer != null) {
            observer.sent(buffer, offset, length, to);
        }
        try {
            counters.sends.increment();
            if (!transport.send(buffer, offset, length, to)) {
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
        counters.sent(peer, 1, innerLength);
        return true;
    }

    /**
     * Stops the endpoint: its threads end, the transport and the device are closed. Idempotent.
     *
     * @throws EndpointFailedException if the endpoint had stopped by itself because of a failure
     */
    @Override
    public void close() throws EndpointFailedException {
        shutdown();
        if (failure.get() == null) {
            stopped.countDown();
        }
        for (Thread worker : workers) {
            if (worker != Thread.currentThread()) {
                try {
                    worker.join(5_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        synchronized (this) {
            if (!closed && workers.stream().noneMatch(Thread::isAlive)) {
                closed = true;
                synchronized (sendLock) {
                    arena.close();
                }
            }
        }
        Throwable t = failure.get();
        if (t != null) {
            throw new EndpointFailedException(t);
        }
    }

    /** Marks the endpoint closing and closes the transport and device, which ends the workers' waits. */
    private void shutdown() {
        synchronized (this) {
            if (closing) {
                return;
            }
            closing = true;
        }
        wakeBfd();
        try {
            transport.close();
        } catch (IOException | RuntimeException ignored) {
            // closing is best effort; the workers end either way
        }
        if (device != null) {
            try {
                device.close();
            } catch (IOException | RuntimeException ignored) {
                // as above
            }
        }
    }

    @Override
    public String toString() {
        return "GeneveEndpoint[" + transport.localAddress() + " VNI " + vni + ", peers " + List.of(peers)
                + (device != null ? ", device " + device.name() : "") + (closing ? ", stopped" : "") + "]";
    }

    /** Sees every datagram an endpoint sends, before it is sent (e.g. to record a capture). */
    @FunctionalInterface
    public interface SendObserver {
        /**
         * @param buffer the datagram's memory, reused after the call
         * @param offset where the Geneve header starts
         * @param length the datagram's length (Geneve header and inner frame)
         * @param to where it goes
         */
        void sent(MemorySegment buffer, long offset, long length, InetSocketAddress to);
    }

    /** Describes an endpoint; {@link #start()} makes and starts it. Not thread-safe. */
    public static final class Builder {
        private InetSocketAddress local;
        private DatagramTransport transport;
        private final List<InetSocketAddress> peers = new ArrayList<>();
        private int vni;
        private final List<GeneveOption> options = new ArrayList<>();
        private ReceivePolicy policy;
        private int mtu = 1500;
        private boolean offload;
        private FrameDevice device;
        private FrameHandler handler;
        private boolean acceptAnySource;
        private boolean kernelFilter;
        private int replyPort = Geneve.UDP_PORT;
        private int socketBuffer = 4 << 20;
        private SendObserver observer;
        private Consumer<Throwable> onFailure;
        private Consumer<String> onWarning;
        private BfdTimers bfdTimers;
        private boolean bfdOam = true;
        private long bfdDestinationMac = BfdEncapsulation.OVS_DESTINATION_MAC;
        private long bfdSourceMac = -1;
        private long bfdSourceAddress = BfdEncapsulation.OVS_SOURCE_ADDRESS;
        private long bfdDestinationAddress = BfdEncapsulation.OVS_DESTINATION_ADDRESS;
        private boolean bfdUdpChecksum = true;
        private BfdPeerListener bfdListener;

        private Builder() {
        }

        /** The local UDP address for the default transport (a JDK {@code DatagramChannel}); port 0 for any. */
        public Builder local(InetSocketAddress local) {
            Objects.requireNonNull(local, "local");
            if (local.isUnresolved()) {
                throw new IllegalArgumentException("local address " + local + " is unresolved (expected: an IP address)");
            }
            this.local = local;
            return this;
        }

        /** The transport to use instead of the default; the endpoint owns it from {@link #start()} on. */
        public Builder transport(DatagramTransport transport) {
            this.transport = Objects.requireNonNull(transport, "transport");
            return this;
        }

        /** Socket buffer bytes each way for the default transport (default 4 MiB; the kernel caps it). */
        public Builder socketBuffer(int bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("socket buffer " + bytes + " (expected: 0 or more)");
            }
            this.socketBuffer = bytes;
            return this;
        }

        /** Adds a peer: frames go to it, datagrams from its IP address (any source port) are accepted. */
        public Builder peer(InetSocketAddress peer) {
            Objects.requireNonNull(peer, "peer");
            if (peer.isUnresolved() || peer.getPort() == 0) {
                throw new IllegalArgumentException("peer " + peer + " (expected: a resolved IP address and a port)");
            }
            if (peers.contains(peer)) {
                throw new IllegalArgumentException("peer " + peer + " given twice");
            }
            peers.add(peer);
            return this;
        }

        /** The VNI to send and accept (0..16777215; default 0). */
        public Builder vni(int vni) {
            if (vni < 0 || vni > Geneve.MAX_VNI) {
                throw new IllegalArgumentException("VNI " + vni + " is out of range (expected: 0.." + Geneve.MAX_VNI + ")");
            }
            this.vni = vni;
            return this;
        }

        /** Options to put in every Geneve header sent (in order; the C bit follows their critical bits). */
        public Builder options(List<GeneveOption> options) {
            this.options.clear();
            this.options.addAll(List.copyOf(options));
            GeneveHeader.of(ProtocolType.ETHERNET, 0, this.options); // validates their total length now
            return this;
        }

        /** The receive policy (default: {@link GeneveEndpoint#defaultPolicy}). */
        public Builder receivePolicy(ReceivePolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** The outer (underlay) MTU (default 1500): super-frames are cut so each datagram's IP packet fits. */
        public Builder mtu(int mtu) {
            if (mtu < 576 || mtu > 65_535) {
                throw new IllegalArgumentException("MTU " + mtu + " is out of range (expected: 576..65535)");
            }
            this.mtu = mtu;
            return this;
        }

        /**
         * Whether to use the device's offloads (default off): super-frames from it are segmented, and
         * TCP from the peers is coalesced into large frames for it. Needs a device that
         * {@linkplain FrameDevice#offloads() has them}.
         */
        public Builder offload(boolean offload) {
            this.offload = offload;
            return this;
        }

        /** The inner side: a device the endpoint reads (on a thread of its own) and writes. */
        public Builder device(FrameDevice device) {
            this.device = Objects.requireNonNull(device, "device");
            return this;
        }

        /** The inner side: a handler that gets every decapsulated frame; send with {@link GeneveEndpoint#send}. */
        public Builder handler(FrameHandler handler) {
            this.handler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * Accept datagrams from any source address, not only the peers' (default off). For test
         * tools that answer whoever asks (see {@link GeneveEndpoint#reply}); never for a tunnel that
         * carries real traffic.
         */
        public Builder acceptAnySource(boolean any) {
            this.acceptAnySource = any;
            return this;
        }

        /** The Geneve port replies go to for a source that is not a configured peer (default 6081). */
        public Builder replyPort(int port) {
            if (port < 1 || port > 65_535) {
                throw new IllegalArgumentException("reply port " + port + " (expected: 1..65535)");
            }
            this.replyPort = port;
            return this;
        }

        /** Sees every datagram before it is sent (e.g. to record a capture); called on the sending thread. */
        public Builder sendObserver(SendObserver observer) {
            this.observer = observer;
            return this;
        }

        /**
         * Whether to ask the transport to drop non-peers' datagrams in the kernel, before they wake
         * the endpoint (default off; {@code geneve-linux}'s socket does it with a BPF socket filter).
         * The endpoint still checks every source. The datagrams the kernel drops are counted by the
         * kernel ({@code UdpInErrors}), not under {@link DropReason#NOT_A_PEER}. Ignored for an
         * endpoint that accepts any source; where the transport cannot, a warning says so.
         */
        public Builder kernelFilter(boolean filter) {
            this.kernelFilter = filter;
            return this;
        }

        /** Called once, on a worker thread, when the endpoint stops because of a failure. */
        public Builder onFailure(Consumer<Throwable> listener) {
            this.onFailure = listener;
            return this;
        }

        /**
         * Runs BFD with every peer (default: off): one session per peer with these timers (Open vSwitch's
         * defaults are {@link BfdTimers#OVS_DEFAULTS}), a random discriminator each, inner UDP source
         * port 49152 + the peer's index. While a peer's session is down after having been up, data
         * frames are not sent to it; before it first comes up they are (a peer without BFD is not cut
         * off). The inner frame: {@link #bfdOam}, {@link #bfdInnerAddresses}, {@link #bfdInnerMacs}.
         */
        public Builder bfd(BfdTimers timers) {
            this.bfdTimers = Objects.requireNonNull(timers, "timers");
            return this;
        }

        /**
         * The Geneve O bit of BFD packets (default {@code true}, as RFC 9521 §4 requires; {@code false}
         * sends what Open vSwitch sends unless {@code bfd:oam=true}). Either is accepted on receipt.
         */
        public Builder bfdOam(boolean oam) {
            this.bfdOam = oam;
            return this;
        }

        /**
         * The inner IPv4 addresses of BFD packets sent (default OVS's: 169.254.1.1 → 169.254.1.0, its
         * {@code bfd_src_ip} and {@code bfd_dst_ip}). Received packets are taken whatever their addresses.
         */
        public Builder bfdInnerAddresses(Inet4Address source, Inet4Address destination) {
            this.bfdSourceAddress = ipv4(Objects.requireNonNull(source, "source"));
            this.bfdDestinationAddress = ipv4(Objects.requireNonNull(destination, "destination"));
            return this;
        }

        private static long ipv4(Inet4Address address) {
            return ByteBuffer.wrap(address.getAddress()).getInt() & 0xFFFF_FFFFL;
        }

        /**
         * The inner MAC addresses of BFD packets sent, as 48-bit values: destination (default OVS's
         * 00:23:20:00:00:01) and source (default: a random locally administered address, -1).
         *
         * @throws IllegalArgumentException if a value is not 48 bits (or -1 for the source)
         */
        public Builder bfdInnerMacs(long destination, long source) {
            if (destination < 0 || destination > 0xFFFF_FFFF_FFFFL || source < -1 || source > 0xFFFF_FFFF_FFFFL) {
                throw new IllegalArgumentException("BFD MACs 0x" + Long.toHexString(destination) + ", 0x"
                        + Long.toHexString(source) + " (expected: 48-bit values; -1 for a random source)");
            }
            this.bfdDestinationMac = destination;
            this.bfdSourceMac = source;
            return this;
        }

        /** Whether BFD packets carry an inner UDP checksum (default) or 0, as OVS sends. */
        public Builder bfdUdpChecksum(boolean compute) {
            this.bfdUdpChecksum = compute;
            return this;
        }

        /** Told of every state change of every peer's BFD session, on the endpoint's BFD thread. */
        public Builder bfdListener(BfdPeerListener listener) {
            this.bfdListener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** Called the first time each kind of I/O error is seen (later ones are only counted). */
        public Builder onWarning(Consumer<String> listener) {
            this.onWarning = listener;
            return this;
        }

        /**
         * Checks the description, opens the default transport if none was given, and starts the
         * endpoint.
         *
         * @throws IllegalStateException if the description is incomplete or inconsistent (no inner
         *     side, two, no peers for a device, offload without a device that has it, mixed IP versions)
         * @throws IOException if the transport cannot be opened (e.g. the address is taken)
         */
        public GeneveEndpoint start() throws IOException {
            if ((device == null) == (handler == null)) {
                throw new IllegalStateException("an endpoint needs one inner side: a device or a handler");
            }
            if ((local == null) == (transport == null)) {
                throw new IllegalStateException("an endpoint needs a local address or a transport (exactly one)");
            }
            if (peers.isEmpty() && !acceptAnySource) {
                throw new IllegalStateException("an endpoint needs at least one peer (or acceptAnySource for a test tool)");
            }
            if (device != null && peers.isEmpty()) {
                throw new IllegalStateException("a device's frames need at least one peer to go to");
            }
            if (offload && (device == null || !device.offloads())) {
                throw new IllegalStateException("offload needs a device that has offloads"
                        + (device == null ? "" : " (" + device.name() + " was opened without)"));
            }
            InetSocketAddress localAddress = transport != null ? transport.localAddress() : local;
            boolean v4 = localAddress.getAddress() instanceof Inet4Address;
            for (InetSocketAddress p : peers) {
                if ((p.getAddress() instanceof Inet4Address) != v4) {
                    throw new IllegalStateException("peer " + p + " and local address " + localAddress
                            + " are not of one IP version");
                }
            }
            DatagramTransport t = transport != null ? transport : ChannelTransport.open(local, socketBuffer);
            GeneveEndpoint endpoint;
            try {
                endpoint = new GeneveEndpoint(this, t);
                if (endpoint.innerMtu() < 68) {
                    throw new IllegalStateException("MTU " + mtu + " leaves " + endpoint.innerMtu()
                            + " bytes for inner packets (expected: at least 68)");
                }
            } catch (RuntimeException e) {
                if (transport == null) {
                    t.close();
                }
                throw e;
            }
            if (kernelFilter && !acceptAnySource) {
                List<java.net.InetAddress> sources = peers.stream().map(InetSocketAddress::getAddress).distinct().toList();
                if (!t.restrictSources(sources)) {
                    endpoint.warn("the transport cannot drop non-peers in the kernel; the endpoint drops them");
                }
            }
            endpoint.startWorkers();
            return endpoint;
        }
    }
}
