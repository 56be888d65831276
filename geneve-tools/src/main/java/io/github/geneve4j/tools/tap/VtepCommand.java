package io.github.geneve4j.tools.tap;

import io.github.geneve4j.codec.Geneve;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.endpoint.GeneveEndpoint;
import io.github.geneve4j.endpoint.bfd.BfdTimers;
import io.github.geneve4j.endpoint.spi.DatagramTransport;
import io.github.geneve4j.linux.Tap;
import io.github.geneve4j.linux.UdpSocket;
import io.github.geneve4j.netty.NettyTransport;
import io.github.geneve4j.tools.cli.Converters;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code geneve vtep}: a userspace tunnel endpoint between TAP devices (a real kernel's network
 * stack on our side), one per VNI, and Geneve peers over UDP, learning which inner MAC is behind
 * which peer. It parses and prints: the data path is {@link GeneveEndpoint} over
 * {@code geneve-linux}'s {@link Tap} and {@link UdpSocket}.
 *
 * <p>Forms: {@code --tap NAME --vni N} (one VNI), or {@code --tap NAME:VNI} repeated (one TAP per
 * VNI, one UDP socket for all); {@code --remote} repeated for several peers.
 */
@Command(name = "vtep", mixinStandardHelpOptions = true,
        description = {"Run a userspace Geneve tunnel endpoint on TAPs, one per VNI, with many peers.",
            "The kernel's traffic on a TAP is carried over UDP to the peer its destination",
            "MAC was learned behind, or to every peer (broadcast, multicast, unknown",
            "unicast); the peers' traffic goes to the TAP of its VNI.",
            "Needs root (or CAP_NET_ADMIN)."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:stopped after --duration", "2:bad usage, or the TAP or socket cannot be opened"})
public final class VtepCommand implements Callable<Integer> {

    @Option(names = "--tap", required = true, paramLabel = "NAME[:VNI]",
            description = "TAP device to open or create, for --vni; or NAME:VNI, repeatable, a TAP per VNI"
                + " (e.g. --tap red:5000 --tap blue:5001): one UDP socket for them all.")
    List<String> taps = new ArrayList<>();

    @Option(names = "--local", required = true, paramLabel = "ADDR[:PORT]", converter = Converters.SocketConverter.class,
            description = "Local UDP address (port 6081 unless given).")
    InetSocketAddress local;

    @Option(names = "--remote", required = true, paramLabel = "ADDR[:PORT]", converter = Converters.SocketConverter.class,
            description = "A peer's Geneve address (port 6081 unless given). Repeatable: a full mesh gives every"
                + " other host; broadcast, multicast and unknown unicast go to each, the rest to the peer"
                + " its MAC was learned behind.")
    List<InetSocketAddress> remotes = new ArrayList<>();

    @Option(names = "--vni", paramLabel = "N",
            description = "Virtual Network Identifier of a single --tap NAME (default: 5000).")
    Integer vni;

    @Option(names = "--mac-max", defaultValue = "65536", paramLabel = "N",
            description = "MAC table bound per VNI; a flood of source MACs evicts the least recently seen"
                    + " (default: ${DEFAULT-VALUE}).")
    int macMax;

    @Option(names = "--mac-age", defaultValue = "300", paramLabel = "SECONDS",
            description = "A learned MAC not seen for SECONDS is forgotten (default: ${DEFAULT-VALUE}, as a Linux bridge).")
    double macAge;

    @Option(names = "--option", paramLabel = "CLASS:TYPE:HEX", converter = Converters.OptionConverter.class,
            description = "Add a Geneve option to every packet sent. Repeatable.")
    List<GeneveOption> options = new ArrayList<>();

    @Option(names = "--mtu", defaultValue = "1500", description = "Outer (underlay) MTU (default: ${DEFAULT-VALUE}).")
    int mtu;

    @Option(names = "--offload", defaultValue = "off", paramLabel = "on|off",
            description = "Checksum and TSO offload from the kernel (default: ${DEFAULT-VALUE}).")
    String offload;

    @Option(names = "--kernel-filter", defaultValue = "off", paramLabel = "on|off",
            description = "Drop datagrams from non-peers in the kernel (a BPF socket filter), before they wake"
                + " the vtep; they are then counted by the kernel (nstat UdpInErrors) (default: ${DEFAULT-VALUE}).")
    String kernelFilter;
    @Option(names = "--transport", defaultValue = "native", paramLabel = "native|netty",
            description = "UDP side: our FFM socket (native) or Netty's epoll channel (netty); both with UDP_SEGMENT"
                    + " and UDP_GRO (default: ${DEFAULT-VALUE}).")
    String transport;

    @Option(names = "--workers", defaultValue = "1", paramLabel = "N",
            description = "Worker pairs (a receive and a send thread each): a multi-queue TAP (a queue per pair) and"
                    + " N sockets in an SO_REUSEPORT group, flows spread by hash, one flow in one pair; native"
                    + " transport only (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--stats", defaultValue = "0", paramLabel = "SECONDS",
            description = "Print statistics every SECONDS (default: 0, never).")
    double statsSeconds;

    @Option(names = "--duration", defaultValue = "0", paramLabel = "SECONDS",
            description = "Stop after SECONDS (default: 0, run until stopped).")
    double duration;

    @Option(names = "--bfd", description = "Run BFD with each peer inside the tunnel (RFC 5880, RFC 9521, as Open vSwitch's"
            + " bfd:enable=true); stop sending to a peer while its session is down after having been up.")
    boolean bfd;

    @Option(names = "--bfd-min-rx", defaultValue = "1000", paramLabel = "MS",
            description = "BFD Required Min RX Interval in ms (default: ${DEFAULT-VALUE}, as OVS's bfd:min_rx).")
    long bfdMinRx;

    @Option(names = "--bfd-min-tx", defaultValue = "100", paramLabel = "MS",
            description = "BFD Desired Min TX Interval in ms (default: ${DEFAULT-VALUE}, as OVS's bfd:min_tx).")
    long bfdMinTx;

    @Option(names = "--bfd-mult", defaultValue = "3", paramLabel = "N",
            description = "BFD Detect Mult (default: ${DEFAULT-VALUE}, as OVS's bfd:mult).")
    int bfdMult;

    @Option(names = "--bfd-oam", defaultValue = "on", paramLabel = "on|off",
            description = "The Geneve O bit of BFD packets (default: ${DEFAULT-VALUE}, as RFC 9521 says; off sends what"
                    + " OVS sends unless bfd:oam=true). Either is accepted.")
    String bfdOam;

    @Option(names = "--bfd-src-ip", paramLabel = "IPV4", converter = Ipv4Converter.class,
            description = "Inner IPv4 source of BFD packets (default: 169.254.1.1, as OVS's bfd_src_ip).")
    Inet4Address bfdSourceIp;

    @Option(names = "--bfd-dst-ip", paramLabel = "IPV4", converter = Ipv4Converter.class,
            description = "Inner IPv4 destination of BFD packets (default: 169.254.1.0, as OVS's bfd_dst_ip).")
    Inet4Address bfdDestinationIp;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private static final int SOCKET_BUFFER = 4 << 20;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<String> tapNames = new ArrayList<>();
        List<Integer> vnis = new ArrayList<>();
        boolean byVni = taps.stream().anyMatch(t -> t.contains(":"));
        if (byVni && (vni != null || taps.stream().anyMatch(t -> !t.contains(":")))) {
            err.println("geneve vtep: --tap NAME:VNI for every TAP, or one --tap NAME with --vni (expected: one form)");
            return 2;
        }
        if (!byVni && taps.size() > 1) {
            err.println("geneve vtep: several --tap need their VNI each: --tap NAME:VNI");
            return 2;
        }
        for (String t : taps) {
            int colon = t.lastIndexOf(':');
            String name = byVni ? t.substring(0, colon) : t;
            int v;
            try {
                v = byVni ? Integer.parseInt(t.substring(colon + 1)) : (vni != null ? vni : 5000);
            } catch (NumberFormatException e) {
                err.println("geneve vtep: --tap " + t + " (expected: NAME:VNI with a number)");
                return 2;
            }
            if (v < 0 || v > Geneve.MAX_VNI) {
                err.println("geneve vtep: " + (byVni ? "--tap " + t + ": VNI " : "--vni ") + v
                        + " is out of range (0..16777215)");
                return 2;
            }
            if (name.isEmpty() || vnis.contains(v) || tapNames.contains(name)) {
                err.println("geneve vtep: --tap " + t + " (expected: a name, each TAP and each VNI once)");
                return 2;
            }
            tapNames.add(name);
            vnis.add(v);
        }
        if (macMax < 1 || macMax > 1 << 24 || !(macAge > 0) || macAge > 1e8) {
            err.println("geneve vtep: --mac-max " + macMax + " --mac-age " + macAge
                    + " (expected: 1..16777216 entries, a positive age in seconds)");
            return 2;
        }
        if (!offload.equals("off") && !offload.equals("on")) {
            err.println("geneve vtep: --offload " + offload + " (expected: on or off)");
            return 2;
        }
        if (!transport.equals("native") && !transport.equals("netty")) {
            err.println("geneve vtep: --transport " + transport + " (expected: native or netty)");
            return 2;
        }
        if (workers < 1 || workers > UdpSocket.MAX_GROUP || (workers > 1 && transport.equals("netty"))) {
            err.println("geneve vtep: --workers " + workers + " (expected: 1.." + UdpSocket.MAX_GROUP
                    + ", and 1 with --transport netty)");
            return 2;
        }
        boolean offloads = offload.equals("on");
        if (!kernelFilter.equals("off") && !kernelFilter.equals("on")) {
            err.println("geneve vtep: --kernel-filter " + kernelFilter + " (expected: on or off)");
            return 2;
        }
        if (!bfdOam.equals("off") && !bfdOam.equals("on")) {
            err.println("geneve vtep: --bfd-oam " + bfdOam + " (expected: on or off)");
            return 2;
        }
        BfdTimers timers;
        try {
            timers = BfdTimers.ofMillis(bfdMinTx, bfdMinRx, bfdMult);
        } catch (IllegalArgumentException e) {
            err.println("geneve vtep: --bfd-min-tx/--bfd-min-rx/--bfd-mult: " + e.getMessage());
            return 2;
        }
        GeneveHeader header = GeneveHeader.of(ProtocolType.ETHERNET, vnis.get(0), options);
        boolean v4 = local.getAddress() instanceof Inet4Address;
        for (InetSocketAddress remote : remotes) {
            if (v4 != remote.getAddress() instanceof Inet4Address) {
                err.println("geneve vtep: --local " + local + " and --remote " + remote + " are not of one IP version");
                return 2;
            }
        }
        if (remotes.stream().distinct().count() < remotes.size()) {
            err.println("geneve vtep: a --remote given twice: " + remotes);
            return 2;
        }
        int overhead = 14 + (v4 ? 20 : 40) + 8 + header.encodedLength();
        if (mtu < overhead + 68 || mtu > 65_535) {
            err.println("geneve vtep: --mtu " + mtu + " out of range (expected: " + (overhead + 68) + "..65535)");
            return 2;
        }
        // one list of queues per TAP: a single-queue TAP for one worker pair (as before), else multi-queue
        List<List<Tap>> opened = new ArrayList<>();
        int flags = offloads ? Tap.TUN_F_CSUM | Tap.TUN_F_TSO4 | Tap.TUN_F_TSO6 : 0;
        try {
            for (String name : tapNames) {
                opened.add(workers == 1 ? List.of(Tap.open(name, flags)) : Tap.openQueues(name, flags, workers));
            }
        } catch (IOException | UnsatisfiedLinkError e) {
            closeAll(opened);
            err.println("geneve vtep: " + e.getMessage());
            return 2;
        }
        List<DatagramTransport> sockets;
        try {
            // a burst of segments from one super-frame must not overflow the peer's socket: ask for
            // large buffers (the kernel caps them at net.core.rmem_max / wmem_max)
            sockets = transport.equals("netty") ? List.of(NettyTransport.open(local, SOCKET_BUFFER))
                    : List.copyOf(UdpSocket.openGroup(local, SOCKET_BUFFER, workers));
        } catch (IOException e) {
            closeAll(opened);
            err.println("geneve vtep: cannot bind UDP " + local + ": " + e.getMessage());
            return 2;
        }
        GeneveEndpoint endpoint;
        try {
            GeneveEndpoint.Builder builder = GeneveEndpoint.builder().transports(sockets)
                    .macTable(macMax, Duration.ofMillis(Math.max(1, (long) (macAge * 1000))))
                    .options(options).mtu(Math.max(576, mtu)).offload(offloads).kernelFilter(kernelFilter.equals("on"))
                    .onWarning(message -> {
                        err.println("geneve vtep: " + message);
                        err.flush();
                    });
            remotes.forEach(builder::peer);
            if (byVni) {
                for (int i = 0; i < opened.size(); i++) {
                    builder.network(vnis.get(i), opened.get(i));
                }
            } else {
                builder.devices(opened.get(0)).vni(vnis.get(0));
            }
            if (bfd) {
                builder.bfd(timers).bfdOam(bfdOam.equals("on")).bfdListener((peer, from, to, diagnostic) -> {
                    out.printf(Locale.ROOT, "bfd %s: %s -> %s (%s)%n", peer.getAddress().getHostAddress() + ":" + peer.getPort(), key(from), key(to),
                            key(diagnostic));
                    out.flush();
                });
                if (bfdSourceIp != null || bfdDestinationIp != null) {
                    builder.bfdInnerAddresses(bfdSourceIp != null ? bfdSourceIp : ipv4("169.254.1.1"),
                            bfdDestinationIp != null ? bfdDestinationIp : ipv4("169.254.1.0"));
                }
            }
            endpoint = builder.start();
        } catch (IllegalStateException | IllegalArgumentException e) {
            closeAll(opened);
            for (DatagramTransport socket : sockets) {
                socket.close();
            }
            err.println("geneve vtep: " + e.getMessage());
            return 2;
        }
        try (endpoint) {
            String peers = remotes.size() == 1 ? remotes.get(0).toString() : remotes.toString();
            if (byVni) {
                StringBuilder t = new StringBuilder();
                for (int i = 0; i < tapNames.size(); i++) {
                    t.append(i == 0 ? "" : ", ").append(tapNames.get(i)).append(" VNI ").append(vnis.get(i));
                }
                out.printf(Locale.ROOT, "vtep %s <-> %s, offload %s%s; set the TAP's MTU to %d (outer MTU %d - %d)%n",
                        t, peers, offload, pairs(), mtu - overhead, mtu, overhead);
            } else {
                out.printf(Locale.ROOT, "vtep %s <-> %s, VNI %d, offload %s%s; set the TAP's MTU to %d (outer MTU %d - %d)%n",
                        tapNames.get(0), peers, vnis.get(0), offload, pairs(), mtu - overhead, mtu, overhead);
            }
            out.printf(Locale.ROOT, "mac table: %d entries per VNI, age %s s%n", macMax, fmt(macAge));
            if (bfd) {
                out.printf(Locale.ROOT, "bfd on: min_tx %d ms, min_rx %d ms, mult %d, O bit %s%n", bfdMinTx, bfdMinRx,
                        bfdMult, bfdOam.equals("on") ? 1 : 0);
            }
            out.flush();
            long end = duration > 0 ? System.nanoTime() + (long) (duration * 1e9) : Long.MAX_VALUE;
            long period = statsSeconds > 0 ? (long) (statsSeconds * 1e9) : Long.MAX_VALUE;
            long nextStats = statsSeconds > 0 ? System.nanoTime() + period : Long.MAX_VALUE;
            while (System.nanoTime() < end && endpoint.isRunning()) {
                long wake = Math.min(end, nextStats);
                endpoint.awaitStop(Duration.ofNanos(Math.max(1, Math.min(wake - System.nanoTime(), 1_000_000_000L))));
                if (System.nanoTime() >= nextStats) {
                    var stats = endpoint.stats();
                    out.println(stats.format());
                    out.println(stats.formatMesh());
                    out.flush();
                    nextStats += period;
                }
            }
            var stats = endpoint.stats();
            out.println(stats.format());
            out.println(stats.formatMesh());
            out.flush();
            return 0; // a failed endpoint throws from close(): one line on stderr, exit code 2
        }
    }

    private static void closeAll(List<List<Tap>> taps) {
        for (List<Tap> queues : taps) {
            for (Tap t : queues) {
                try {
                    t.close();
                } catch (RuntimeException ignored) {
                    // best effort on the way out
                }
            }
        }
    }

    /** ", 2 worker pairs" when there are several: the TAP is multi-queue then. */
    private String pairs() {
        return workers == 1 ? "" : ", " + workers + " worker pairs";
    }

    private static String fmt(double seconds) {
        return seconds == Math.rint(seconds) ? String.valueOf((long) seconds) : String.valueOf(seconds);
    }

    /** A state or diagnostic as printed: lower case with dashes, {@code admin-down}. */
    private static String key(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static Inet4Address ipv4(String literal) {
        try {
            return (Inet4Address) java.net.InetAddress.getByName(literal);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e); // a literal is never looked up
        }
    }

    /** A dotted IPv4 literal (never a name to look up). */
    static final class Ipv4Converter implements CommandLine.ITypeConverter<Inet4Address> {
        @Override
        public Inet4Address convert(String value) {
            if (!value.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not an IPv4 address");
            }
            try {
                return (Inet4Address) java.net.InetAddress.getByName(value);
            } catch (java.net.UnknownHostException | ClassCastException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not an IPv4 address");
            }
        }
    }
}
