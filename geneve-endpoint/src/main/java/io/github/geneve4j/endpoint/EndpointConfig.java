package io.github.geneve4j.endpoint;

import io.github.geneve4j.codec.Geneve;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.endpoint.GeneveEndpoint.SendObserver;
import io.github.geneve4j.endpoint.spi.DatagramTransport;
import io.github.geneve4j.endpoint.spi.FrameDevice;
import io.github.geneve4j.options.LengthRule;
import io.github.geneve4j.options.OptionDescriptor;
import io.github.geneve4j.options.OptionRegistry;
import io.github.geneve4j.options.ReceivePolicy;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * What an endpoint was told to be, checked whole: the builder's description, which the endpoint, its
 * workers and its forwarder read and never change (as an Aeron agent reads its context). Its
 * constructor is where every check that needs more than one setting is made.
 *
 * @param local the local address: the one given, or the transports'
 * @param transports the transports given, one per worker pair; empty: the endpoint opens a JDK one on {@code local}
 * @param socketBuffer socket buffer bytes for that default transport
 * @param vnis the VNIs served, in the order given
 * @param devices each VNI's device queues, one per worker pair; an empty list for the handler
 * @param options the options in every Geneve header sent
 * @param policy the receive policy
 * @param mtu the outer MTU
 * @param offload whether the devices' offloads are used
 * @param handler the in-process inner side; null with devices
 * @param acceptAnySource whether datagrams from any source are taken
 * @param replyPort where replies to a source that is no peer go
 * @param kernelFilter whether to ask the transports to drop non-peers in the kernel (never with acceptAnySource)
 * @param peers the peers given at build time
 * @param observer sees every datagram sent; may be null
 * @param onFailure told of the failure that stops the endpoint; may be null
 * @param onWarning told of each kind of I/O error once; may be null
 * @param macMax each VNI's MAC table's bound
 * @param macMaxPerPeer the entries one peer may hold in each table (its share); 0 for the default, half of
 *     {@code macMax} (at least 1)
 * @param macAge the MAC tables' age
 * @param clock the endpoint's monotonic clock, in nanoseconds: MAC aging and BFD timers
 * @param bfd BFD's configuration ({@link BfdConfig#on()} false when off)
 */
record EndpointConfig(InetSocketAddress local, List<DatagramTransport> transports, int socketBuffer, List<Integer> vnis,
        List<List<FrameDevice>> devices, List<GeneveOption> options, ReceivePolicy policy, int mtu, boolean offload,
        FrameHandler handler, boolean acceptAnySource, int replyPort, boolean kernelFilter, List<InetSocketAddress> peers,
        SendObserver observer, Consumer<Throwable> onFailure, Consumer<String> onWarning, int macMax, int macMaxPerPeer,
        Duration macAge, LongSupplier clock, BfdConfig bfd) {

    /** The smallest inner MTU an endpoint accepts: IPv4's minimum (RFC 791). */
    static final int MIN_INNER_MTU = 68;

    /**
     * Checks the description as a whole and settles what was left open (the local address from the
     * transports, the default policy).
     *
     * @throws IllegalStateException if it is incomplete or inconsistent
     */
    EndpointConfig {
        if ((local == null) == transports.isEmpty()) {
            throw new IllegalStateException("an endpoint needs a local address or a transport (exactly one)");
        }
        transports = List.copyOf(transports);
        devices = devices.stream().map(List::copyOf).toList();
        vnis = List.copyOf(vnis);
        options = List.copyOf(options);
        peers = List.copyOf(peers);
        policy = policy != null ? policy : defaultPolicy(options);
        kernelFilter = kernelFilter && !acceptAnySource;
        macMaxPerPeer = macMaxPerPeer == 0 ? defaultShare(macMax) : macMaxPerPeer;
        if (macMaxPerPeer < 1 || macMaxPerPeer > macMax) {
            throw new IllegalStateException("MAC share of " + macMaxPerPeer + " entries per peer for a table of "
                    + macMax + " (expected: 1.." + macMax + ")");
        }
        int pairs = Math.max(1, transports.size());
        if (handler != null && pairs > 1) {
            throw new IllegalStateException("a handler takes one transport (found " + pairs
                    + "): worker pairs need a device with a queue each");
        }
        for (int i = 0; i < devices.size(); i++) {
            if (handler == null && devices.get(i).size() != pairs) {
                throw new IllegalStateException("VNI " + vnis.get(i) + " has " + devices.get(i).size()
                        + " device queues for " + pairs + " transports (expected: one queue per transport)");
            }
        }
        for (DatagramTransport t : transports) {
            if (!t.localAddress().equals(transports.get(0).localAddress())) {
                throw new IllegalStateException("transports bound to " + transports.get(0).localAddress() + " and "
                        + t.localAddress() + " (expected: one address, as an SO_REUSEPORT group)");
            }
        }
        local = transports.isEmpty() ? local : transports.get(0).localAddress();
        if (peers.isEmpty() && !acceptAnySource) {
            throw new IllegalStateException("an endpoint needs at least one peer (or acceptAnySource for a test tool)");
        }
        if (offload && handler != null) {
            throw new IllegalStateException("offload needs a device that has offloads");
        }
        for (FrameDevice d : devices.stream().flatMap(List::stream).toList()) {
            if (offload && !d.offloads()) {
                throw new IllegalStateException("offload needs a device that has offloads (" + d.name()
                        + " was opened without)");
            }
        }
        for (InetSocketAddress p : peers) {
            checkVersion(p, local);
        }
        int inner = mtu - overhead(local, GeneveHeader.of(ProtocolType.ETHERNET, 0, options).encodedLength());
        if (inner < MIN_INNER_MTU) {
            throw new IllegalStateException("MTU " + mtu + " leaves " + inner + " bytes for inner packets (expected: at least "
                    + MIN_INNER_MTU + ")");
        }
    }

    /**
     * The share of a MAC table one peer may hold unless told: half, so that a peer flooding random
     * source MACs cannot evict the others' entries (at least 1).
     */
    static int defaultShare(int macMax) {
        return Math.max(1, macMax / 2);
    }

    /** Worker pairs: one per transport. */
    int pairs() {
        return Math.max(1, transports.size());
    }

    /** The Geneve header sent on {@code vni} (protocol type Ethernet, the options). */
    byte[] geneveHeader(int vni) {
        return GeneveHeader.of(ProtocolType.ETHERNET, vni, options).toBytes();
    }

    /** Bytes the tunnel adds to an inner IP packet: inner Ethernet, Geneve with options, UDP and outer IP. */
    static int overhead(InetSocketAddress local, int geneveLength) {
        int ip = local.getAddress() instanceof Inet4Address ? 20 : 40;
        return Network.ETHERNET_HEADER + geneveLength + 8 + ip;
    }

    /** The policy an endpoint uses unless given one: lenient, knowing the default options and those it sends. */
    static ReceivePolicy defaultPolicy(List<GeneveOption> sent) {
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

    /** A peer's address as the builder and {@code addPeer} take it. */
    static void checkPeer(InetSocketAddress peer) {
        Objects.requireNonNull(peer, "peer");
        if (peer.isUnresolved() || peer.getPort() == 0) {
            throw new IllegalArgumentException("peer " + peer + " (expected: a resolved IP address and a port)");
        }
    }

    /**
     * Refuses a second peer on an address that is a peer's already, whatever the port: receive tells
     * peers apart by source address alone (the source port is flow entropy, RFC 8926 §3.3), so the
     * second would never be heard (its datagrams, its BFD, counted as the first's).
     */
    static void checkNewAddress(InetSocketAddress peer, List<InetSocketAddress> peers) {
        for (InetSocketAddress p : peers) {
            if (p.getAddress().equals(peer.getAddress()) && !p.equals(peer)) {
                throw new IllegalArgumentException("peer " + peer + " has the address of peer " + p
                        + " (expected: one peer per IP address; datagrams are matched to peers by address alone,"
                        + " the source port being flow entropy, RFC 8926 §3.3)");
            }
        }
    }

    static void checkVersion(InetSocketAddress peer, InetSocketAddress local) {
        if ((peer.getAddress() instanceof Inet4Address) != (local.getAddress() instanceof Inet4Address)) {
            throw new IllegalStateException("peer " + peer + " and local address " + local + " are not of one IP version");
        }
    }

    static int checkVni(int vni) {
        return inRange(vni, 0, Geneve.MAX_VNI, "VNI");
    }

    /** {@code value}, checked to be in {@code min..max}. */
    static int inRange(int value, int min, int max, String what) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(what + " " + value + " is out of range (expected: " + min + ".." + max + ")");
        }
        return value;
    }

    /** {@code address}, checked to be resolved (an IP address, not a name). */
    static InetSocketAddress resolved(InetSocketAddress address, String what) {
        if (Objects.requireNonNull(address, what).isUnresolved()) {
            throw new IllegalArgumentException(what + " " + address + " is unresolved (expected: an IP address)");
        }
        return address;
    }

    /** A copy of {@code items}, checked to hold one or more, none twice. */
    static <T> List<T> onceEach(List<? extends T> items, String what) {
        List<T> copy = List.copyOf(items);
        int distinct = new HashSet<>(copy).size();
        if (copy.isEmpty() || distinct != copy.size()) {
            throw new IllegalArgumentException("found " + copy.size() + " " + what + ", " + distinct
                    + " of them distinct (expected: one or more, each once)");
        }
        return copy;
    }
}
