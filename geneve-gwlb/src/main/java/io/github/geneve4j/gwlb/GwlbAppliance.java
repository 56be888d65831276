package io.github.geneve4j.gwlb;

import io.github.geneve4j.endpoint.spi.DatagramBatch;
import io.github.geneve4j.endpoint.spi.DatagramBatchIo;
import io.github.geneve4j.endpoint.spi.DatagramSource;
import io.github.geneve4j.endpoint.spi.DatagramTransport;
import io.github.geneve4j.endpoint.spi.RawIpv4Sender;
import io.github.geneve4j.endpoint.spi.TransportBatchIo;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

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
 *         .gwlbSource(InetAddress.getByName("10.0.1.0"), 24)
 *         .inspector(packet -> packet.destinationPort() == 23 ? GwlbVerdict.DROP : GwlbVerdict.FORWARD)
 *         .start()) {
 *     ...
 *     System.out.println(appliance.stats());
 * }
 * }</pre>
 *
 * <p>Which datagrams it answers: from a source in its allow-list of GWLB addresses
 * ({@link Builder#gwlbSource}, checked before anything is parsed), outer IPv4 only, a valid version-0
 * Geneve header without the O bit,
 * all three GWLB options well formed, protocol type IPv4 (0x0800) or IPv6 (0x86DD) with a valid inner
 * packet of that version. Everything else is dropped unanswered and counted by a
 * {@link GwlbDropReason} — without an exception, a string or an allocation.
 *
 * <p>Threads: one receive thread per {@link DatagramBatchIo} ({@code gwlb-rx-N}); with several
 * {@code SO_REUSEPORT} sockets on one port the kernel spreads GWLB's flows over them by their outer
 * addresses and ports. Each thread receives a batch of datagrams, handles each one in place (parse,
 * track its flow, inspect, mark it for a reply) and sends the batch's replies in one call: the I/O writes
 * each reply's outer headers in the room it keeps in front of the Geneve header, so nothing is copied or
 * allocated per packet ({@link TransportBatchIo} over a transport and a {@link RawIpv4Sender}). A
 * thread {@code gwlb-flows} expires idle flows once a second.
 *
 * <p>Flows: each inner 5-tuple of each endpoint ID, both directions as one, is tracked in a table of
 * fixed capacity with GWLB's idle timeouts (350 s for TCP, 120 s for other protocols, as AWS
 * documents; both configurable), shown in {@link #stats()} and to the inspector as
 * {@link GwlbPacket#flow()}. A flow belongs to the outer source address that started it: while it lives,
 * its packets from another source are dropped ({@link GwlbDropReason#FLOW_SOURCE_MISMATCH}), so a replay
 * cannot take it over. Buckets come from a hash keyed at random per process.
 *
 * <p><b>Lifecycle</b>, as {@code GeneveEndpoint}'s: {@link Builder#start()} starts the threads and returns the
 * running appliance; {@link #close()} stops them and closes the I/O it was given. A receive thread that
 * fails (an inspector's exception, an I/O error) ends: the appliance turns unhealthy ({@link #healthy()},
 * what the health port reports) and {@link #failure()} says why; the other threads go on.
 */
public final class GwlbAppliance implements AutoCloseable {

    private final List<Worker> workers = new ArrayList<>();
    private final GwlbInspector inspector;
    private final GwlbSources sources;
    private final FlowTable flows;
    private final KernelPath kernel;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final LongAdder received = new LongAdder();
    private final LongAdder receivedBytes = new LongAdder();
    private final LongAdder forwarded = new LongAdder();
    private final LongAdder forwardedBytes = new LongAdder();
    private final LongAdder receiveCalls = new LongAdder();
    private final LongAdder[] drops = new LongAdder[GwlbDropReason.values().length];
    private volatile boolean closed;
    private Thread sweeper;

    private GwlbAppliance(Builder b) {
        this.inspector = b.inspector;
        this.sources = b.sources;
        this.flows = new FlowTable(b.flowCapacity, b.tcpIdle.toNanos(), b.otherIdle.toNanos());
        this.kernel = b.kernel == null ? null : new KernelPath(b.kernel, flows, t -> failure.compareAndSet(null, t),
                b.maxEndpoints, b.endpointIdle.toNanos(), b.kernelClock);
        for (int i = 0; i < drops.length; i++) {
            drops[i] = new LongAdder();
        }
        for (int i = 0; i < b.ios.size(); i++) {
            workers.add(new Worker(i, b.ios.get(i)));
        }
    }

    /** Starts the receive threads and the flow sweeper (once, from {@link Builder#start()}). */
    private GwlbAppliance startThreads() {
        for (Worker w : workers) {
            w.thread = Thread.ofPlatform().name("gwlb-rx-" + w.index).daemon(true).start(w);
        }
        sweeper = Thread.ofPlatform().name("gwlb-flows").daemon(true).start(this::sweep);
        return this;
    }

    /** A builder: at least one I/O (or transport). */
    public static Builder builder() {
        return new Builder();
    }

    private void sweep() {
        while (!closed) {
            try {
                Thread.sleep(1000);
            } catch (InterruptedException e) {
                return;
            }
            sweepNow();
        }
    }

    /** Expires idle flows and reclaims idle kernel endpoints (the sweeper's work, once a second). */
    void sweepNow() {
        flows.sweep(System.nanoTime());
        if (kernel != null) {
            kernel.sweep();
        }
    }

    /**
     * Whether the appliance is serving: not closed, no failure, and every receive thread alive. What the
     * health port reports (200 or 503).
     */
    public boolean healthy() {
        if (closed || failure.get() != null) {
            return false;
        }
        for (Worker w : workers) {
            if (!w.thread.isAlive()) {
                return false;
            }
        }
        return true;
    }

    /** Why a receive thread ended, if one did (a kernel-mode endpoint that fails fails alone: it is counted, not here). */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure.get());
    }

    /** The local addresses of the I/Os, in order. */
    public List<InetSocketAddress> localAddresses() {
        List<InetSocketAddress> list = new ArrayList<>();
        for (Worker w : workers) {
            list.add(w.io.localAddress());
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
            byReason.merge(GwlbDropReason.KERNEL_ENDPOINT_LIMIT, kernel.overLimit.sum(), Long::sum);
            byReason.merge(GwlbDropReason.KERNEL_ENDPOINT_PENDING, kernel.pending.sum(), Long::sum);
            byReason.merge(GwlbDropReason.KERNEL_ENDPOINT_FAILED, kernel.endpointFailed.sum(), Long::sum);
        }
        List<GwlbStats.EndpointFlows> endpoints = new ArrayList<>();
        flows.flowsPerEndpoint(System.nanoTime()).forEach((id, n) -> endpoints.add(new GwlbStats.EndpointFlows(id, n)));
        int live = 0;
        for (Worker w : workers) {
            live += w.thread.isAlive() ? 1 : 0;
        }
        return new GwlbStats(received.sum(), receivedBytes.sum(), forwarded.sum(), forwardedBytes.sum(),
                receiveCalls.sum(), byReason, flows.activeTcp.sum(), flows.activeOther.sum(), flows.created.sum(),
                flows.expired.sum(), flows.full.sum(), flows.capacity(), endpoints,
                kernel == null ? 0 : kernel.toKernel.sum(), kernel == null ? 0 : kernel.fromKernel.sum(),
                kernel == null ? 0 : kernel.endpoints(), kernel == null ? 0 : kernel.endpointFailures.sum(),
                kernel == null ? 0 : kernel.reclaimed.sum(), workers.size(), live, healthy());
    }

    /**
     * Stops the threads and closes the I/Os it was given (and, in kernel-inspection mode, the device
     * pairs, after their {@code DESTROY} hooks). Idempotent.
     *
     * @throws IOException if closing an I/O failed (the rest are closed anyway)
     */
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
                w.io.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        sweeper.interrupt();
        if (kernel != null) {
            kernel.close();
        }
        for (Worker w : workers) {
            try {
                w.thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (first != null) {
            throw first;
        }
    }

    @Override
    public String toString() {
        return "GwlbAppliance" + localAddresses() + " from " + sources + (kernel != null ? ", kernel inspection" : "")
                + (closed ? ", closed" : healthy() ? "" : ", unhealthy");
    }

    private void drop(GwlbDropReason reason) {
        drops[reason.ordinal()].increment();
    }

    /**
     * One receive thread: a batch from its I/O, each datagram parsed ({@link GwlbParser}), its flow
     * tracked ({@link FlowTable}), inspected ({@link #inspect}) and marked for a reply or handed to the
     * kernel; then the batch's replies sent ({@link #sendReplies}).
     */
    private final class Worker implements Runnable {
        final int index;
        final DatagramBatchIo io;
        final DatagramBatch batch;
        final GwlbParser parser = new GwlbParser();
        final GwlbPacket packet = new GwlbPacket();
        final long localIpv4;
        final int localPort;
        Thread thread;

        Worker(int index, DatagramBatchIo io) {
            this.index = index;
            this.io = io;
            this.batch = io.newBatch();
            InetSocketAddress local = io.localAddress();
            this.localIpv4 = local.getAddress() instanceof Inet4Address a ? a.hashCode() & 0xFFFF_FFFFL : 0;
            this.localPort = local.getPort();
        }

        @Override
        public void run() {
            try {
                while (!closed) {
                    int n = io.receive(batch, true);
                    if (n <= 0) {
                        continue;
                    }
                    receiveCalls.increment();
                    long now = System.nanoTime();
                    for (int slot = 0; slot < n; slot++) {
                        handle(slot, now);
                    }
                    if (batch.replies() > 0) {
                        sendReplies();
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

        /** Parse, track, inspect, and mark for a reply (or hand to the kernel) the datagram in {@code slot}. */
        private void handle(int slot, long now) throws IOException {
            int length = batch.length(slot);
            received.increment();
            receivedBytes.add(length);
            DatagramSource source = batch.source(slot);
            if (!source.isIpv6() && !sources.allows((int) source.low())) {
                drop(GwlbDropReason.NOT_GWLB); // a stranger: not parsed, never answered
                return;
            }
            GwlbPacket p = packet;
            GwlbDropReason reason = parser.parse(batch.source(slot), batch.segment(slot), batch.offset(slot), length, p);
            if (reason != null) {
                drop(reason);
                return;
            }
            if (flows.track(p, (int) source.low(), now) == FlowTable.OTHER_SOURCE) {
                drop(GwlbDropReason.FLOW_SOURCE_MISMATCH); // a replay of a live flow from elsewhere
                return;
            }
            if (!inspect(p)) {
                drop(GwlbDropReason.INSPECTOR);
                return;
            }
            if (kernel != null) {
                kernel.ingress(p, batch.source(slot), localIpv4, localPort);
                return;
            }
            batch.reply(slot, p.rewritten);
        }

        /** Sends the batch's replies; counts those sent as forwarded, the rest as {@link GwlbDropReason#SEND_FAILED}. */
        private void sendReplies() throws IOException {
            int marked = batch.replies();
            int sent = io.sendReplies(batch);
            long bytes = 0;
            for (int slot = 0, n = batch.count(); slot < n; slot++) {
                if (batch.willReply(slot)) {
                    bytes += batch.length(slot);
                }
            }
            forwarded.add(sent);
            forwardedBytes.add(bytes);
            if (marked > sent) {
                drops[GwlbDropReason.SEND_FAILED.ordinal()].add(marked - sent);
            }
        }
    }

    /** Whether the inspector lets {@code p} through; fixes its checksums when the inspector rewrote it. */
    private boolean inspect(GwlbPacket p) {
        p.rewritten = false;
        if (inspector.inspect(p) != GwlbVerdict.FORWARD) {
            return false;
        }
        if (p.rewritten) {
            p.fixChecksums();
        }
        return true;
    }

    /** Describes an appliance; {@link #start()} starts it. Not thread-safe. */
    public static final class Builder {
        private final List<DatagramBatchIo> ios = new ArrayList<>();
        private GwlbInspector inspector = GwlbInspector.PASS;
        private Duration tcpIdle = Duration.ofSeconds(350);
        private Duration otherIdle = Duration.ofSeconds(120);
        private int flowCapacity = 1 << 16;
        private GwlbKernelInspection kernel;
        private GwlbSources sources = GwlbSources.none();
        private int maxEndpoints = 64;
        private Duration endpointIdle = Duration.ofSeconds(350);
        private LongSupplier kernelClock = System::nanoTime;

        private Builder() {
        }

        /**
         * Accepts datagrams from the IPv4 prefix {@code network}/{@code prefixLength}: GWLB's own
         * addresses (its network interfaces in the appliance's subnet). Repeatable; at least one is
         * required. Datagrams from any other source are dropped before they are parsed, never answered,
         * and counted as {@link GwlbDropReason#NOT_GWLB}. {@code 0.0.0.0/0} accepts every source: only
         * where the underlay already admits nothing but GWLB (a security group, a firewall), since the
         * appliance answers whoever sends it a GWLB-shaped datagram.
         *
         * @throws IllegalArgumentException if {@code network} is not IPv4 or {@code prefixLength} is not 0 to 32
         */
        public Builder gwlbSource(InetAddress network, int prefixLength) {
            sources = sources.and(Objects.requireNonNull(network, "network"), prefixLength);
            return this;
        }

        /**
         * Adds a receive thread on {@code io}, which receives GWLB's datagrams and sends the replies
         * (the appliance owns it from {@link #start()} on).
         */
        public Builder io(DatagramBatchIo io) {
            ios.add(Objects.requireNonNull(io, "io"));
            return this;
        }

        /**
         * Adds a receive thread on {@code transport}, answering through it: from the transport's own
         * port to GWLB's address and source port (no privileges needed; GWLB documents replies with
         * its ports kept, which {@link #transport(DatagramTransport, RawIpv4Sender)} does). The same as
         * {@code io(TransportBatchIo.udp(transport))}.
         */
        public Builder transport(DatagramTransport transport) {
            return io(TransportBatchIo.udp(transport));
        }

        /**
         * Adds a receive thread on {@code transport} (bound to one IPv4 address, normally port 6081),
         * answering through {@code sender} with GWLB's ports kept. The same as
         * {@code io(TransportBatchIo.raw(transport, sender))}.
         *
         * @throws IllegalArgumentException if the transport is not bound to one IPv4 address
         */
        public Builder transport(DatagramTransport transport, RawIpv4Sender sender) {
            return io(TransportBatchIo.raw(transport, sender));
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
         * Kernel-inspection mode: endpoint IDs given devices at most (64 by default). Anyone who can send
         * as GWLB can make endpoint IDs; past this many, a new ID's packets are dropped
         * ({@link GwlbDropReason#KERNEL_ENDPOINT_LIMIT}) until an idle one is reclaimed.
         */
        public Builder maxEndpoints(int endpoints) {
            if (endpoints < 1 || endpoints > 4096) {
                throw new IllegalArgumentException("found " + endpoints + " endpoints (expected: 1 to 4096)");
            }
            this.maxEndpoints = endpoints;
            return this;
        }

        /**
         * Kernel-inspection mode: how long an endpoint ID lives without packets before its devices are
         * reclaimed (its {@code DESTROY} hook run, its devices closed; 350 s, GWLB's TCP idle timeout, by
         * default). Checked about once a second.
         */
        public Builder endpointIdleTimeout(Duration timeout) {
            this.endpointIdle = positive(timeout, "endpoint idle timeout");
            return this;
        }

        /** The clock of kernel mode's idle times and back-offs, in nanoseconds (for tests). */
        Builder kernelClock(LongSupplier clock) {
            this.kernelClock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Hands the packets to the kernel instead of answering them at once ({@link GwlbKernelInspection});
         * the inspector, if any, still decides first. The I/Os must be bound to one IPv4 address.
         */
        public Builder kernelInspection(GwlbKernelInspection inspection) {
            this.kernel = Objects.requireNonNull(inspection, "inspection");
            return this;
        }

        /**
         * Checks the description and starts the appliance: a receive thread per I/O and the flow sweeper.
         *
         * @return the running appliance
         * @throws IllegalStateException without an I/O, without a {@linkplain #gwlbSource GWLB source}, or in
         *     kernel-inspection mode with an I/O not bound to
         *     one IPv4 address
         */
        public GwlbAppliance start() {
            if (ios.isEmpty()) {
                throw new IllegalStateException("no I/O (expected: at least one transport or batch I/O, one receive thread each)");
            }
            if (sources.isEmpty()) {
                throw new IllegalStateException("no GWLB source (expected: gwlbSource(address, prefix) for GWLB's "
                        + "addresses, or 0.0.0.0/0 to accept any source)");
            }
            for (DatagramBatchIo io : ios) {
                InetSocketAddress local = io.localAddress();
                if (kernel != null && (!(local.getAddress() instanceof Inet4Address) || local.getAddress().isAnyLocalAddress())) {
                    throw new IllegalStateException("found an I/O bound to " + local
                            + " (expected: one IPv4 address in kernel-inspection mode, the replies' source)");
                }
            }
            return new GwlbAppliance(this).startThreads();
        }
    }
}
