package io.github.geneve4j.tools.tap;

import io.github.geneve4j.codec.Geneve;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.GeneveView;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.tools.cli.Converters;
import io.github.geneve4j.tools.demo.ReceiveChecks;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
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
    private final Map<String, LongAdder> drops = new ConcurrentHashMap<>();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (vni < 0 || vni > Geneve.MAX_VNI) {
            err.println("geneve vtep: --vni " + vni + " is out of range (0..16777215)");
            return 2;
        }
        if (!offload.equals("off")) {
            // offload needs the segmentation helper for GSO super-frames; until it is wired in, refuse
            // rather than pass frames the peer cannot take
            err.println("geneve vtep: --offload " + offload + " is not supported yet; use --offload off");
            return 2;
        }
        GeneveHeader header = GeneveHeader.of(ProtocolType.ETHERNET, vni, options);
        boolean v4 = local.getAddress() instanceof Inet4Address;
        int overhead = 14 + (v4 ? 20 : 40) + 8 + header.encodedLength();
        Tap tap;
        try {
            tap = Tap.open(tapName, 0);
        } catch (IOException | UnsatisfiedLinkError e) {
            err.println("geneve vtep: " + e.getMessage());
            return 2;
        }
        try (Tap device = tap;
                DatagramChannel channel = DatagramChannel.open(v4 ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6)) {
            try {
                channel.bind(local);
            } catch (IOException e) {
                err.println("geneve vtep: cannot bind UDP " + local + ": " + e.getMessage());
                return 2;
            }
            out.printf(Locale.ROOT, "vtep %s <-> %s, VNI %d, offload %s; set the TAP's MTU to %d (outer MTU %d - %d)%n",
                    tapName, remote, vni, offload, mtu - overhead, mtu, overhead);
            out.flush();
            Thread.ofPlatform().name("vtep-tap-to-tunnel").daemon().start(() -> tapToTunnel(device, channel, header, err));
            Thread.ofPlatform().name("vtep-tunnel-to-tap").daemon().start(() -> tunnelToTap(device, channel, header, err));
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
        return String.format(Locale.ROOT, "stats: tap->tunnel %d packets %d bytes, tunnel->tap %d packets %d bytes, drops %s",
                toTunnelPackets.sum(), toTunnelBytes.sum(), toTapPackets.sum(), toTapBytes.sum(), dropped);
    }

    private void drop(String key) {
        drops.computeIfAbsent(key, k -> new LongAdder()).increment();
    }

    private void tapToTunnel(Tap tap, DatagramChannel channel, GeneveHeader header, PrintWriter err) {
        byte[] geneve = header.toBytes();
        int frameOffset = Math.max(geneve.length, Tap.VNET_HEADER_LENGTH);
        int readOffset = frameOffset - Tap.VNET_HEADER_LENGTH;
        int headerOffset = frameOffset - geneve.length;
        MemorySegment buffer = Arena.ofShared().allocate(frameOffset + 65_536 + 64, 64);
        ByteBuffer datagram = buffer.asByteBuffer();
        try {
            while (tap.isOpen() && channel.isOpen()) {
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
                if (VirtioNetHeader.gsoType(buffer, readOffset) != VirtioNetHeader.GSO_NONE) {
                    drop("gso-without-offload");
                    continue;
                }
                int frameLength = n - Tap.VNET_HEADER_LENGTH;
                // the Geneve header goes in place in front of the frame, over the virtio-net header
                MemorySegment.copy(geneve, 0, buffer, ValueLayout.JAVA_BYTE, headerOffset, geneve.length);
                datagram.limit(frameOffset + frameLength).position(headerOffset);
                try {
                    channel.send(datagram, remote);
                } catch (ClosedChannelException stopped) {
                    return;
                } catch (IOException e) {
                    warnOnce("udp-send", e, err);
                    continue;
                }
                toTunnelPackets.increment();
                toTunnelBytes.add(frameLength);
            }
        } catch (InterruptedException stopped) {
            Thread.currentThread().interrupt();
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

    private void tunnelToTap(Tap tap, DatagramChannel channel, GeneveHeader header, PrintWriter err) {
        int receiveOffset = Tap.VNET_HEADER_LENGTH; // room for the virtio-net header before any payload
        MemorySegment buffer = Arena.ofShared().allocate(receiveOffset + 65_536, 64);
        ByteBuffer datagram = buffer.asByteBuffer();
        GeneveView view = new GeneveView();
        ReceiveChecks checks = new ReceiveChecks(header);
        while (tap.isOpen() && channel.isOpen()) {
            datagram.clear().position(receiveOffset);
            try {
                channel.receive(datagram);
            } catch (ClosedChannelException stopped) {
                return;
            } catch (IOException e) {
                warnOnce("udp-receive", e, err);
                continue;
            }
            datagram.limit(datagram.position());
            if (!view.tryWrap(datagram, receiveOffset)) {
                drop(view.errorReason().name());
                continue;
            }
            String reason = checks.reason(view);
            if (reason != null) {
                drop(ReceiveChecks.key(reason));
                continue;
            }
            long payload = view.payloadOffset();
            long length = view.payloadLength();
            if (length < 14) {
                drop("runt-frame");
                continue;
            }
            VirtioNetHeader.writePlain(buffer, payload - Tap.VNET_HEADER_LENGTH, false);
            try {
                tap.write(buffer, payload - Tap.VNET_HEADER_LENGTH, length + Tap.VNET_HEADER_LENGTH);
            } catch (IOException e) {
                // the TAP is down (EIO) or refuses the frame: count it and go on
                warnOnce("tap-write", e, err);
                continue;
            }
            toTapPackets.increment();
            toTapBytes.add(length);
        }
    }
}
