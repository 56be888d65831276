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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * The appliance's side of {@link GwlbKernelInspection}: a device pair and an egress thread per
 * endpoint ID, and per flow slot the Geneve header and outer addresses of the last packet GWLB sent
 * on it, which the egress thread puts back around what the kernel sends out.
 */
final class KernelPath implements AutoCloseable {

    /** The longest Geneve header: 8 bytes and 63 words of options. */
    private static final int MAX_HEADER = 8 + 252;
    private static final int MTU_ROOM = 65_535;
    private static final int EGRESS_AT = DatagramBatch.IPV4_UDP_HEADROOM + MAX_HEADER + 16;
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final int STRIPES = 256;

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
    private volatile boolean closed;

    KernelPath(GwlbKernelInspection config, FlowTable flows, Consumer<Throwable> failed) {
        this.config = config;
        this.flows = flows;
        this.failed = failed;
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

    int endpoints() {
        return pairs.size();
    }

    /** One endpoint ID's devices and egress thread. */
    private final class Pair implements Runnable {
        final long endpointId;
        final FrameDevice ingress;
        final FrameDevice egress;
        final RawIpv4Sender returnPath;
        final FrameOffload writeOffload = new FrameOffload();
        Thread thread;

        Pair(long endpointId) throws IOException {
            this.endpointId = endpointId;
            List<AutoCloseable> opened = new ArrayList<>();
            try {
                ingress = config.devices().open(GwlbKernelInspection.ingressName(endpointId));
                opened.add(ingress);
                egress = config.devices().open(GwlbKernelInspection.egressName(endpointId));
                opened.add(egress);
                returnPath = config.returnPaths().open();
            } catch (IOException | RuntimeException e) {
                for (AutoCloseable c : opened) {
                    try {
                        c.close();
                    } catch (Exception ignored) {
                        // already failing
                    }
                }
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
                if (!closed) {
                    failed.accept(t);
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
        }
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
        try {
            synchronized (pair.ingress) { // receive threads share the device's write structures
                pair.writeOffload.clear();
                pair.ingress.write(buffer, p.offset, p.length, pair.writeOffload);
            }
            toKernel.increment();
        } catch (ClosedChannelException e) {
            throw e;
        } catch (IOException e) {
            writeFailed.increment(); // the device is down: the hook did not bring it up
        }
    }

    private Pair create(long endpointId) throws IOException {
        synchronized (pairs) {
            Pair pair = pairs.get(endpointId);
            if (pair != null) {
                return pair;
            }
            pair = new Pair(endpointId);
            try {
                runHook("CREATE", endpointId);
            } catch (IOException | RuntimeException e) {
                pair.ingress.close();
                pair.egress.close();
                pair.returnPath.close();
                throw e;
            }
            pair.thread = Thread.ofPlatform().name("gwlb-egress-" + GwlbKernelInspection.base62(endpointId)).daemon(true)
                    .start(pair);
            pairs.put(endpointId, pair);
            table = PairTable.of(pairs);
            return pair;
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
        synchronized (pairs) {
            for (Pair pair : pairs.values()) {
                try {
                    runHook("DESTROY", pair.endpointId);
                } catch (IOException e) {
                    System.err.println("gwlb: " + e.getMessage());
                }
                try {
                    pair.ingress.close();
                    pair.egress.close();
                    if (pair.thread != null) {
                        pair.thread.join(2000);
                    }
                    pair.returnPath.close();
                } catch (Exception e) {
                    // closing anyway
                }
            }
        }
    }
}
