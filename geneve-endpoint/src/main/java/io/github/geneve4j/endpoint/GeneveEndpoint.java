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
 * <p><b>Peers, learning, VNIs.</b> An endpoint has any number of peers, added at build time
 * ({@link Builder#peer}) or while it runs ({@link #addPeer}, {@link #removePeer}). Each VNI it serves
 * has a {@link MacTable}: the inner source MAC of every frame from a peer is learned as behind that
 * peer; a frame to a learned MAC goes to that peer alone, broadcast, multicast and unknown unicast
 * to every peer (encapsulated once, the same memory sent to each). What comes from a peer is
 * delivered to the inner side only, never to another peer (split horizon). Several VNIs share one
 * transport, each with its device ({@link Builder#network}).
 *
 * <pre>{@code
 * GeneveEndpoint.builder().transport(socket)
 *         .peer(hostB).peer(hostC).peer(hostD)                 // a full mesh: every other host
 *         .network(5000, Tap.open("red", true)).network(5001, Tap.open("blue", true))
 *         .macTable(65_536, Duration.ofSeconds(300))
 *         .start();
 * }</pre>
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
 * <p>Thread-safe: {@link #send}, {@link #stats()}, {@link #addPeer}, {@link #removePeer}, the MAC methods and
 * {@link #close()} may be called from any thread.
 */
public final class GeneveEndpoint implements AutoCloseable {

    /** The largest frame a device takes or gives with GSO: an IP length field's 65535 plus Ethernet and a VLAN tag. */
    public static final int MAX_GSO_FRAME = 65_535 + 18;
    /** The largest Geneve datagram: a UDP length field's 65535 less the UDP header. */
    static final int MAX_DATAGRAM = 65_535 - 8;
    static final int ETHERNET_HEADER = 14;

    /** The first worker pair's transport: BFD and a handler's sends go on it. */
    final DatagramTransport transport;
    /** One transport per worker pair (the first is {@link #transport}). */
    final DatagramTransport[] transports;
    /** The VNIs served, each with its device (or the handler's one VNI), in the order given. */
    final Network[] networks;
    final FrameHandler handler;
    /** The Geneve header of the first VNI (every VNI's has the same length: the same options). */
    final byte[] geneve;
    final ReceivePolicy policy;
    final int mtu;
    final boolean offload;
    final boolean acceptAnySource;
    final int replyPort;
    /** The peers now: replaced whole when one is added or removed (read once per packet). */
    volatile Peer.Set peerSet = Peer.Set.EMPTY;
    /** Ids of peers, never reused; guarded by {@link #peerLock}. */
    private int nextPeerId;
    private final Object peerLock = new Object();
    private final boolean kernelFilter;
    final Counters counters;
    final SendObserver observer;
    /** The MAC tables' clock, read by the receive thread once per receive call. */
    final java.util.function.LongSupplier macClock;
    /** Null when BFD is off. */
    final BfdTimers bfdTimers;
    private final Set<Long> bfdDiscriminators = new HashSet<>();
    private final SecureRandom random = new SecureRandom();
    private final long bfdSourceMac;
    private final long bfdDestinationMac;
    private final long bfdSourceAddress;
    private final long bfdDestinationAddress;
    private final boolean bfdUdpChecksum;
    private final boolean bfdOam;
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
    final Object sendLock;
    /** One lock per transport (the first is {@link #sendLock}): a worker pair's sends hold its own. */
    final Object[] sendLocks;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment sendBuffer;
    private final ByteBuffer sendView;
    private final long sendFrameOffset;
    private final boolean[] warned = new boolean[DropReason.values().length + 1];
    private volatile boolean closing;
    private boolean closed;

    private GeneveEndpoint(Builder b, DatagramTransport[] transports) {
        this.transports = transports;
        this.transport = transports[0];
        this.sendLocks = new Object[transports.length];
        java.util.Arrays.setAll(sendLocks, i -> new Object());
        this.sendLock = sendLocks[0];
        this.handler = b.handler;
        this.networks = new Network[b.networkVnis.size()];
        for (int i = 0; i < networks.length; i++) {
            int v = b.networkVnis.get(i);
            List<FrameDevice> queues = b.networkDevices.get(i);
            networks[i] = new Network(v, queues == null ? null : queues.toArray(FrameDevice[]::new),
                    GeneveHeader.of(ProtocolType.ETHERNET, v, b.options).toBytes(),
                    new MacTable(b.macMax, b.macAge, b.clock));
        }
        this.geneve = networks[0].geneve;
        this.policy = b.policy != null ? b.policy : defaultPolicy(b.options);
        this.mtu = b.mtu;
        this.offload = b.offload;
        this.acceptAnySource = b.acceptAnySource;
        this.replyPort = b.replyPort;
        this.kernelFilter = b.kernelFilter && !b.acceptAnySource;
        this.counters = new Counters();
        this.macClock = b.clock;
        this.observer = b.observer;
        this.onFailure = b.onFailure;
        this.onWarning = b.onWarning;
        this.sendFrameOffset = 64;
        this.sendBuffer = handler != null ? arena.allocate(sendFrameOffset + MAX_DATAGRAM, 64) : null;
        this.sendView = sendBuffer != null ? sendBuffer.asByteBuffer() : null;
        this.bfdListener = b.bfdListener;
        this.bfdTimers = b.bfdTimers;
        this.bfdDestinationMac = b.bfdDestinationMac;
        this.bfdSourceAddress = b.bfdSourceAddress;
        this.bfdDestinationAddress = b.bfdDestinationAddress;
        this.bfdUdpChecksum = b.bfdUdpChecksum;
        this.bfdOam = b.bfdOam;
        this.bfdSourceMac = b.bfdSourceMac >= 0 ? b.bfdSourceMac
                // a random unicast, locally administered address (IEEE 802: bit 0 clear, bit 1 set)
                : (random.nextLong() & 0xFEFF_FFFF_FFFFL) | 0x0200_0000_0000L;
        for (InetSocketAddress p : b.peers) {
            peerSet = peerSet.plus(newPeer(p));
        }
    }

    /** A peer with the next id and, with BFD on, a session of its own. Under peerLock or in the constructor. */
    private Peer newPeer(InetSocketAddress address) {
        int id = nextPeerId++;
        if (id > MacTable.MAX_PEER) {
            throw new IllegalStateException("more than " + MacTable.MAX_PEER + " peers added in this endpoint's life");
        }
        if (bfdTimers == null) {
            return new Peer(id, address, null, null);
        }
        long discriminator;
        do {
            discriminator = random.nextLong() & 0xFFFF_FFFFL; // unique among this endpoint's sessions
        } while (discriminator == 0 || !bfdDiscriminators.add(discriminator));
        Peer[] self = new Peer[1];
        BfdSession session = BfdSession.builder().timers(bfdTimers).localDiscriminator(discriminator)
                .listener((s, previous, current, diagnostic) -> changed(self[0], previous, current, diagnostic))
                .build();
        // RFC 5881 §4: a source port per session, fixed for its life (OVS: 49152 + a counter)
        BfdEncapsulation encapsulation = new BfdEncapsulation(bfdDestinationMac, bfdSourceMac, bfdSourceAddress,
                bfdDestinationAddress, Bfd.MIN_SOURCE_PORT + id % (Bfd.MAX_SOURCE_PORT - Bfd.MIN_SOURCE_PORT + 1),
                bfdUdpChecksum, bfdOam);
        self[0] = new Peer(id, address, session, encapsulation);
        return self[0];
    }

    /** A session's listener, on the thread that changed it, under its lock: queue it for the BFD thread. */
    private void changed(Peer peer, BfdState previous, BfdState current, BfdDiagnostic diagnostic) {
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
        for (int w = 0; w < transports.length; w++) {
            // worker pair w: its transport's receive thread, and a send thread per VNI for its device queue
            // one pair: geneve-receive-PORT, geneve-send-DEVICE; several: geneve-rxW-PORT, geneve-txW-DEVICE
            // (the pair first: Linux shows a thread's first 15 characters)
            boolean one = transports.length == 1;
            Receiver receiver = new Receiver(this, w);
            workers.add(Thread.ofPlatform().name((one ? "geneve-receive-" : "geneve-rx" + w + "-")
                    + transport.localAddress().getPort()).daemon().unstarted(() -> run(receiver::run)));
            for (Network n : networks) {
                if (n.device != null) {
                    Sender sender = new Sender(this, n, w);
                    workers.add(Thread.ofPlatform().name((one ? "geneve-send-" : "geneve-tx" + w + "-") + n.device.name())
                            .daemon().unstarted(() -> run(sender::run)));
                }
            }
        }
        if (bfdTimers != null) {
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

    /** The O bit of BFD packets sent. */
    boolean bfdOam() {
        return bfdOam;
    }

    /** Whether the endpoint is stopping or stopped. */
    boolean closing() {
        return closing;
    }

    /** The local address of the transport. */
    public InetSocketAddress localAddress() {
        return transport.localAddress();
    }

    /** The peers now, in the order they were added. */
    public List<InetSocketAddress> peers() {
        return java.util.Arrays.stream(peerSet.list()).map(p -> p.address).toList();
    }

    /**
     * Adds a peer while the endpoint runs: floods and frames to MACs learned behind it go to it from
     * now on, and its datagrams are accepted (with BFD on, it gets a session of its own). The packet
     * paths see the new peer set at their next packet; they allocate nothing for it.
     *
     * @return false if it is a peer already
     * @throws IllegalArgumentException if the address is unresolved, has port 0, or is not of the
     *     local address's IP version
     */
    public boolean addPeer(InetSocketAddress peer) throws IOException {
        Builder.checkPeer(peer);
        if ((peer.getAddress() instanceof Inet4Address) != (localAddress().getAddress() instanceof Inet4Address)) {
            throw new IllegalArgumentException("peer " + peer + " and local address " + localAddress()
                    + " are not of one IP version");
        }
        synchronized (peerLock) {
            if (closing) {
                return false;
            }
            if (peerSet.find(peer) != null) {
                return false;
            }
            peerSet = peerSet.plus(newPeer(peer));
            refilter();
        }
        wakeBfd();
        return true;
    }

    /**
     * Removes a peer while the endpoint runs: nothing more is sent to it, its datagrams are dropped as
     * {@link DropReason#NOT_A_PEER}, the MACs learned behind it are forgotten (frames to them are
     * flooded until they are learned again), and its BFD session ends.
     *
     * @return false if it was not a peer
     */
    public boolean removePeer(InetSocketAddress peer) throws IOException {
        synchronized (peerLock) {
            Peer p = peerSet.find(peer);
            if (p == null) {
                return false;
            }
            peerSet = peerSet.minus(p);
            for (Network n : networks) {
                n.macs.removePeer(p.id);
            }
            refilter();
        }
        return true;
    }

    /** With the kernel filter on, the kernel's list of sources follows the peer set. Under peerLock. */
    private void refilter() throws IOException {
        if (kernelFilter && transport.isOpen()) {
            restrictSources(java.util.Arrays.stream(peerSet.list()).map(p -> p.address.getAddress()).distinct().toList());
        }
    }

    /** Asks every transport to drop non-peers in the kernel; whether each of them does. */
    private boolean restrictSources(List<java.net.InetAddress> sources) throws IOException {
        boolean all = true;
        for (DatagramTransport t : transports) {
            all &= t.restrictSources(sources);
        }
        return all;
    }

    /**
     * Puts a static MAC entry in a VNI's table: frames to {@code mac} go to {@code peer} alone, until
     * {@link #removeMac removed}; it never ages, moves nor is evicted.
     *
     * @param mac a unicast MAC address as a 48-bit value ({@code 0x02_00_00_00_00_01L} for 02:00:00:00:00:01)
     * @return false if the table's set for that address is full of static entries
     * @throws IllegalArgumentException if the VNI is not served, {@code peer} is no peer, the MAC not unicast
     */
    public boolean addStaticMac(int vni, long mac, InetSocketAddress peer) {
        synchronized (peerLock) {
            Peer p = peerSet.find(peer);
            if (p == null) {
                throw new IllegalArgumentException(peer + " is not a peer (expected one of " + peers() + ")");
            }
            return network(vni).macs.putStatic(mac, p.id);
        }
    }

    /** Removes a MAC entry (static or learned) from a VNI's table; whether there was one. */
    public boolean removeMac(int vni, long mac) {
        return network(vni).macs.remove(mac);
    }

    /** The peer a MAC is known behind in a VNI's table (learned or static, not aged), if any. */
    public Optional<InetSocketAddress> macPeer(int vni, long mac) {
        // by the tables' time, which the receive thread advances at least twice a second
        Peer p = peerSet.byId(network(vni).macs.lookup(mac));
        return p == null ? Optional.empty() : Optional.of(p.address);
    }

    private Network network(int vni) {
        for (Network n : networks) {
            if (n.vni == vni) {
                return n;
            }
        }
        throw new IllegalArgumentException("VNI " + vni + " is not served (expected one of " + vnis() + ")");
    }

    /** The (first) VNI this endpoint serves. */
    public int vni() {
        return networks[0].vni;
    }

    /** Every VNI this endpoint serves, in the order given. */
    public List<Integer> vnis() {
        return java.util.Arrays.stream(networks).map(n -> n.vni).toList();
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
        return counters.snapshot(peerSet, networks);
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
        if (handler == null) {
            throw new IllegalStateException("this endpoint sends the frames of device " + networks[0].device.name());
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
        Peer.Set set = peerSet;
        if (replyTo != null) {
            Peer peer = set.byId(replyTo.peerIndex());
            if (peer != null && !allowed(peer, 1)) {
                return false;
            }
            if (peer == null && replyTo.peerIndex() >= 0) {
                return false; // removed since
            }
            InetSocketAddress target = peer != null ? peer.address : replyTarget(replyTo);
            return sendDatagram(sendBuffer, at, length + geneve.length, target, peer, length);
        }
        Peer to = route(networks[0], sendBuffer, sendFrameOffset, set);
        if (to != null) {
            return allowed(to, 1) && sendDatagram(sendBuffer, at, length + geneve.length, to.address, to, length);
        }
        counters.floods.increment();
        boolean all = true;
        for (Peer p : set.list()) {
            if (allowed(p, 1)) {
                p.floods.increment();
                all &= sendDatagram(sendBuffer, at, length + geneve.length, p.address, p, length);
            } else {
                all = false;
            }
        }
        return all;
    }

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);

    /** The 48-bit MAC address at {@code offset}. */
    static long mac(MemorySegment buffer, long offset) {
        return ((buffer.get(U32, offset) & 0xFFFF_FFFFL) << 16) | (buffer.get(U16, offset + 4) & 0xFFFF);
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
     * Sends one datagram and counts it: a frame of {@code innerLength} bytes to {@code peer} (null
     * for an address that is not a configured peer).
     *
     * @return whether it was sent
     */
    boolean sendDatagram(MemorySegment buffer, long offset, long length, InetSocketAddress to, Peer peer,
            long innerLength) {
        return sendDatagram(transport, buffer, offset, length, to, peer, innerLength);
    }

    /** As the method above, on worker pair's {@code transport} (under its send lock). */
    boolean sendDatagram(DatagramTransport transport, MemorySegment buffer, long offset, long length,
            InetSocketAddress to, Peer peer, long innerLength) {
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
        for (DatagramTransport t : transports) {
            try {
                t.close();
            } catch (IOException | RuntimeException ignored) {
                // closing is best effort; the workers end either way
            }
        }
        for (Network n : networks) {
            for (FrameDevice queue : n.queues) {
                try {
                    queue.close();
                } catch (IOException | RuntimeException ignored) {
                    // as above
                }
            }
        }
    }

    @Override
    public String toString() {
        return "GeneveEndpoint[" + transport.localAddress() + " VNI " + vnis() + ", peers " + peers()
                + java.util.Arrays.stream(networks).filter(n -> n.device != null).map(n -> ", device " + n.device.name())
                        .collect(java.util.stream.Collectors.joining()) + (closing ? ", stopped" : "") + "]";
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
        private List<DatagramTransport> transports;
        private final List<InetSocketAddress> peers = new ArrayList<>();
        private int vni;
        private final List<GeneveOption> options = new ArrayList<>();
        private ReceivePolicy policy;
        private int mtu = 1500;
        private boolean offload;
        private List<FrameDevice> device;
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
        private final List<Integer> networkVnis = new ArrayList<>();
        private final List<List<FrameDevice>> networkDevices = new ArrayList<>();
        private int macMax = MacTable.DEFAULT_MAX_ENTRIES;
        private Duration macAge = MacTable.DEFAULT_AGE;
        private java.util.function.LongSupplier clock = System::nanoTime;

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
            this.transports = List.of(Objects.requireNonNull(transport, "transport"));
            return this;
        }

        /**
         * Runs the endpoint on several worker pairs, one per transport (instead of {@link #transport}):
         * pair <em>i</em> receives on transport <em>i</em> and writes to queue <em>i</em> of each
         * device, and reads queue <em>i</em> and sends on transport <em>i</em>, each on a thread of its
         * own. Give every VNI as many device queues ({@link #devices}, {@link #network(int, List)}),
         * e.g. a multi-queue TAP and an {@code SO_REUSEPORT} group from {@code geneve-linux}, so that
         * flows spread over the pairs (and cores) by hash, one flow in one pair. The peers, MAC
         * tables and counters are shared; BFD runs on the first transport. The endpoint owns them all.
         *
         * <pre>{@code
         * GeneveEndpoint.builder()
         *         .transports(UdpSocket.openGroup(local, 4 << 20, 2))
         *         .devices(Tap.openQueues("geneve0", Tap.TUN_F_CSUM | Tap.TUN_F_TSO4 | Tap.TUN_F_TSO6, 2))
         *         .peer(remote).vni(5000).offload(true)
         *         .start();
         * }</pre>
         *
         * @throws IllegalArgumentException if the list is empty or holds the same transport twice
         */
        public Builder transports(List<? extends DatagramTransport> transports) {
            this.transports = onceEach(transports, "transports");
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
            checkPeer(peer);
            if (peers.contains(peer)) {
                throw new IllegalArgumentException("peer " + peer + " given twice");
            }
            peers.add(peer);
            return this;
        }

        static void checkPeer(InetSocketAddress peer) {
            Objects.requireNonNull(peer, "peer");
            if (peer.isUnresolved() || peer.getPort() == 0) {
                throw new IllegalArgumentException("peer " + peer + " (expected: a resolved IP address and a port)");
            }
        }

        /** The VNI to send and accept (0..16777215; default 0), for the one {@link #device} or the handler. */
        public Builder vni(int vni) {
            checkVni(vni);
            this.vni = vni;
            return this;
        }

        private static void checkVni(int vni) {
            if (vni < 0 || vni > Geneve.MAX_VNI) {
                throw new IllegalArgumentException("VNI " + vni + " is out of range (expected: 0.." + Geneve.MAX_VNI + ")");
            }
        }

        /**
         * Serves one more VNI with a device of its own (repeatable; instead of {@link #vni} and
         * {@link #device}): its frames go out with that VNI, datagrams with that VNI go to it; one UDP
         * transport for them all, one MAC table per VNI, one send thread per device.
         *
         * <pre>{@code
         * builder.network(5000, Tap.open("tap5000", false)).network(5001, Tap.open("tap5001", false));
         * }</pre>
         */
        public Builder network(int vni, FrameDevice device) {
            return network(vni, List.of(Objects.requireNonNull(device, "device")));
        }

        /**
         * Serves one more VNI with a device of several queues, one per worker pair (see
         * {@link #transports}); as {@link #network(int, FrameDevice)} otherwise.
         *
         * @throws IllegalArgumentException if the list is empty or holds a queue twice
         */
        public Builder network(int vni, List<? extends FrameDevice> queues) {
            checkVni(vni);
            List<FrameDevice> copy = onceEach(queues, "device queues");
            if (networkVnis.contains(vni)) {
                throw new IllegalArgumentException("VNI " + vni + " given twice");
            }
            networkVnis.add(vni);
            networkDevices.add(copy);
            return this;
        }

        /** A copy of {@code items}, checked to hold one or more, none twice. */
        private static <T> List<T> onceEach(List<? extends T> items, String what) {
            List<T> copy = List.copyOf(items);
            int distinct = new HashSet<>(copy).size();
            if (copy.isEmpty() || distinct != copy.size()) {
                throw new IllegalArgumentException("found " + copy.size() + " " + what + ", " + distinct
                        + " of them distinct (expected: one or more, each once)");
            }
            return copy;
        }

        /**
         * Bounds each VNI's MAC table at {@code maxEntries} (default 65,536) and ages an entry not seen
         * for {@code age} (default 300 s, as a Linux bridge). See {@link MacTable}.
         */
        public Builder macTable(int maxEntries, Duration age) {
            new MacTable(maxEntries, age, clock); // validates
            this.macMax = maxEntries;
            this.macAge = age;
            return this;
        }

        /** The clock MAC tables age by (nanoseconds; default {@link System#nanoTime}): for tests. */
        public Builder macClock(java.util.function.LongSupplier nanos) {
            this.clock = Objects.requireNonNull(nanos, "nanos");
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
            this.device = List.of(Objects.requireNonNull(device, "device"));
            return this;
        }

        /**
         * The inner side: a device of several queues, one per worker pair (see {@link #transports}),
         * such as {@code Tap.openQueues}; for the one VNI of {@link #vni}.
         *
         * @throws IllegalArgumentException if the list is empty or holds a queue twice
         */
        public Builder devices(List<? extends FrameDevice> queues) {
            this.device = onceEach(queues, "device queues");
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

        /**
         * Sees every datagram before it is sent (e.g. to record a capture); called on the sending thread.
         * With several worker pairs ({@link #transports}) their send threads call it at the same
         * time: it must then be thread-safe.
         */
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
            boolean networks = !networkVnis.isEmpty();
            if ((device == null && !networks) == (handler == null) || (networks && device != null)) {
                throw new IllegalStateException("an endpoint needs one inner side: a device, devices by VNI, or a handler");
            }
            if (networks && handler != null) {
                throw new IllegalStateException("devices by VNI and a handler: an endpoint has one kind of inner side");
            }
            if (!networks) {
                networkVnis.add(vni);
                networkDevices.add(device);
            }
            try {
                return startChecked();
            } finally {
                if (!networks) {
                    networkVnis.clear();
                    networkDevices.clear();
                }
            }
        }

        private GeneveEndpoint startChecked() throws IOException {
            boolean hasDevice = handler == null;
            if ((local == null) == (transports == null)) {
                throw new IllegalStateException("an endpoint needs a local address or a transport (exactly one)");
            }
            int pairs = transports == null ? 1 : transports.size();
            if (!hasDevice && pairs > 1) {
                throw new IllegalStateException("a handler takes one transport (found " + pairs
                        + "): worker pairs need a device with a queue each");
            }
            for (int i = 0; i < networkDevices.size(); i++) {
                List<FrameDevice> queues = networkDevices.get(i);
                if (queues != null && queues.size() != pairs) {
                    throw new IllegalStateException("VNI " + networkVnis.get(i) + " has " + queues.size()
                            + " device queues for " + pairs + " transports (expected: one queue per transport)");
                }
            }
            if (transports != null) {
                InetSocketAddress first = transports.get(0).localAddress();
                for (DatagramTransport t : transports) {
                    if (!t.localAddress().equals(first)) {
                        throw new IllegalStateException("transports bound to " + first + " and " + t.localAddress()
                                + " (expected: one address, as an SO_REUSEPORT group)");
                    }
                }
            }
            if (peers.isEmpty() && !acceptAnySource) {
                throw new IllegalStateException("an endpoint needs at least one peer (or acceptAnySource for a test tool)");
            }
            if (offload && !hasDevice) {
                throw new IllegalStateException("offload needs a device that has offloads");
            }
            for (List<FrameDevice> queues : networkDevices) {
                for (FrameDevice d : queues == null ? List.<FrameDevice>of() : queues) {
                    if (offload && !d.offloads()) {
                        throw new IllegalStateException("offload needs a device that has offloads (" + d.name()
                                + " was opened without)");
                    }
                }
            }
            InetSocketAddress localAddress = transports != null ? transports.get(0).localAddress() : local;
            boolean v4 = localAddress.getAddress() instanceof Inet4Address;
            for (InetSocketAddress p : peers) {
                if ((p.getAddress() instanceof Inet4Address) != v4) {
                    throw new IllegalStateException("peer " + p + " and local address " + localAddress
                            + " are not of one IP version");
                }
            }
            DatagramTransport[] t = transports != null ? transports.toArray(DatagramTransport[]::new)
                    : new DatagramTransport[] {ChannelTransport.open(local, socketBuffer)};
            GeneveEndpoint endpoint;
            try {
                endpoint = new GeneveEndpoint(this, t);
                if (endpoint.innerMtu() < 68) {
                    throw new IllegalStateException("MTU " + mtu + " leaves " + endpoint.innerMtu()
                            + " bytes for inner packets (expected: at least 68)");
                }
            } catch (RuntimeException e) {
                if (transports == null) {
                    t[0].close();
                }
                throw e;
            }
            if (kernelFilter && !acceptAnySource) {
                List<java.net.InetAddress> sources = peers.stream().map(InetSocketAddress::getAddress).distinct().toList();
                if (sources.isEmpty() || !endpoint.restrictSources(sources)) {
                    endpoint.warn("the transport cannot drop non-peers in the kernel; the endpoint drops them");
                }
            }
            endpoint.startWorkers();
            return endpoint;
        }
    }
}
