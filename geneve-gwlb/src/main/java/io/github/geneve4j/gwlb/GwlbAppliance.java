package io.github.geneve4j.gwlb;

import io.github.geneve4j.endpoint.spi.RawIpv4Sender;
import io.github.geneve4j.codec.GeneveOptionCursor;
import io.github.geneve4j.codec.GeneveView;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.codec.net.InternetChecksum;
import io.github.geneve4j.codec.net.Ipv4View;
import io.github.geneve4j.codec.net.UdpView;
import io.github.geneve4j.endpoint.spi.DatagramSource;
import io.github.geneve4j.endpoint.spi.DatagramTransport;
import io.github.geneve4j.options.OptionClass;
import io.github.geneve4j.options.aws.GwlbOptions;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * An appliance behind an AWS Gateway Load Balancer: it receives each flow's packets as GWLB sends
 * them (Geneve over outer IPv4 to UDP 6081, with the endpoint ID, attachment ID and flow cookie
 * options of class 0x0108), hands each inner IPv4 or IPv6 packet to a {@link GwlbInspector}, and
 * sends back every packet the inspector lets through, as GWLB expects it: outer IPv4 source and
 * destination swapped, the UDP ports as received (GWLB's source port kept, destination 6081), the
 * Geneve header byte for byte (every option of every class, reserved bits included) and the inner
 * packet as the inspector left it.
 *
 * <pre>{@code
 * try (GwlbAppliance appliance = GwlbAppliance.builder()
 *         .transport(ChannelTransport.open(new InetSocketAddress("10.0.1.5", 6081)))
 *         .inspector(packet -> packet.destinationPort() == 23 ? GwlbVerdict.DROP : GwlbVerdict.FORWARD)
 *         .build()) {
 *     appliance.start();
 *     ...
 *     System.out.println(appliance.stats());
 * }
 * }</pre>
 *
 * <p>Which datagrams it answers: outer IPv4 only, a valid version-0 Geneve header without the O bit,
 * all three GWLB options well formed, protocol type IPv4 (0x0800) or IPv6 (0x86DD) with a valid inner
 * packet of that version. Everything else is dropped unanswered and counted by a
 * {@link GwlbDropReason} — without an exception, a string or an allocation.
 *
 * <p>Threads: one receive thread per transport ({@code gwlb-rx-N}); with several {@code SO_REUSEPORT}
 * sockets on one port the kernel spreads GWLB's flows over them by their outer addresses and ports.
 * A receive that returns several datagrams at once (UDP GRO) is taken apart in place. Each packet is
 * answered from the receive buffer itself: for a {@link RawIpv4Sender} the outer IPv4 and UDP headers
 * are written into the 28 bytes in front of the Geneve header, so nothing is copied or allocated per
 * packet. Without a return path, the reply goes out through the receiving transport, to GWLB's address
 * and source port, from the transport's own port: enough for tests and for peers that do not check
 * ports, not what GWLB documents. A thread {@code gwlb-flows} expires idle flows once a second.
 *
 * <p>Flows: each inner 5-tuple of each endpoint ID, both directions as one, is tracked in a table of
 * fixed capacity with GWLB's idle timeouts (350 s for TCP, 120 s for other protocols, as AWS
 * documents; both configurable), shown in {@link #stats()} and to the inspector as
 * {@link GwlbPacket#flow()}.
 */
public final class GwlbAppliance implements AutoCloseable {

    /** Bytes in front of the Geneve header kept free for the reply's outer IPv4 and UDP headers. */
    static final int HEADROOM = Ipv4View.MIN_HEADER_LENGTH + UdpView.HEADER_LENGTH;
    /** The largest UDP payload. */
    static final int MAX_DATAGRAM = 65_535;
    private static final int UDP = 17;
    private static final int REPLY_TTL = 64;
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final List<Worker> workers = new ArrayList<>();
    private final GwlbInspector inspector;
    private final FlowTable flows;
    private final KernelPath kernel;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final LongAdder received = new LongAdder();
    private final LongAdder receivedBytes = new LongAdder();
    private final LongAdder forwarded = new LongAdder();
    private final LongAdder forwardedBytes = new LongAdder();
    private final LongAdder receiveCalls = new LongAdder();
    private final LongAdder[] drops = new LongAdder[GwlbDropReason.values().length];
    private volatile boolean started;
    private volatile boolean closed;
    private Thread sweeper;

    private GwlbAppliance(Builder b) {
        this.inspector = b.inspector;
        this.flows = new FlowTable(b.flowCapacity, b.tcpIdle.toNanos(), b.otherIdle.toNanos());
        this.kernel = b.kernel == null ? null : new KernelPath(b.kernel, flows, t -> failure.compareAndSet(null, t));
        for (int i = 0; i < drops.length; i++) {
            drops[i] = new LongAdder();
        }
        for (int i = 0; i < b.transports.size(); i++) {
            workers.add(new Worker(i, b.transports.get(i), b.returnPaths.get(i)));
        }
    }

    /** A builder: at least one transport. */
    public static Builder builder() {
        return new Builder();
    }

    /** Starts the receive threads and the flow sweeper. */
    public synchronized void start() {
        if (started) {
            throw new IllegalStateException("appliance already started");
        }
        if (closed) {
            throw new IllegalStateException("appliance closed");
        }
        started = true;
        for (Worker w : workers) {
            w.thread = Thread.ofPlatform().name("gwlb-rx-" + w.index).daemon(true).start(w);
        }
        sweeper = Thread.ofPlatform().name("gwlb-flows").daemon(true).start(this::sweep);
    }

    private void sweep() {
        while (!closed) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
            flows.sweep(System.nanoTime());
        }
    }

    /**
     * Whether the appliance is serving: started, not closed, and every receive thread alive. What the
     * health port reports (200 or 503).
     */
    public boolean healthy() {
        if (!started || closed || failure.get() != null) {
            return false;
        }
        for (Worker w : workers) {
            if (!w.thread.isAlive()) {
                return false;
            }
        }
        return true;
    }

    /** The failure that ended a receive thread (an inspector's exception, a transport's error), or null. */
    public Throwable failure() {
        return failure.get();
    }

    /** The local addresses of the transports, in order. */
    public List<InetSocketAddress> localAddresses() {
        List<InetSocketAddress> list = new ArrayList<>();
        for (Worker w : workers) {
            list.add(w.transport.localAddress());
        }
        return list;
    }

    /** A snapshot of the counters (allocates; scans the flow table for the per-endpoint counts). */
    public GwlbStats stats() {
        Map<GwlbDropReason, Long> byReason = new EnumMap<>(GwlbDropReason.class);
        for (GwlbDropReason r : GwlbDropReason.values()) {
            byReason.put(r, drops[r.ordinal()].sum());
        }
        if (kernel != null) {
            byReason.merge(GwlbDropReason.KERNEL_UNKNOWN_FLOW, kernel.unknownFlow.sum(), Long::sum);
            byReason.merge(GwlbDropReason.KERNEL_WRITE_FAILED, kernel.writeFailed.sum(), Long::sum);
            byReason.merge(GwlbDropReason.SEND_FAILED, kernel.sendFailed.sum(), Long::sum);
        }
        List<GwlbStats.EndpointFlows> endpoints = new ArrayList<>();
        flows.flowsPerEndpoint(System.nanoTime()).forEach((id, n) -> endpoints.add(new GwlbStats.EndpointFlows(id, n)));
        int live = 0;
        for (Worker w : workers) {
            live += w.thread != null && w.thread.isAlive() ? 1 : 0;
        }
        return new GwlbStats(received.sum(), receivedBytes.sum(), forwarded.sum(), forwardedBytes.sum(),
                receiveCalls.sum(), byReason, flows.activeTcp.sum(), flows.activeOther.sum(), flows.created.sum(),
                flows.expired.sum(), flows.full.sum(), flows.capacity(), endpoints,
                kernel == null ? 0 : kernel.toKernel.sum(), kernel == null ? 0 : kernel.fromKernel.sum(),
                kernel == null ? 0 : kernel.endpoints(), workers.size(), live, healthy());
    }

    /** Datagrams received so far (cheap, for tests that wait). */
    long receivedSoFar() {
        return received.sum();
    }

    /** Stops the threads and closes the transports and return paths it was given. */
    @Override
    public void close() throws IOException {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        IOException first = null;
        for (Worker w : workers) {
            try {
                w.transport.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        if (sweeper != null) {
            sweeper.interrupt();
        }
        if (kernel != null) {
            kernel.close();
        }
        for (Worker w : workers) {
            if (w.thread != null) {
                try {
                    w.thread.join(5000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (w.returnPath != null) {
                try {
                    w.returnPath.close();
                } catch (IOException e) {
                    first = first == null ? e : first;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private void drop(GwlbDropReason reason) {
        drops[reason.ordinal()].increment();
    }

    /** One receive thread: its transport, buffer, views and packet. */
    private final class Worker implements Runnable {
        final int index;
        final DatagramTransport transport;
        final RawIpv4Sender returnPath;
        final MemorySegment buffer = Arena.ofAuto().allocate(HEADROOM + MAX_DATAGRAM + 1, 8);
        final DatagramSource source = new DatagramSource();
        final GeneveView view = new GeneveView();
        final GwlbPacket packet = new GwlbPacket();
        final long localIpv4;
        final int localPort;
        Thread thread;
        // the reply address for the transport path, kept while the sender stays the same
        InetSocketAddress replyTo;
        long replyLow = -1;
        int replyPort = -1;

        Worker(int index, DatagramTransport transport, RawIpv4Sender returnPath) {
            this.index = index;
            this.transport = transport;
            this.returnPath = returnPath;
            InetSocketAddress local = transport.localAddress();
            this.localIpv4 = local.getAddress() instanceof Inet4Address a ? a.hashCode() & 0xFFFF_FFFFL : 0;
            this.localPort = local.getPort();
        }

        @Override
        public void run() {
            try {
                while (!closed) {
                    int n = transport.receive(buffer, HEADROOM, MAX_DATAGRAM, true, source);
                    if (n < 0) {
                        continue;
                    }
                    receiveCalls.increment();
                    long now = System.nanoTime();
                    int size = source.segmentSize();
                    if (size <= 0 || size > n) {
                        size = n;
                    }
                    for (int at = HEADROOM, end = HEADROOM + n; at < end; at += size) {
                        handle(at, Math.min(size, end - at), now);
                    }
                }
            } catch (ClosedChannelException e) {
                if (!closed) {
                    failure.compareAndSet(null, e);
                }
            } catch (Throwable t) {
                if (!closed) {
                    failure.compareAndSet(null, t);
                }
            }
        }

        private void handle(int at, int length, long now) throws IOException {
            received.increment();
            receivedBytes.add(length);
            if (source.isIpv6()) {
                drop(GwlbDropReason.NOT_IPV4);
                return;
            }
            if (!view.tryWrap(buffer, at) || view.headerLength() > length) {
                drop(GwlbDropReason.BAD_GENEVE);
                return;
            }
            if (view.oam()) {
                drop(GwlbDropReason.CONTROL);
                return;
            }
            GwlbPacket p = packet;
            int seen = 0;
            for (GeneveOptionCursor o = view.options(); o.next(); ) {
                if (o.optionClass() != OptionClass.AWS_GWLB) {
                    continue;
                }
                int type = o.type();
                if (type == GwlbOptions.ENDPOINT_ID_TYPE && GwlbOptions.is(o, type)) {
                    p.endpointId = GwlbOptions.EndpointId.read(o);
                    seen |= 1;
                } else if (type == GwlbOptions.ATTACHMENT_ID_TYPE && GwlbOptions.is(o, type)) {
                    p.attachmentId = GwlbOptions.AttachmentId.read(o);
                    seen |= 2;
                } else if (type == GwlbOptions.FLOW_COOKIE_TYPE && GwlbOptions.is(o, type)) {
                    p.flowCookie = GwlbOptions.FlowCookie.read(o);
                    seen |= 4;
                }
            }
            if (seen != 7) {
                drop(GwlbDropReason.MISSING_GWLB_OPTIONS);
                return;
            }
            int inner = at + view.headerLength();
            int innerLength = length - view.headerLength();
            p.segment = buffer;
            p.offset = inner;
            p.length = innerLength;
            p.vni = view.vni();
            p.sourcePort = 0;
            p.destinationPort = 0;
            long sourceHigh;
            long sourceLow;
            long destinationHigh;
            long destinationLow;
            int protocolType = view.protocolType();
            if (protocolType == ProtocolType.IPV4) {
                if (!p.ipv4.tryWrap(buffer, inner, innerLength)) {
                    drop(GwlbDropReason.BAD_INNER_PACKET);
                    return;
                }
                p.ipVersion = 4;
                p.protocol = p.ipv4.protocol();
                p.transportOffset = inner + p.ipv4.headerLength();
                p.transportLength = p.ipv4.payloadLength();
                p.fragment = p.ipv4.moreFragments() || p.ipv4.fragmentOffset() != 0;
                if (p.ipv4.fragmentOffset() == 0) {
                    ports(p);
                }
                sourceHigh = 0;
                sourceLow = p.ipv4.source();
                destinationHigh = 0;
                destinationLow = p.ipv4.destination();
            } else if (protocolType == ProtocolType.IPV6) {
                if (!p.ipv6.tryWrap(buffer, inner, innerLength)) {
                    drop(GwlbDropReason.BAD_INNER_PACKET);
                    return;
                }
                p.ipVersion = 6;
                p.protocol = p.ipv6.upperLayerProtocol();
                p.transportOffset = p.ipv6.upperLayerOffset();
                p.transportLength = p.ipv6.upperLayerLength();
                p.fragment = p.ipv6.fragmented();
                if (!p.fragment) {
                    ports(p);
                }
                long s = p.ipv6.sourceOffset();
                long d = p.ipv6.destinationOffset();
                sourceHigh = buffer.get(U64, s);
                sourceLow = buffer.get(U64, s + 8);
                destinationHigh = buffer.get(U64, d);
                destinationLow = buffer.get(U64, d + 8);
            } else {
                drop(GwlbDropReason.UNSUPPORTED_PROTOCOL);
                return;
            }
            flows.track(p, sourceHigh, sourceLow, destinationHigh, destinationLow, now);
            p.rewritten = false;
            if (inspector.inspect(p) != GwlbVerdict.FORWARD) {
                drop(GwlbDropReason.INSPECTOR);
                return;
            }
            if (p.rewritten) {
                p.fixChecksums();
            }
            if (kernel != null) {
                kernel.ingress(p, buffer, at, view.headerLength(), source.low(), source.port(), localIpv4, localPort);
                return;
            }
            // counted before the send, so that whoever receives the reply finds it counted
            forwarded.increment();
            forwardedBytes.add(length);
            boolean sent = false;
            try {
                sent = reply(at, length);
            } finally {
                if (!sent) {
                    forwarded.decrement();
                    forwardedBytes.add(-length);
                }
            }
            if (!sent) {
                drop(GwlbDropReason.SEND_FAILED);
            }
        }

        private void ports(GwlbPacket p) {
            int protocol = p.protocol;
            if ((protocol == GwlbPacket.TCP || protocol == GwlbPacket.UDP || protocol == GwlbPacket.SCTP)
                    && p.transportLength >= 4) {
                int ports = buffer.get(U32, p.transportOffset);
                p.sourcePort = ports >>> 16;
                p.destinationPort = ports & 0xFFFF;
            }
        }

        /** Sends the datagram at {@code at} back to where it came from. */
        private boolean reply(int at, int length) throws IOException {
            try {
                if (returnPath == null) {
                    if (source.low() != replyLow || source.port() != replyPort) {
                        replyTo = source.toSocketAddress();
                        replyLow = source.low();
                        replyPort = source.port();
                    }
                    return transport.send(buffer, at, length, replyTo);
                }
                long gwlb = source.low();
                int udpLength = UdpView.HEADER_LENGTH + length;
                long ip = at - HEADROOM;
                long udp = ip + Ipv4View.MIN_HEADER_LENGTH;
                Ipv4View.write(buffer, ip, 0, Ipv4View.MIN_HEADER_LENGTH + udpLength, 0, false, REPLY_TTL, UDP,
                        localIpv4, gwlb);
                // the ports as received: GWLB's source port stays the source, 6081 the destination
                UdpView.write(buffer, udp, source.port(), localPort, udpLength, 0);
                int checksum = InternetChecksum.finish(InternetChecksum.pseudoHeaderIpv4(localIpv4, gwlb, UDP, udpLength)
                        + InternetChecksum.sum(buffer, udp, udpLength));
                buffer.set(U16, udp + 6,
                        (short) (checksum == 0 ? 0xFFFF : checksum));
                return returnPath.sendIpv4(buffer, ip, Ipv4View.MIN_HEADER_LENGTH + udpLength);
            } catch (ClosedChannelException e) {
                throw e;
            } catch (IOException e) {
                return false;
            }
        }
    }

    /** Builds a {@link GwlbAppliance}. */
    public static final class Builder {
        private final List<DatagramTransport> transports = new ArrayList<>();
        private final List<RawIpv4Sender> returnPaths = new ArrayList<>();
        private GwlbInspector inspector = GwlbInspector.PASS;
        private Duration tcpIdle = Duration.ofSeconds(350);
        private Duration otherIdle = Duration.ofSeconds(120);
        private int flowCapacity = 1 << 16;
        private GwlbKernelInspection kernel;

        private Builder() {
        }

        /**
         * Adds a receive thread on {@code transport}, answering through it: from the transport's own
         * port to GWLB's address and source port (no privileges needed; GWLB documents replies with
         * its ports kept, which {@link #transport(DatagramTransport, RawIpv4Sender)} does).
         */
        public Builder transport(DatagramTransport transport) {
            transports.add(Objects.requireNonNull(transport, "transport"));
            returnPaths.add(null);
            return this;
        }

        /**
         * Adds a receive thread on {@code transport} (bound to one IPv4 address, normally port 6081),
         * answering through {@code returnPath} with GWLB's ports kept.
         *
         * @throws IllegalArgumentException if the transport is not bound to one IPv4 address
         */
        public Builder transport(DatagramTransport transport, RawIpv4Sender returnPath) {
            InetSocketAddress local = transport.localAddress();
            if (!(local.getAddress() instanceof Inet4Address) || local.getAddress().isAnyLocalAddress()) {
                throw new IllegalArgumentException("found a transport bound to " + local
                        + " (expected: one IPv4 address, the replies' source, when replies go through a return path)");
            }
            transports.add(transport);
            returnPaths.add(Objects.requireNonNull(returnPath, "returnPath"));
            return this;
        }

        /** The inspection hook ({@link GwlbInspector#PASS} by default). */
        public Builder inspector(GwlbInspector inspector) {
            this.inspector = Objects.requireNonNull(inspector, "inspector");
            return this;
        }

        /** How long a TCP flow lives without packets (350 s, GWLB's, by default). */
        public Builder tcpIdleTimeout(Duration timeout) {
            this.tcpIdle = positive(timeout, "TCP idle timeout");
            return this;
        }

        /** How long a flow of another protocol lives without packets (120 s, GWLB's, by default). */
        public Builder otherIdleTimeout(Duration timeout) {
            this.otherIdle = positive(timeout, "idle timeout");
            return this;
        }

        /** Flows the table holds (65,536 by default; rounded up to a power of two). */
        public Builder flowCapacity(int flows) {
            if (flows < 1 || flows > 1 << 24) {
                throw new IllegalArgumentException("found flow capacity " + flows + " (expected: 1 to 16777216)");
            }
            this.flowCapacity = flows;
            return this;
        }

        private static Duration positive(Duration d, String what) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("found " + what + " " + d + " (expected: a positive duration)");
            }
            return d;
        }

        /**
         * Hands the packets to the kernel instead of answering them at once ({@link GwlbKernelInspection});
         * the inspector, if any, still decides first. The transports must be bound to one IPv4 address.
         */
        public Builder kernelInspection(GwlbKernelInspection inspection) {
            this.kernel = Objects.requireNonNull(inspection, "inspection");
            return this;
        }

        /**
         * The appliance, not yet started.
         *
         * @throws IllegalStateException without a transport, or in kernel-inspection mode with a transport
         *     not bound to one IPv4 address
         */
        public GwlbAppliance build() {
            if (transports.isEmpty()) {
                throw new IllegalStateException("no transport (expected: at least one, one receive thread each)");
            }
            for (DatagramTransport t : transports) {
                InetSocketAddress local = t.localAddress();
                if (kernel != null && (!(local.getAddress() instanceof Inet4Address) || local.getAddress().isAnyLocalAddress())) {
                    throw new IllegalStateException("found a transport bound to " + local
                            + " (expected: one IPv4 address in kernel-inspection mode, the replies' source)");
                }
            }
            return new GwlbAppliance(this);
        }
    }
}
