package io.github.geneve4j.tools.tap;

import io.github.geneve4j.codec.Geneve;
import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.GeneveView;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.codec.net.InternetChecksum;
import io.github.geneve4j.codec.tso.SegmentCursor;
import io.github.geneve4j.codec.tso.TcpCoalescer;
import io.github.geneve4j.codec.tso.TcpSegmenter;
import io.github.geneve4j.codec.tunnel.GeneveTunnel;
import io.github.geneve4j.tools.cli.Converters;
import io.github.geneve4j.tools.demo.ReceiveChecks;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code geneve vtep}: a userspace tunnel endpoint between a TAP device (a real kernel's network
 * stack on our side) and a Geneve peer over UDP.
 *
 * <p>TAP → tunnel: each frame is read with its virtio-net header into native memory, the Geneve
 * header is written in front of it in place (the read leaves room for it), and the datagram is sent
 * from that memory. Tunnel → TAP: a datagram is received into native memory, checked (RFC 8926
 * receipt rules, VNI, O bit, protocol type, critical options), and its payload written to the TAP
 * behind a fresh virtio-net header, again in place.
 */
@Command(name = "vtep", mixinStandardHelpOptions = true,
        description = {"A userspace Geneve tunnel endpoint on a TAP device: the kernel's traffic on the TAP",
            "is carried over UDP to the peer, the peer's to the TAP. Needs root (or CAP_NET_ADMIN)."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:stopped after --duration", "2:bad usage, or the TAP or socket cannot be opened"})
public final class VtepCommand implements Callable<Integer> {

    @Option(names = "--tap", required = true, paramLabel = "NAME", description = "TAP device to open or create.")
    String tapName;

    @Option(names = "--local", required = true, paramLabel = "ADDR[:PORT]", converter = Converters.SocketConverter.class,
            description = "Local UDP address (port 6081 unless given).")
    InetSocketAddress local;

    @Option(names = "--remote", required = true, paramLabel = "ADDR[:PORT]", converter = Converters.SocketConverter.class,
            description = "The peer's Geneve address (port 6081 unless given).")
    InetSocketAddress remote;

    @Option(names = "--vni", defaultValue = "5000", description = "Virtual Network Identifier (default: ${DEFAULT-VALUE}).")
    int vni;

    @Option(names = "--option", paramLabel = "CLASS:TYPE:HEX", converter = Converters.OptionConverter.class,
            description = "Add a Geneve option to every packet sent. Repeatable.")
    List<GeneveOption> options = new ArrayList<>();

    @Option(names = "--mtu", defaultValue = "1500", description = "Outer (underlay) MTU (default: ${DEFAULT-VALUE}).")
    int mtu;

    @Option(names = "--offload", defaultValue = "off", paramLabel = "on|off",
            description = "Checksum and TSO offload from the kernel (default: ${DEFAULT-VALUE}).")
    String offload;

    @Option(names = "--stats", defaultValue = "0", paramLabel = "SECONDS",
            description = "Print statistics every SECONDS (default: 0, never).")
    double statsSeconds;

    @Option(names = "--duration", defaultValue = "0", paramLabel = "SECONDS",
            description = "Stop after SECONDS (default: 0, run until stopped).")
    double duration;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final LongAdder toTunnelPackets = new LongAdder();
    private final LongAdder toTunnelBytes = new LongAdder();
    private final LongAdder toTapPackets = new LongAdder();
    private final LongAdder toTapBytes = new LongAdder();
    private final LongAdder udpSends = new LongAdder();
    private final LongAdder udpReceives = new LongAdder();
    private final LongAdder superFrames = new LongAdder();
    private final LongAdder segments = new LongAdder();
    private final LongAdder coalescedWrites = new LongAdder();
    private final LongAdder coalescedDatagrams = new LongAdder();
    private final Map<String, LongAdder> drops = new ConcurrentHashMap<>();

    /** The largest frame a TAP takes or gives with GSO: an IP length field's 65535 plus Ethernet and a VLAN tag. */
    static final int MAX_GSO_FRAME = 65_535 + 18;
    private static final int SOCKET_BUFFER = 4 << 20;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (vni < 0 || vni > Geneve.MAX_VNI) {
            err.println("geneve vtep: --vni " + vni + " is out of range (0..16777215)");
            return 2;
        }
        if (!offload.equals("off") && !offload.equals("on")) {
            err.println("geneve vtep: --offload " + offload + " (expected: on or off)");
            return 2;
        }
        boolean offloads = offload.equals("on");
        GeneveHeader header = GeneveHeader.of(ProtocolType.ETHERNET, vni, options);
        boolean v4 = local.getAddress() instanceof Inet4Address;
        if (v4 != remote.getAddress() instanceof Inet4Address) {
            err.println("geneve vtep: --local " + local + " and --remote " + remote + " are not of one IP version");
            return 2;
        }
        int overhead = 14 + (v4 ? 20 : 40) + 8 + header.encodedLength();
        if (mtu < overhead + 68 || mtu > 65_535) {
            err.println("geneve vtep: --mtu " + mtu + " out of range (expected: " + (overhead + 68) + "..65535)");
            return 2;
        }
        Tap tap;
        try {
            tap = Tap.open(tapName, offloads ? Tap.TUN_F_CSUM | Tap.TUN_F_TSO4 | Tap.TUN_F_TSO6 : 0);
        } catch (IOException | UnsatisfiedLinkError e) {
            err.println("geneve vtep: " + e.getMessage());
            return 2;
        }
        UdpSocket socket;
        try {
            // a burst of segments from one super-frame must not overflow the peer's socket: ask for
            // large buffers (the kernel caps them at net.core.rmem_max / wmem_max)
            socket = UdpSocket.open(local, SOCKET_BUFFER);
        } catch (IOException e) {
            tap.close();
            err.println("geneve vtep: cannot bind UDP " + local + ": " + e.getMessage());
            return 2;
        }
        try (Tap device = tap; UdpSocket udp = socket) {
            out.printf(Locale.ROOT, "vtep %s <-> %s, VNI %d, offload %s; set the TAP's MTU to %d (outer MTU %d - %d)%n",
                    tapName, remote, vni, offload, mtu - overhead, mtu, overhead);
            out.flush();
            GeneveTunnel tunnel = GeneveTunnel.builder().addresses(local.getAddress(), remote.getAddress())
                    .header(header).udpChecksum(false).build(); // only its Geneve header leaves: the socket adds UDP/IP
            UdpSocket.Sender sender = udp.sender(remote);
            UdpSocket.Receiver receiver = udp.receiver();
            Thread.ofPlatform().name("vtep-tap-to-tunnel").daemon().start(
                    () -> tapToTunnel(device, udp, sender, header, offloads ? new TcpSegmenter(tunnel, 1448, mtu) : null,
                            tunnel.overhead(), err));
            Thread.ofPlatform().name("vtep-tunnel-to-tap").daemon().start(
                    () -> tunnelToTap(device, udp, receiver, header, offloads ? new TcpCoalescer(MAX_GSO_FRAME) : null, err));
            long end = duration > 0 ? System.nanoTime() + (long) (duration * 1e9) : Long.MAX_VALUE;
            long period = statsSeconds > 0 ? (long) (statsSeconds * 1e9) : Long.MAX_VALUE;
            long nextStats = statsSeconds > 0 ? System.nanoTime() + period : Long.MAX_VALUE;
            while (System.nanoTime() < end) {
                long wake = Math.min(end, nextStats);
                TimeUnit.NANOSECONDS.sleep(Math.max(1, Math.min(wake - System.nanoTime(), 1_000_000_000L)));
                if (System.nanoTime() >= nextStats) {
                    out.println(stats());
                    out.flush();
                    nextStats += period;
                }
            }
            out.println(stats());
            out.flush();
            return 0;
        }
    }

    String stats() {
        Map<String, Long> dropped = new TreeMap<>();
        drops.forEach((k, v) -> dropped.put(k, v.sum()));
        long gso = superFrames.sum();
        long gro = coalescedWrites.sum();
        return String.format(Locale.ROOT, "stats: tap->tunnel %d packets %d bytes, tunnel->tap %d packets %d bytes,"
                + " gso %d super-frames into %d segments (%.1f each), gro %d writes of %d datagrams (%.1f each),"
                + " udp %d sends %d receives, drops %s",
                toTunnelPackets.sum(), toTunnelBytes.sum(), toTapPackets.sum(), toTapBytes.sum(),
                gso, segments.sum(), gso == 0 ? 0.0 : (double) segments.sum() / gso,
                gro, coalescedDatagrams.sum(), gro == 0 ? 0.0 : (double) coalescedDatagrams.sum() / gro,
                udpSends.sum(), udpReceives.sum(), dropped);
    }

    private void drop(String key) {
        drops.computeIfAbsent(key, k -> new LongAdder()).increment();
    }

    private void tapToTunnel(Tap tap, UdpSocket udp, UdpSocket.Sender sender, GeneveHeader header,
            TcpSegmenter segmenter, int tunnelOverhead, PrintWriter err) {
        byte[] geneve = header.toBytes();
        int frameOffset = Math.max(geneve.length, Tap.VNET_HEADER_LENGTH);
        int readOffset = frameOffset - Tap.VNET_HEADER_LENGTH;
        int headerOffset = frameOffset - geneve.length;
        Arena arena = Arena.ofShared();
        MemorySegment buffer = arena.allocate(frameOffset + MAX_GSO_FRAME + 64, 64);
        // a GSO super-frame's segments, each its Geneve and inner headers and its slice of the payload,
        // are laid back to back in `datagrams` for one UDP_SEGMENT send
        MemorySegment datagrams = segmenter == null ? null : arena.allocate(DATAGRAMS_BUFFER, 64);
        // the segmenter writes outer Ethernet, IP and UDP headers in front of each Geneve header: not sent
        int outerHeaders = tunnelOverhead - geneve.length;
        try {
            while (tap.isOpen() && udp.isOpen()) {
                int n;
                try {
                    n = tap.read(buffer, readOffset, buffer.byteSize() - readOffset);
                } catch (IOException e) {
                    if (!tap.isOpen()) {
                        return;
                    }
                    warnOnce("tap-read", e, err);
                    TimeUnit.MILLISECONDS.sleep(10);
                    continue;
                }
                if (n <= Tap.VNET_HEADER_LENGTH) {
                    drop("short-tap-read");
                    continue;
                }
                int frameLength = n - Tap.VNET_HEADER_LENGTH;
                int gsoType = VirtioNetHeader.gsoType(buffer, readOffset) & ~VirtioNetHeader.GSO_ECN;
                if (gsoType != VirtioNetHeader.GSO_NONE) {
                    if (segmenter == null) {
                        drop("gso-without-offload");
                    } else if (gsoType != VirtioNetHeader.GSO_TCPV4 && gsoType != VirtioNetHeader.GSO_TCPV6) {
                        drop("gso-type-" + gsoType);
                    } else {
                        if (!sendSegments(sender, segmenter, buffer, frameOffset, frameLength,
                                VirtioNetHeader.gsoSize(buffer, readOffset), datagrams, outerHeaders, geneve.length, err)) {
                            return;
                        }
                    }
                    continue;
                }
                if ((VirtioNetHeader.flags(buffer, readOffset) & VirtioNetHeader.F_NEEDS_CSUM) != 0
                        && !completeChecksum(buffer, readOffset, frameOffset, frameLength)) {
                    drop("bad-virtio-checksum-offsets");
                    continue;
                }
                // the Geneve header goes in place in front of the frame, over the virtio-net header
                MemorySegment.copy(geneve, 0, buffer, ValueLayout.JAVA_BYTE, headerOffset, geneve.length);
                if (!send(sender, buffer, headerOffset, frameOffset + frameLength - headerOffset, err)) {
                    return;
                }
                toTunnelPackets.increment();
                toTunnelBytes.add(frameLength);
            }
        } catch (InterruptedException stopped) {
            Thread.currentThread().interrupt();
        }
    }

    /** Room for one super-frame's datagrams: its payload plus the headers of over a thousand segments. */
    private static final int DATAGRAMS_BUFFER = 1 << 19;

    /**
     * Completes a partial checksum (virtio-net NEEDS_CSUM, Linux CHECKSUM_PARTIAL): the field at
     * csum_start + csum_offset holds the pseudo-header sum; the checksum covers csum_start to the end.
     *
     * @return false if the offsets point outside the frame
     */
    static boolean completeChecksum(MemorySegment buffer, long vnetHeader, long frame, int frameLength) {
        int start = VirtioNetHeader.csumStart(buffer, vnetHeader);
        int field = start + VirtioNetHeader.csumOffset(buffer, vnetHeader);
        if (field + 2 > frameLength) {
            return false;
        }
        int checksum = InternetChecksum.checksum(buffer, frame + start, frameLength - start);
        // a computed 0 goes out as 0xFFFF, as the kernel's skb_checksum_help does: for UDP, 0 would
        // mean "no checksum" (RFC 768); for TCP the two are the same number in one's complement
        buffer.set(U16_BE, frame + field, (short) (checksum == 0 ? 0xFFFF : checksum));
        return true;
    }

    private static final ValueLayout.OfShort U16_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    /**
     * Cuts one GSO super-frame with the segmenter and sends its segments' Geneve datagrams, all but
     * the last of one size, in as few UDP_SEGMENT sends as the kernel allows.
     *
     * @return false when the socket is closed
     */
    private boolean sendSegments(UdpSocket.Sender sender, TcpSegmenter segmenter, MemorySegment buffer, long frameOffset,
            int frameLength, int gsoSize, MemorySegment datagrams, int outerHeaders, int geneveLength, PrintWriter err) {
        SegmentCursor segment;
        try {
            segment = segmenter.gather(buffer, frameOffset, frameLength, Math.max(1, gsoSize));
        } catch (GeneveFormatException e) {
            drop("gso-" + e.reason().name());
            return true;
        }
        // gather mode: the payload is summed in place and copied once, straight into its datagram
        long to = 0;
        int size = 0;
        while (segment.next()) {
            int headers = segment.headerLength() - outerHeaders;
            int datagram = headers + segment.payloadLength();
            if (to + datagram > datagrams.byteSize()) {
                drop("gso-too-many-segments");
                return true;
            }
            MemorySegment.copy(segment.headers(), outerHeaders, datagrams, to, headers);
            MemorySegment.copy(segment.frame(), segment.payloadOffset(), datagrams, to + headers, segment.payloadLength());
            size = segment.index() == 0 ? datagram : size;
            to += datagram;
        }
        int count = segment.count();
        superFrames.increment();
        segments.add(count);
        try {
            boolean segmenting = sender.segmentation();
            udpSends.add(sender.sendSegments(datagrams, 0, to, size));
            if (segmenting && !sender.segmentation()) {
                err.println("geneve vtep: the kernel refused UDP segmentation (UDP_SEGMENT) towards " + remote
                        + "; sending one datagram per call");
                err.flush();
            }
        } catch (ClosedChannelException stopped) {
            return false;
        } catch (IOException e) {
            warnOnce("udp-send", e, err);
            return true;
        }
        toTunnelPackets.add(count);
        toTunnelBytes.add(to - (long) count * geneveLength);
        return true;
    }

    /** Sends one datagram; false when the socket is closed. */
    private boolean send(UdpSocket.Sender sender, MemorySegment buffer, long offset, long length, PrintWriter err) {
        try {
            sender.send(buffer, offset, length);
            udpSends.increment();
            return true;
        } catch (ClosedChannelException stopped) {
            return false;
        } catch (IOException e) {
            warnOnce("udp-send", e, err);
            return true;
        }
    }

    /** Counts a failure by kind; says the first of each kind on stderr. */
    private void warnOnce(String kind, IOException e, PrintWriter err) {
        LongAdder count = drops.computeIfAbsent(kind, k -> new LongAdder());
        count.increment();
        if (count.sum() == 1) {
            err.println("geneve vtep: " + e.getMessage() + " (counted as drops '" + kind + "' from now on)");
            err.flush();
        }
    }

    private void tunnelToTap(Tap tap, UdpSocket udp, UdpSocket.Receiver receiver, GeneveHeader header,
            TcpCoalescer coalescer, PrintWriter err) {
        int receiveOffset = Tap.VNET_HEADER_LENGTH; // room for the virtio-net header before any payload
        Arena arena = Arena.ofShared();
        MemorySegment buffer = arena.allocate(receiveOffset + 65_536, 64);
        ByteBuffer datagram = buffer.asByteBuffer();
        MemorySegment merged = coalescer == null ? null : arena.allocate(Tap.VNET_HEADER_LENGTH + MAX_GSO_FRAME, 64);
        GeneveView view = new GeneveView();
        ReceiveChecks checks = new ReceiveChecks(header);
        while (tap.isOpen() && udp.isOpen()) {
            int n;
            try {
                n = receiver.receive(buffer, receiveOffset, 65_536, coalescer == null || coalescer.frameCount() == 0);
            } catch (ClosedChannelException stopped) {
                return;
            } catch (IOException e) {
                if (!udp.isOpen()) {
                    return;
                }
                warnOnce("udp-receive", e, err);
                continue;
            }
            if (n < 0) {
                // nothing more waiting: what was merged goes to the kernel now
                flush(tap, coalescer, merged, err);
                continue;
            }
            udpReceives.increment();
            // with UDP GRO one receive may hold several datagrams of one size back to back
            int size = receiver.segmentSize();
            for (int at = receiveOffset, end = receiveOffset + n; at < end; at += size) {
                int length = Math.min(size, end - at);
                datagram.limit(at + length);
                if (!view.tryWrap(datagram, at)) {
                    drop(view.errorReason().name());
                    continue;
                }
                String reason = checks.reason(view);
                if (reason != null) {
                    drop(ReceiveChecks.key(reason));
                    continue;
                }
                if (view.payloadLength() < 14) {
                    drop("runt-frame");
                    continue;
                }
                if (coalescer != null && coalesce(tap, coalescer, buffer, at, length, merged, err)) {
                    continue;
                }
                writePlain(tap, buffer, view.payloadOffset(), view.payloadLength(), err);
            }
        }
    }

    /**
     * Offers a datagram to the coalescer, writing out what it held first when the datagram does not
     * follow on.
     *
     * @return false if the datagram is not TCP the coalescer can take (anything held is written
     *     first, so the kernel sees the peer's order): write it as it is
     */
    private boolean coalesce(Tap tap, TcpCoalescer coalescer, MemorySegment buffer, long offset, int length,
            MemorySegment merged, PrintWriter err) {
        try {
            if (coalescer.addDatagram(buffer, offset, length)) {
                return true;
            }
            flush(tap, coalescer, merged, err);
            return coalescer.addDatagram(buffer, offset, length);
        } catch (GeneveFormatException notTcp) {
            // ARP, ICMP, UDP, fragments, a bad inner checksum: the kernel decides about those
            flush(tap, coalescer, merged, err);
            return false;
        }
    }

    /** Writes the coalescer's frame to the TAP: one GSO write for two or more datagrams. */
    private void flush(Tap tap, TcpCoalescer coalescer, MemorySegment merged, PrintWriter err) {
        if (coalescer == null) {
            return;
        }
        int count = coalescer.frameCount();
        if (count == 0) {
            return;
        }
        long frame = Tap.VNET_HEADER_LENGTH;
        long length = coalescer.finish(merged, frame, count > 1);
        if (count > 1) {
            VirtioNetHeader.writeGso(merged, 0, VirtioNetHeader.F_NEEDS_CSUM,
                    coalescer.ipv4() ? VirtioNetHeader.GSO_TCPV4 : VirtioNetHeader.GSO_TCPV6,
                    coalescer.headerLength(), coalescer.segmentSize(), coalescer.transportOffset(), 16);
            coalescedWrites.increment();
            coalescedDatagrams.add(count);
        } else {
            VirtioNetHeader.writePlain(merged, 0, false);
        }
        try {
            tap.write(merged, 0, length + Tap.VNET_HEADER_LENGTH);
        } catch (IOException e) {
            warnOnce("tap-write", e, err);
            return;
        }
        toTapPackets.add(count);
        toTapBytes.add(length);
    }

    private void writePlain(Tap tap, MemorySegment buffer, long payload, long length, PrintWriter err) {
        VirtioNetHeader.writePlain(buffer, payload - Tap.VNET_HEADER_LENGTH, false);
        try {
            tap.write(buffer, payload - Tap.VNET_HEADER_LENGTH, length + Tap.VNET_HEADER_LENGTH);
        } catch (IOException e) {
            // the TAP is down (EIO) or refuses the frame: count it and go on
            warnOnce("tap-write", e, err);
            return;
        }
        toTapPackets.increment();
        toTapBytes.add(length);
    }
}
