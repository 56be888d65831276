package io.github.geneve4j.endpoint;

import io.github.geneve4j.codec.Geneve;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.endpoint.bfd.BfdTimers;
import io.github.geneve4j.endpoint.spi.ChannelTransport;
import io.github.geneve4j.endpoint.spi.DatagramTransport;
import io.github.geneve4j.endpoint.spi.FrameDevice;
import io.github.geneve4j.options.OptionRegistry;
import io.github.geneve4j.options.ReceivePolicy;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;

/**
 * A Geneve tunnel endpoint (RFC 8926): Ethernet frames from its inner side are encapsulated and
 * sent to its peers over UDP; datagrams from its peers are checked and their frames delivered to the
 * inner side.
 *
 * <p>The inner side is a {@link FrameDevice} (a TAP from {@code geneve-linux}: the endpoint reads it
 * on a thread of its own) or a {@link FrameHandler} in your program (frames are handed to it on the
 * receive thread; it answers one with {@link ReceivedFrame#reply}, and you send with {@link #send}).
 * The outer side is a {@link DatagramTransport}: by default a JDK {@code DatagramChannel} bound to
 * {@link Builder#local}.
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
 * <p><b>Peers, learning, VNIs, BFD.</b> Any number of peers ({@link Builder#peer}, {@link #addPeer},
 * {@link #removePeer}), a MAC table per VNI served ({@link Builder#network}), split horizon, and BFD
 * per peer ({@link Builder#bfd(BfdTimers)}): see {@linkplain io.github.geneve4j.endpoint the package}.
 *
 * <p><b>Lifecycle.</b> {@link Builder#start()} opens what it must and starts the endpoint's
 * threads; {@link #close()} stops them and closes the transport and the device (the endpoint owns
 * both). If a worker fails (a handler throws, a device or socket goes away), the endpoint closes
 * itself; the failure is in {@link #failure()}, reaches {@link Builder#onFailure}, and is thrown by
 * {@link #close()} as an {@link EndpointFailedException}: never a silent stall.
 *
 * <p>Thread-safe: {@link #send}, {@link #stats()}, {@link #addPeer}, {@link #removePeer}, the MAC methods and
 * {@link #close()} may be called from any thread.
 */
public final class GeneveEndpoint implements AutoCloseable {

    /** The largest frame a device takes or gives with GSO: an IP length field's 65535 plus Ethernet and a VLAN tag. */
    public static final int MAX_GSO_FRAME = 65_535 + 18;

    private final EndpointConfig config;
    private final DatagramTransport[] transports;
    private final Network[] networks;
    private final Forwarder forwarder;
    private final Workers workers;
    /** Null when BFD is off. */
    private final BfdWorker bfd;
    /** Null with devices. */
    private final HandlerPath handlerPath;
    private final Membership membership;
    private boolean closed;

    private GeneveEndpoint(EndpointConfig config, DatagramTransport[] transports) {
        this.config = config;
        this.transports = transports;
        this.networks = new Network[config.vnis().size()];
        for (int i = 0; i < networks.length; i++) {
            int vni = config.vnis().get(i);
            networks[i] = new Network(vni, config.devices().get(i).toArray(FrameDevice[]::new), config.geneveHeader(vni),
                    new MacTable(config.macMax(), config.macMaxPerPeer(), config.macAge(), config.clock()));
        }
        this.forwarder = new Forwarder(transports, networks, config.observer(), config.onWarning(),
                config.bfd().classifier());
        this.workers = new Workers(forwarder, config.onFailure());
        Arrays.stream(transports).forEach(workers::closeOnStop);
        Arrays.stream(networks).flatMap(n -> Arrays.stream(n.queues)).forEach(workers::closeOnStop);
        SecureRandom random = new SecureRandom();
        this.bfd = config.bfd().on() ? new BfdWorker(config.bfd().withSourceMacChosen(random), networks[0].vni,
                forwarder, config.clock(), workers::closing, random) : null;
        if (bfd != null) {
            workers.wakeOnStop(bfd::wake);
        }
        this.handlerPath = config.handler() != null ? new HandlerPath(forwarder, workers::closing, config.replyPort()) : null;
        this.membership = new Membership(forwarder, transports, config.kernelFilter(), workers::closing, bfd);
        membership.addAll(config.peers());
    }

    /** Opens the default transport if none was given, makes the endpoint and starts its threads. */
    private static GeneveEndpoint start(EndpointConfig config) throws IOException {
        boolean given = !config.transports().isEmpty();
        DatagramTransport[] transports = given ? config.transports().toArray(DatagramTransport[]::new)
                : new DatagramTransport[] {ChannelTransport.open(config.local(), config.socketBuffer())};
        GeneveEndpoint endpoint;
        try {
            endpoint = new GeneveEndpoint(config, transports);
        } catch (RuntimeException e) {
            if (!given) {
                transports[0].close();
            }
            throw e;
        }
        endpoint.membership.filter();
        endpoint.startWorkers();
        return endpoint;
    }

    private void startWorkers() {
        // worker pair w: its transport's receive thread, and a send thread per VNI for its device queue;
        // one pair: geneve-receive-PORT, geneve-send-DEVICE; several: geneve-rxW-PORT, geneve-txW-DEVICE
        // (the pair first: Linux shows a thread's first 15 characters)
        boolean one = transports.length == 1;
        int port = localAddress().getPort();
        for (int w = 0; w < transports.length; w++) {
            Receiver receiver = new Receiver(config, forwarder, workers, bfd, handlerPath, w);
            workers.add((one ? "geneve-receive-" : "geneve-rx" + w + "-") + port,
                    () -> workers.loop(receiver, DropReason.RECEIVE_ERROR));
            for (Network n : networks) {
                if (n.device != null) {
                    Sender sender = new Sender(config, forwarder, n, w);
                    workers.add((one ? "geneve-send-" : "geneve-tx" + w + "-") + n.device.name(),
                            () -> workers.loop(sender, DropReason.DEVICE_READ_ERROR));
                }
            }
        }
        if (bfd != null) {
            bfd.thread(workers.add("geneve-bfd-" + port, bfd::run));
        }
        workers.start();
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
        return EndpointConfig.defaultPolicy(sent);
    }

    /** The local address of the transport. */
    public InetSocketAddress localAddress() {
        return transports[0].localAddress();
    }

    /** The peers now, in the order they were added. */
    public List<InetSocketAddress> peers() {
        return membership.addresses();
    }

    /**
     * Adds a peer while the endpoint runs: floods and frames to MACs learned behind it go to it from
     * now on, and its datagrams are accepted (with BFD on, it gets a session of its own). The packet
     * paths see the new peer set at their next packet; they allocate nothing for it.
     *
     * @return false if it is a peer already
     * @throws IllegalArgumentException if the address is unresolved, has port 0, is not of the local
     *     address's IP version, or is a peer's address with another port (datagrams are matched to
     *     peers by source address alone)
     */
    public boolean addPeer(InetSocketAddress peer) throws IOException {
        return membership.add(peer, localAddress());
    }

    /**
     * Removes a peer while the endpoint runs: nothing more is sent to it, its datagrams are dropped as
     * {@link DropReason#NOT_A_PEER}, the MACs learned behind it are forgotten (frames to them are
     * flooded until they are learned again), and its BFD session ends.
     *
     * @return false if it was not a peer
     */
    public boolean removePeer(InetSocketAddress peer) throws IOException {
        return membership.remove(peer);
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
        return membership.addStaticMac(network(vni), mac, peer);
    }

    /** Removes a MAC entry (static or learned) from a VNI's table; whether there was one. */
    public boolean removeMac(int vni, long mac) {
        return network(vni).macs.remove(mac);
    }

    /** The peer a MAC is known behind in a VNI's table (learned or static, not aged), if any. */
    public Optional<InetSocketAddress> macPeer(int vni, long mac) {
        // by the tables' time, which the receive thread advances at least twice a second
        Peer p = forwarder.peers().byId(network(vni).macs.lookup(mac));
        return p == null ? Optional.empty() : Optional.of(p.address);
    }

    private Network network(int vni) {
        Network n = forwarder.network(vni);
        if (n == null) {
            throw new IllegalArgumentException("VNI " + vni + " is not served (expected one of " + vnis() + ")");
        }
        return n;
    }

    /** The (first) VNI this endpoint serves. */
    public int vni() {
        return networks[0].vni;
    }

    /** Every VNI this endpoint serves, in the order given. */
    public List<Integer> vnis() {
        return config.vnis();
    }

    /** The Geneve header it sends (VNI, protocol type Ethernet, options). */
    public GeneveHeader header() {
        return GeneveHeader.decode(networks[0].geneve);
    }

    /**
     * The inner MTU: the largest inner IP packet that fits the outer {@link Builder#mtu MTU} after
     * outer IP, UDP, Geneve (with options) and the inner Ethernet header.
     */
    public int innerMtu() {
        return config.mtu() - overhead();
    }

    /** Bytes the tunnel adds to an inner IP packet: inner Ethernet, Geneve with options, UDP and outer IP. */
    public int overhead() {
        return EndpointConfig.overhead(localAddress(), networks[0].geneve.length);
    }

    /** Whether the endpoint is running: started, not closed, not failed. */
    public boolean isRunning() {
        return !workers.closing();
    }

    /** Why the endpoint stopped by itself, if it did. */
    public Optional<Throwable> failure() {
        return workers.failure();
    }

    /**
     * Waits until the endpoint stops (it fails, or another thread closes it).
     *
     * @return true if it stopped within {@code timeout}
     */
    public boolean awaitStop(Duration timeout) throws InterruptedException {
        return workers.awaitStop(timeout);
    }

    /** A snapshot of the counters. */
    public EndpointStats stats() {
        return forwarder.counters.snapshot(forwarder.peers(), networks, handlerPath != null);
    }

    /**
     * Encapsulates an Ethernet frame and sends it to the peer its destination MAC is known behind, or
     * to every peer (a copy into the endpoint's send buffer; nothing allocated). For an endpoint with a
     * {@link FrameHandler}.
     *
     * @return whether it was sent to every peer it was meant for (false: a full socket buffer or a
     *     send error, or a peer whose BFD session is down, counted in the stats; or the endpoint is stopped)
     * @throws IllegalArgumentException if the frame is shorter than an Ethernet header or longer than
     *     a datagram can carry
     * @throws IllegalStateException if the endpoint reads a frame device (its frames come from there)
     */
    public boolean send(MemorySegment frame, long offset, long length) {
        return handlerPath().send(frame, offset, length, null);
    }

    /** As {@link #send(MemorySegment, long, long)}, for the frame between {@code frame}'s position and limit (left as they are). */
    public boolean send(ByteBuffer frame) {
        return handlerPath().send(frame, null);
    }

    /** The same as {@code to.}{@link ReceivedFrame#reply(MemorySegment, long, long) reply(frame, offset, length)}. */
    public boolean reply(ReceivedFrame to, MemorySegment frame, long offset, long length) {
        return handlerPath().send(frame, offset, length, Objects.requireNonNull(to, "to"));
    }

    /** The same as {@code to.}{@link ReceivedFrame#reply(ByteBuffer) reply(frame)}. */
    public boolean reply(ReceivedFrame to, ByteBuffer frame) {
        return handlerPath().send(frame, Objects.requireNonNull(to, "to"));
    }

    private HandlerPath handlerPath() {
        if (handlerPath == null) {
            throw new IllegalStateException("this endpoint sends the frames of device " + networks[0].device.name());
        }
        return handlerPath;
    }

    /**
     * Stops the endpoint: its threads end, the transport and the device are closed. Idempotent.
     *
     * @throws EndpointFailedException if the endpoint had stopped by itself because of a failure
     */
    @Override
    public void close() throws EndpointFailedException {
        boolean ended = workers.close();
        synchronized (this) {
            if (!closed && ended) {
                closed = true;
                if (handlerPath != null) {
                    handlerPath.close();
                }
            }
        }
        Optional<Throwable> t = workers.failure();
        if (t.isPresent()) {
            throw new EndpointFailedException(t.get());
        }
    }

    @Override
    public String toString() {
        return "GeneveEndpoint[" + localAddress() + " VNI " + vnis() + ", peers " + peers()
                + Arrays.stream(networks).filter(n -> n.device != null).map(n -> ", device " + n.device.name())
                        .collect(Collectors.joining()) + (workers.closing() ? ", stopped" : "") + "]";
    }

    /** Sees every datagram an endpoint sends, before it is sent (e.g. to record a capture). */
    @FunctionalInterface
    public interface SendObserver {
        /**
         * Called with each datagram before it is sent, on the sending thread.
         *
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
        private List<DatagramTransport> transports = List.of();
        private final List<InetSocketAddress> peers = new ArrayList<>();
        private int vni;
        private List<GeneveOption> options = List.of();
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
        private BfdConfig bfd = BfdConfig.OFF;
        private final List<Integer> networkVnis = new ArrayList<>();
        private final List<List<FrameDevice>> networkDevices = new ArrayList<>();
        private int macMax = MacTable.DEFAULT_MAX_ENTRIES;
        /** 0: half of {@link #macMax}, settled by {@link EndpointConfig}. */
        private int macMaxPerPeer;
        private Duration macAge = MacTable.DEFAULT_AGE;
        private LongSupplier clock = System::nanoTime;

        private Builder() {
        }

        /** The local UDP address for the default transport (a JDK {@code DatagramChannel}); port 0 for any. */
        public Builder local(InetSocketAddress local) {
            this.local = EndpointConfig.resolved(local, "local address");
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
            this.transports = EndpointConfig.onceEach(transports, "transports");
            return this;
        }

        /** Socket buffer bytes each way for the default transport (default 4 MiB; the kernel caps it). */
        public Builder socketBuffer(int bytes) {
            this.socketBuffer = EndpointConfig.inRange(bytes, 0, Integer.MAX_VALUE, "socket buffer");
            return this;
        }

        /**
         * Adds a peer: frames go to it, datagrams from its IP address (any source port) are accepted.
         *
         * @throws IllegalArgumentException if it is unresolved, has port 0, was given already, or has
         *     the IP address of a peer given before (datagrams are matched to peers by address alone)
         */
        public Builder peer(InetSocketAddress peer) {
            EndpointConfig.checkPeer(peer);
            if (peers.contains(peer)) {
                throw new IllegalArgumentException("peer " + peer + " given twice");
            }
            EndpointConfig.checkNewAddress(peer, peers);
            peers.add(peer);
            return this;
        }

        /** The VNI to send and accept (0..16777215; default 0), for the one {@link #device} or the handler. */
        public Builder vni(int vni) {
            this.vni = EndpointConfig.checkVni(vni);
            return this;
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
            EndpointConfig.checkVni(vni);
            List<FrameDevice> copy = EndpointConfig.onceEach(queues, "device queues");
            if (networkVnis.contains(vni)) {
                throw new IllegalArgumentException("VNI " + vni + " given twice");
            }
            networkVnis.add(vni);
            networkDevices.add(copy);
            return this;
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

        /**
         * The most entries one peer may hold in each VNI's MAC table (default: half of the table's
         * bound, at least 1; at most the bound). Past its share, a peer's new MACs replace its own
         * entries or are refused (counted in {@link MacTableStats#shareRefusals()}), and a peer never
         * evicts the entries of a peer that holds fewer: one peer that sends random source MACs cannot
         * push the others' hosts out of the table (their unicast would then be flooded to every peer,
         * that one included). See {@link MacTable}.
         *
         * @throws IllegalArgumentException if {@code maxEntries} is less than 1 (a share above the
         *     table's bound is refused by {@link #start()})
         */
        public Builder macMaxPerPeer(int maxEntries) {
            this.macMaxPerPeer = EndpointConfig.inRange(maxEntries, 1, Integer.MAX_VALUE, "MAC share per peer");
            return this;
        }

        /**
         * The endpoint's monotonic clock in nanoseconds (default {@link System#nanoTime}): MAC tables
         * age by it and BFD sessions time by it. For tests and simulations that move time themselves.
         */
        public Builder clock(LongSupplier nanos) {
            this.clock = Objects.requireNonNull(nanos, "nanos");
            return this;
        }

        /**
         * The clock MAC tables age by.
         *
         * @deprecated the endpoint has one clock, which BFD follows too: use {@link #clock}
         */
        @Deprecated
        public Builder macClock(LongSupplier nanos) {
            return clock(nanos);
        }

        /** Options to put in every Geneve header sent (in order; the C bit follows their critical bits). */
        public Builder options(List<GeneveOption> options) {
            List<GeneveOption> copy = List.copyOf(options);
            GeneveHeader.of(ProtocolType.ETHERNET, 0, copy); // validates their total length now
            this.options = copy;
            return this;
        }

        /** The receive policy (default: {@link GeneveEndpoint#defaultPolicy}). */
        public Builder receivePolicy(ReceivePolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** The outer (underlay) MTU (default 1500): super-frames are cut so each datagram's IP packet fits. */
        public Builder mtu(int mtu) {
            this.mtu = EndpointConfig.inRange(mtu, 576, 65_535, "MTU");
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
            this.device = EndpointConfig.onceEach(queues, "device queues");
            return this;
        }

        /**
         * The inner side: a handler that gets every decapsulated frame; it answers one with
         * {@link ReceivedFrame#reply}, and the program sends with {@link GeneveEndpoint#send}.
         */
        public Builder handler(FrameHandler handler) {
            this.handler = Objects.requireNonNull(handler, "handler");
            return this;
        }

        /**
         * Accept datagrams from any source address, not only the peers' (default off). For test
         * tools that answer whoever asks (see {@link ReceivedFrame#reply}); never for a tunnel that
         * carries real traffic.
         */
        public Builder acceptAnySource(boolean any) {
            this.acceptAnySource = any;
            return this;
        }

        /** The Geneve port replies go to for a source that is not a configured peer (default 6081). */
        public Builder replyPort(int port) {
            this.replyPort = EndpointConfig.inRange(port, 1, 65_535, "reply port");
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
            bfd = bfd.withTimers(Objects.requireNonNull(timers, "timers"));
            return this;
        }

        /**
         * The Geneve O bit of BFD packets sent (default {@code true}, as RFC 9521 §4 requires; {@code false}
         * sends what Open vSwitch sends unless {@code bfd:oam=true}). Either is accepted on receipt
         * unless {@link #bfdRequireOam}.
         */
        public Builder bfdOam(boolean oam) {
            bfd = bfd.withOam(oam);
            return this;
        }

        /**
         * The inner IPv4 addresses of BFD packets (default OVS's: 169.254.1.1 → 169.254.1.0, its
         * {@code bfd_src_ip} and {@code bfd_dst_ip}); the two sides of a tunnel agree on them. A
         * received control packet is taken only when addressed to {@code destination} (and to the
         * destination MAC of {@link #bfdInnerMacs}) and, the source being given here explicitly, only
         * from {@code source} (else counted as {@link DropReason#BFD_WRONG_SOURCE}). Frames to other
         * addresses are data (a tenant's own BFD).
         */
        public Builder bfdInnerAddresses(Inet4Address source, Inet4Address destination) {
            bfd = bfd.withAddresses(source, destination);
            return this;
        }

        /**
         * The inner IPv4 destination of BFD packets (default OVS's 169.254.1.0, {@code bfd_dst_ip}),
         * the source staying 169.254.1.1 and unchecked on receipt (as OVS without {@code bfd_src_ip}):
         * a received control packet is taken only when addressed to {@code destination}.
         */
        public Builder bfdInnerDestination(Inet4Address destination) {
            bfd = bfd.withDestination(destination);
            return this;
        }

        /**
         * Whether a received BFD control packet must have the Geneve O bit set (default {@code false},
         * since Open vSwitch clears it unless {@code bfd:oam=true}); without it, it is dropped and
         * counted as {@link DropReason#BFD_NOT_OAM}. Apart from {@link #bfdOam}, which is what this
         * endpoint sends. A peer that does not filter its tenants' frames (Open vSwitch) forwards a
         * tenant's BFD-looking frame without the O bit: with this on (and {@code bfd:oam=true} on the
         * peer), such frames cannot move a session.
         */
        public Builder bfdRequireOam(boolean require) {
            bfd = bfd.withRequireOam(require);
            return this;
        }

        /**
         * The inner MAC addresses of BFD packets sent, as 48-bit values: destination (default OVS's
         * 00:23:20:00:00:01) and source (default: a random locally administered address, -1). A
         * received control packet is taken only when addressed to {@code destination}; frames from
         * the inner side addressed to it (and to the BFD IPv4 address, UDP port 3784) never reach a
         * peer ({@link DropReason#BFD_FROM_INNER_SIDE}).
         *
         * @throws IllegalArgumentException if a value is not 48 bits (or -1 for the source)
         */
        public Builder bfdInnerMacs(long destination, long source) {
            bfd = bfd.withMacs(destination, source);
            return this;
        }

        /** Whether BFD packets carry an inner UDP checksum (default) or 0, as OVS sends. */
        public Builder bfdUdpChecksum(boolean compute) {
            bfd = bfd.withUdpChecksum(compute);
            return this;
        }

        /** Told of every state change of every peer's BFD session, on the endpoint's BFD thread. */
        public Builder bfdListener(BfdPeerListener listener) {
            bfd = bfd.withListener(Objects.requireNonNull(listener, "listener"));
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
            boolean byVni = !networkVnis.isEmpty();
            if ((device == null && !byVni) == (handler == null) || (byVni && device != null)) {
                throw new IllegalStateException("an endpoint needs one inner side: a device, devices by VNI, or a handler");
            }
            if (byVni && handler != null) {
                throw new IllegalStateException("devices by VNI and a handler: an endpoint has one kind of inner side");
            }
            return GeneveEndpoint.start(new EndpointConfig(local, transports, socketBuffer,
                    byVni ? networkVnis : List.of(vni), byVni ? networkDevices : List.of(device != null ? device : List.of()),
                    options, policy, mtu, offload, handler, acceptAnySource, replyPort, kernelFilter, peers, observer,
                    onFailure, onWarning, macMax, macMaxPerPeer, macAge, clock, bfd));
        }
    }
}
