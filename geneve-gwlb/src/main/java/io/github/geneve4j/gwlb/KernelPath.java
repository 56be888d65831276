package io.github.geneve4j.gwlb;

import io.github.geneve4j.codec.net.Ipv4View;
import io.github.geneve4j.codec.net.Ipv6View;
import io.github.geneve4j.endpoint.spi.DatagramBatch;
import io.github.geneve4j.endpoint.spi.DatagramSource;
import io.github.geneve4j.endpoint.spi.FrameDevice;
import io.github.geneve4j.endpoint.spi.FrameOffload;
import io.github.geneve4j.endpoint.spi.RawIpv4Sender;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ArrayDeque;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The appliance's side of {@link GwlbKernelInspection}: a device pair and an egress thread per
 * endpoint ID, and per flow slot the Geneve header and outer addresses of the last packet GWLB sent
 * on it, which the egress thread puts back around what the kernel sends out.
 *
 * <p>Endpoint IDs are a sender's choice, so what they cost is bounded: at most {@code maxEndpoints} (past
 * that a new ID's packets are dropped, {@link GwlbDropReason#KERNEL_ENDPOINT_LIMIT}); the devices and the
 * {@code CREATE} hook are made on a thread of their own ({@code gwlb-endpoints}), never on a receive
 * thread, while the new endpoint's first {@value #WAITING} packets wait (then
 * {@link GwlbDropReason#KERNEL_ENDPOINT_PENDING}); a hook that fails or devices that cannot be opened fail
 * that endpoint alone ({@link GwlbDropReason#KERNEL_ENDPOINT_FAILED} for its packets), retried on its next
 * packet after a back-off of 1 s doubling to 60 s; an endpoint without packets for {@code idleNanos} is
 * reclaimed (its {@code DESTROY} hook run, its devices closed), which also frees its place.
 */
final class KernelPath implements AutoCloseable {

    /** The longest Geneve header: 8 bytes and 63 words of options. */
    private static final int MAX_HEADER = 8 + 252;
    private static final int MTU_ROOM = 65_535;
    private static final int EGRESS_AT = DatagramBatch.IPV4_UDP_HEADROOM + MAX_HEADER + 16;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final int STRIPES = 256;
    /** Packets of a new endpoint kept while its devices and hook are made. */
    static final int WAITING = 16;
    private static final long FIRST_BACKOFF = 1_000_000_000L;
    private static final long MAX_BACKOFF = 60_000_000_000L;
    private static final int PENDING = 0;
    private static final int READY = 1;
    private static final int FAILED = 2;
    private static final int CLOSING = 3;

    private final GwlbKernelInspection config;
    private final FlowTable flows;
    private final Consumer<Throwable> failed;
    // every pair, for close and statistics (written under its own lock, on the first packet of an endpoint)
    private final Map<Long, Pair> pairs = new ConcurrentHashMap<>();
    // the same pairs for the receive path: an open-addressing table replaced whole when one is added,
    // so a lookup by endpoint ID boxes nothing and takes no lock
    private volatile PairTable table = new PairTable(new long[16], new Pair[16]);
    private final Object[] locks = new Object[STRIPES];
    // per flow slot: the Geneve header GWLB sent, its length, GWLB's address and port, ours
    private final MemorySegment headers;
    private final int[] headerLengths;
    private final int[] gwlbAddresses;
    private final int[] gwlbPorts;
    private final int[] localAddresses;
    private final int[] localPorts;
    final LongAdder toKernel = new LongAdder();
    final LongAdder fromKernel = new LongAdder();
    final LongAdder unknownFlow = new LongAdder();
    final LongAdder writeFailed = new LongAdder();
    final LongAdder sendFailed = new LongAdder();
    final LongAdder overLimit = new LongAdder();
    final LongAdder pending = new LongAdder();
    final LongAdder endpointFailed = new LongAdder();
    final LongAdder endpointFailures = new LongAdder();
    final LongAdder reclaimed = new LongAdder();
    private final int maxEndpoints;
    private final long idleNanos;
    private final LongSupplier clock;
    // device pairs are made and torn down here, one at a time, never on a receive thread
    private final BlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();
    private final Thread maker;
    private volatile boolean closed;

    KernelPath(GwlbKernelInspection config, FlowTable flows, Consumer<Throwable> failed, int maxEndpoints,
            long idleNanos, LongSupplier clock) {
        this.config = config;
        this.flows = flows;
        this.failed = failed;
        this.maxEndpoints = maxEndpoints;
        this.idleNanos = idleNanos;
        this.clock = clock;
        this.maker = Thread.ofPlatform().name("gwlb-endpoints").daemon(true).start(this::make);
        int n = flows.capacity();
        this.headers = Arena.ofAuto().allocate((long) n * MAX_HEADER, 8);
        this.headerLengths = new int[n];
        this.gwlbAddresses = new int[n];
        this.gwlbPorts = new int[n];
        this.localAddresses = new int[n];
        this.localPorts = new int[n];
        for (int i = 0; i < STRIPES; i++) {
            locks[i] = new Object();
        }
    }

    /** Endpoint IDs with their device pair up. */
    int endpoints() {
        int n = 0;
        for (Pair p : pairs.values()) {
            n += p.state == READY ? 1 : 0;
        }
        return n;
    }

    /** Runs the tasks (making and tearing down pairs) until closed. */
    private void make() {
        while (!closed) {
            try {
                tasks.take().run();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // a task fails its endpoint itself, so this is a bug of ours: say it through health
                failed.accept(e);
            }
        }
    }

    /**
     * One endpoint ID: its state ({@code PENDING} while made, {@code READY}, {@code FAILED} until
     * {@code retryAt}, {@code CLOSING} while reclaimed), its devices and egress thread once ready, and the
     * packets that wait for them.
     */
    private final class Pair implements Runnable {
        final long endpointId;
        volatile int state = PENDING;
        volatile long lastSeen;
        long retryAt;
        long backoff;
        boolean said;
        final ArrayDeque<byte[]> waiting = new ArrayDeque<>();
        FrameDevice ingress;
        FrameDevice egress;
        RawIpv4Sender returnPath;
        final FrameOffload writeOffload = new FrameOffload();
        Thread thread;

        Pair(long endpointId, long now) {
            this.endpointId = endpointId;
            this.lastSeen = now;
        }

        /** Opens the devices and the return path and runs the hook (on the maker thread). */
        void open() throws IOException {
            List<AutoCloseable> opened = new ArrayList<>();
            try {
                ingress = config.devices().open(GwlbKernelInspection.ingressName(endpointId));
                opened.add(ingress);
                egress = config.devices().open(GwlbKernelInspection.egressName(endpointId));
                opened.add(egress);
                returnPath = config.returnPaths().open();
                opened.add(returnPath);
                runHook("CREATE", endpointId);
            } catch (IOException | RuntimeException e) {
                for (AutoCloseable c : opened) {
                    try {
                        c.close();
                    } catch (Exception ignored) {
                        // already failing
                    }
                }
                ingress = null;
                egress = null;
                returnPath = null;
                throw e;
            }
        }

        @Override
        public void run() {
            MemorySegment buffer = Arena.ofAuto().allocate(EGRESS_AT + MTU_ROOM + 1, 8);
            FrameOffload offload = new FrameOffload();
            Ipv4View ipv4 = new Ipv4View();
            Ipv6View ipv6 = new Ipv6View();
            try {
                while (!closed) {
                    int n = egress.read(buffer, EGRESS_AT, MTU_ROOM, offload);
                    if (n <= 0) {
                        continue;
                    }
                    egress(this, buffer, n, ipv4, ipv6);
                }
            } catch (ClosedChannelException e) {
                // closed
            } catch (Throwable t) {
                if (!closed && state == READY) {
                    fail(this, t); // this endpoint alone: torn down, made again on a later packet
                    tasks.add(() -> tearDown(this, false));
                }
            }
        }
    }

    /** Endpoint ID to pair, linear probing in a power-of-two table at most half full. */
    private record PairTable(long[] keys, Pair[] values) {
        Pair find(long endpointId) {
            int mask = keys.length - 1;
            for (int i = (int) mix(endpointId) & mask; ; i = (i + 1) & mask) {
                Pair v = values[i];
                if (v == null || keys[i] == endpointId) {
                    return v;
                }
            }
        }

        static PairTable of(Map<Long, Pair> pairs) {
            int size = Integer.highestOneBit(Math.max(16, pairs.size() * 4) - 1) << 1;
            long[] keys = new long[size];
            Pair[] values = new Pair[size];
            for (Pair pair : pairs.values()) {
                int i = (int) mix(pair.endpointId) & (size - 1);
                while (values[i] != null) {
                    i = (i + 1) & (size - 1);
                }
                keys[i] = pair.endpointId;
                values[i] = pair;
            }
            return new PairTable(keys, values);
        }

        private static long mix(long h) {
            return FlowTable.sipHash(h, 0, 0, 0, 0, 0); // keyed: endpoint IDs are a sender's choice
        }
    }

    /** Hands the worker's packet to its endpoint's ingress device (making the pair on its first packet). */
    void ingress(GwlbPacket p, DatagramSource gwlb, long localAddress, int localPort) throws IOException {
        MemorySegment buffer = p.segment;
        int headerLength = p.geneveLength;
        long geneve = p.offset - headerLength;
        Pair pair = table.find(p.endpointId);
        if (pair == null) {
            pair = create(p.endpointId);
            if (pair == null) {
                overLimit.increment(); // past --max-endpoints: nothing made for it
                return;
            }
        }
        long now = clock.getAsLong();
        pair.lastSeen = now;
        int slot = p.flow;
        if (slot < 0) {
            unknownFlow.increment(); // the flow table is full: the answer could not be matched
            return;
        }
        synchronized (locks[slot & (STRIPES - 1)]) {
            MemorySegment.copy(buffer, geneve, headers, (long) slot * MAX_HEADER, headerLength);
            headerLengths[slot] = headerLength;
            gwlbAddresses[slot] = (int) gwlb.low();
            gwlbPorts[slot] = gwlb.port();
            localAddresses[slot] = (int) localAddress;
            localPorts[slot] = localPort;
        }
        if (pair.state != READY && !wait(pair, buffer, p.offset, p.length, now)) {
            return;
        }
        write(pair, buffer, p.offset, p.length);
    }

    /** Writes one packet to the pair's ingress device (a receive thread, or the maker for waiting ones). */
    private void write(Pair pair, MemorySegment buffer, long offset, long length) {
        try {
            synchronized (pair) { // receive threads share the device's write structures
                FrameDevice ingress = pair.ingress;
                if (pair.state != READY || ingress == null) {
                    pending.increment(); // torn down meanwhile
                    return;
                }
                pair.writeOffload.clear();
                ingress.write(buffer, offset, length, pair.writeOffload);
            }
            toKernel.increment();
        } catch (IOException e) {
            writeFailed.increment(); // the device is down (the hook did not bring it up), or closed under us
        }
    }

    /**
     * For a pair not ready: keeps the packet while it is made (a copy: this path runs once per new
     * endpoint, not per packet of a ready one), asks for it again once its back-off has passed, or counts
     * it. Whether the pair turned ready meanwhile (then the caller writes the packet itself).
     */
    private boolean wait(Pair pair, MemorySegment buffer, long offset, long length, long now) {
        synchronized (pair) {
            switch (pair.state) {
                case READY:
                    return true;
                case FAILED:
                    if (now - pair.retryAt < 0) {
                        endpointFailed.increment();
                        return false;
                    }
                    pair.state = PENDING;
                    tasks.add(() -> build(pair));
                    break;
                case CLOSING:
                    pending.increment();
                    return false;
                default:
                    break;
            }
            if (pair.waiting.size() >= WAITING) {
                pending.increment();
            } else {
                pair.waiting.add(buffer.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE));
            }
            return false;
        }
    }

    /** The pair of a new endpoint ID, made on the maker thread; null past {@code maxEndpoints}. */
    private Pair create(long endpointId) {
        if (pairs.size() >= maxEndpoints) {
            return null; // checked before anything is boxed: a flood of new IDs costs a comparison
        }
        synchronized (pairs) {
            Pair pair = pairs.get(endpointId);
            if (pair != null) {
                return pair;
            }
            if (pairs.size() >= maxEndpoints) {
                return null;
            }
            Pair made = new Pair(endpointId, clock.getAsLong());
            pairs.put(endpointId, made);
            table = PairTable.of(pairs);
            tasks.add(() -> build(made));
            return made;
        }
    }

    /** Makes the pair's devices, runs its hook, starts its egress thread, writes the packets that waited. */
    private void build(Pair pair) {
        if (closed) {
            return;
        }
        try {
            pair.open();
        } catch (IOException | RuntimeException e) {
            fail(pair, e);
            return;
        }
        pair.thread = Thread.ofPlatform().name("gwlb-egress-" + GwlbKernelInspection.base62(pair.endpointId))
                .daemon(true).start(pair);
        List<byte[]> waited;
        synchronized (pair) {
            pair.state = READY;
            pair.backoff = 0;
            waited = new ArrayList<>(pair.waiting);
            pair.waiting.clear();
        }
        long at = Math.max(64, pair.ingress.headroom()); // room for the device's own header (a TUN's vnet header)
        MemorySegment one = Arena.ofAuto().allocate(at + MTU_ROOM, 8);
        for (byte[] packet : waited) {
            MemorySegment.copy(packet, 0, one, ValueLayout.JAVA_BYTE, at, packet.length);
            write(pair, one, at, packet.length);
        }
    }

    /** Marks the pair failed until its back-off has passed; its waiting packets are counted. */
    private void fail(Pair pair, Throwable why) {
        endpointFailures.increment();
        synchronized (pair) {
            pair.backoff = pair.backoff == 0 ? FIRST_BACKOFF : Math.min(MAX_BACKOFF, pair.backoff * 2);
            pair.retryAt = clock.getAsLong() + pair.backoff;
            pair.state = FAILED;
            endpointFailed.add(pair.waiting.size());
            pair.waiting.clear();
            if (!pair.said) {
                pair.said = true; // said once per endpoint, then counted
                System.err.println("gwlb: endpoint " + String.format("%016x", pair.endpointId) + " failed ("
                        + why.getMessage() + "); its packets are dropped, retried after a back-off");
            }
        }
    }

    /**
     * Reclaims endpoints without packets for the idle time: their {@code DESTROY} hook runs and their
     * devices close on the maker thread, and their place is freed. Called about once a second.
     */
    void sweep() {
        long now = clock.getAsLong();
        for (Pair pair : pairs.values()) {
            synchronized (pair) {
                if (pair.state != PENDING && pair.state != CLOSING && now - pair.lastSeen > idleNanos) {
                    boolean wasReady = pair.state == READY;
                    pair.state = CLOSING;
                    tasks.add(() -> tearDown(pair, wasReady));
                }
            }
        }
    }

    /** Runs the pair's DESTROY hook (if it was made), closes it, and forgets it (on the maker thread). */
    private void tearDown(Pair pair, boolean reclaim) {
        if (pair.ingress != null) {
            try {
                runHook("DESTROY", pair.endpointId);
            } catch (IOException e) {
                System.err.println("gwlb: " + e.getMessage());
            }
            closeDevices(pair);
        }
        if (reclaim || pair.state == CLOSING) {
            synchronized (pairs) {
                pairs.remove(pair.endpointId);
                table = PairTable.of(pairs);
            }
            reclaimed.increment();
        }
    }

    private void closeDevices(Pair pair) {
        FrameDevice ingress;
        FrameDevice egress;
        RawIpv4Sender returnPath;
        synchronized (pair) {
            ingress = pair.ingress;
            egress = pair.egress;
            returnPath = pair.returnPath;
            pair.ingress = null;
        }
        try {
            ingress.close();
            egress.close();
            if (pair.thread != null && pair.thread != Thread.currentThread()) {
                pair.thread.join(2000);
            }
            returnPath.close();
        } catch (Exception e) {
            // closing anyway
        }
    }

    private void runHook(String what, long endpointId) throws IOException {
        if (config.hook().isEmpty()) {
            return;
        }
        List<String> command = new ArrayList<>(config.hook());
        command.addAll(List.of(what, GwlbKernelInspection.ingressName(endpointId),
                GwlbKernelInspection.egressName(endpointId), String.format("%016x", endpointId)));
        Process p = new ProcessBuilder(command).inheritIO().start();
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("hook " + command + " did not finish within 30 s");
            }
            if (p.exitValue() != 0) {
                throw new IOException("hook " + command + " exited " + p.exitValue());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for hook " + command);
        }
    }

    /** Returns what the kernel sent out of {@code pair}'s egress device to GWLB, on the flow it belongs to. */
    private void egress(Pair pair, MemorySegment buffer, int n, Ipv4View ipv4, Ipv6View ipv6) throws IOException {
        long at = EGRESS_AT;
        int version = (buffer.get(ValueLayout.JAVA_BYTE, at) >>> 4) & 0xF;
        int protocol;
        long transport;
        long transportLength;
        long sHigh;
        long sLow;
        long dHigh;
        long dLow;
        boolean ports;
        if (version == 4 && ipv4.tryWrap(buffer, at, n)) {
            protocol = ipv4.protocol();
            transport = at + ipv4.headerLength();
            transportLength = ipv4.payloadLength();
            ports = ipv4.fragmentOffset() == 0;
            sHigh = 0;
            sLow = ipv4.source();
            dHigh = 0;
            dLow = ipv4.destination();
        } else if (version == 6 && ipv6.tryWrap(buffer, at, n)) {
            protocol = ipv6.upperLayerProtocol();
            transport = ipv6.upperLayerOffset();
            transportLength = ipv6.upperLayerLength();
            ports = !ipv6.fragmented();
            sHigh = buffer.get(U64, ipv6.sourceOffset());
            sLow = buffer.get(U64, ipv6.sourceOffset() + 8);
            dHigh = buffer.get(U64, ipv6.destinationOffset());
            dLow = buffer.get(U64, ipv6.destinationOffset() + 8);
        } else {
            unknownFlow.increment();
            return;
        }
        int sourcePort = 0;
        int destinationPort = 0;
        if (ports && transportLength >= 4
                && (protocol == GwlbPacket.TCP || protocol == GwlbPacket.UDP || protocol == GwlbPacket.SCTP)) {
            int both = buffer.get(U32, transport);
            sourcePort = both >>> 16;
            destinationPort = both & 0xFFFF;
        }
        int slot = flows.lookup(pair.endpointId, protocol, sHigh, sLow, sourcePort, dHigh, dLow, destinationPort,
                System.nanoTime());
        if (slot < 0) {
            unknownFlow.increment(); // GWLB is for inline inspection: flows start at GWLB, never here
            return;
        }
        long geneve;
        int gwlb;
        int local;
        int gwlbPort;
        int localPort;
        synchronized (locks[slot & (STRIPES - 1)]) {
            int length = headerLengths[slot];
            geneve = at - length;
            MemorySegment.copy(headers, (long) slot * MAX_HEADER, buffer, geneve, length);
            gwlb = gwlbAddresses[slot];
            gwlbPort = gwlbPorts[slot];
            local = localAddresses[slot];
            localPort = localPorts[slot];
        }
        int length = (int) (at + n - geneve);
        // the ports as GWLB sent them: its source port stays the source, 6081 the destination
        long ip = DatagramBatch.writeIpv4Udp(buffer, geneve, length, local, gwlbPort, gwlb, localPort);
        try {
            if (pair.returnPath.sendIpv4(buffer, ip, DatagramBatch.IPV4_UDP_HEADROOM + length)) {
                fromKernel.increment();
            } else {
                sendFailed.increment();
            }
        } catch (ClosedChannelException e) {
            throw e;
        } catch (IOException e) {
            sendFailed.increment();
        }
    }

    @Override
    public void close() {
        closed = true;
        maker.interrupt();
        try {
            maker.join(35_000); // a hook under way is given its 30 s
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (pairs) {
            for (Pair pair : pairs.values()) {
                if (pair.ingress == null) {
                    continue;
                }
                try {
                    runHook("DESTROY", pair.endpointId);
                } catch (IOException e) {
                    System.err.println("gwlb: " + e.getMessage());
                }
                closeDevices(pair);
            }
        }
    }
}
