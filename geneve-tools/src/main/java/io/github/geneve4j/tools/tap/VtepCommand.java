package io.github.geneve4j.tools.tap;

import io.github.geneve4j.codec.Geneve;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.endpoint.GeneveEndpoint;
import io.github.geneve4j.endpoint.bfd.BfdTimers;
import io.github.geneve4j.endpoint.spi.DatagramTransport;
import io.github.geneve4j.linux.Tap;
import io.github.geneve4j.linux.UdpSocket;
import io.github.geneve4j.netty.NettyTransport;
import io.github.geneve4j.tools.cli.Converters;
import io.github.geneve4j.tools.cli.OnOff;
import io.github.geneve4j.tools.cli.StatsLoop;
import io.github.geneve4j.tools.metrics.MetricsServer;
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
            converter = TapSpec.Converter.class,
            description = "TAP device to open or create, for --vni; or NAME:VNI, repeatable, a TAP per VNI"
                + " (e.g. --tap red:5000 --tap blue:5001): one UDP socket for them all.")
    List<TapSpec> taps = new ArrayList<>();

    @Option(names = "--local", required = true, paramLabel = "ADDR[:PORT]", converter = Converters.SocketConverter.class,
            description = "Local UDP address (port 6081 unless given).")
    InetSocketAddress local;

    @Option(names = "--remote", required = true, paramLabel = "ADDR[:PORT]", converter = Converters.SocketConverter.class,
            description = "A peer's Geneve address (port 6081 unless given). Repeatable: a full mesh gives every"
                + " other host; broadcast, multicast and unknown unicast go to each, the rest to the peer"
                + " its MAC was learned behind.")
    List<InetSocketAddress> remotes = new ArrayList<>();

    @Option(names = "--vni", paramLabel = "N", converter = VniConverter.class,
            description = "Virtual Network Identifier of a single --tap NAME (default: 5000).")
    Integer vni;

    @Option(names = "--mac-max", defaultValue = "65536", paramLabel = "N",
            description = "MAC table bound per VNI; a flood of source MACs evicts the least recently seen"
                    + " (default: ${DEFAULT-VALUE}).")
    int macMax;

    @Option(names = "--mac-max-per-peer", paramLabel = "N",
            description = "The most MAC entries one peer may hold per VNI, so that a peer flooding source MACs"
                    + " cannot evict the others' (default: half of --mac-max).")
    Integer macMaxPerPeer;

    @Option(names = "--mac-age", defaultValue = "300", paramLabel = "SECONDS", converter = AgeConverter.class,
            description = "A learned MAC not seen for SECONDS is forgotten (default: ${DEFAULT-VALUE}, as a Linux bridge).")
    Duration macAge;

    @Option(names = "--option", paramLabel = "CLASS:TYPE:HEX", converter = Converters.OptionConverter.class,
            description = "Add a Geneve option to every packet sent. Repeatable.")
    List<GeneveOption> options = new ArrayList<>();

    @Option(names = "--mtu", defaultValue = "1500", description = "Outer (underlay) MTU (default: ${DEFAULT-VALUE}).")
    int mtu;

    @Option(names = "--offload", defaultValue = "off", paramLabel = "on|off", converter = OnOff.Converter.class,
            description = "Checksum and TSO offload from the kernel (default: ${DEFAULT-VALUE}).")
    OnOff offload;

    @Option(names = "--kernel-filter", defaultValue = "off", paramLabel = "on|off", converter = OnOff.Converter.class,
            description = "Drop datagrams from non-peers in the kernel (a BPF socket filter), before they wake"
                + " the vtep; they are then counted by the kernel (nstat UdpInErrors) (default: ${DEFAULT-VALUE}).")
    OnOff kernelFilter;

    @Option(names = "--transport", defaultValue = "native", paramLabel = "native|netty", converter = Transport.Converter.class,
            description = "UDP side: our FFM socket (native) or Netty's epoll channel (netty); both with UDP_SEGMENT"
                    + " and UDP_GRO (default: ${DEFAULT-VALUE}).")
    Transport transport;

    @Option(names = "--workers", defaultValue = "1", paramLabel = "N",
            description = "Worker pairs (a receive and a send thread each): a multi-queue TAP (a queue per pair) and"
                    + " N sockets in an SO_REUSEPORT group, flows spread by hash, one flow in one pair; native"
                    + " transport only (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--stats", defaultValue = "0", paramLabel = "SECONDS",
            description = "Print statistics every SECONDS (default: 0, never).")
    double statsSeconds;

    @Option(names = "--metrics", paramLabel = "ADDR:PORT", converter = Converters.MetricsAddressConverter.class,
            description = "Serve Prometheus metrics at http://ADDR:PORT/metrics (e.g. 127.0.0.1:9464; default: off).")
    InetSocketAddress metrics;

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

    @Option(names = "--bfd-oam", defaultValue = "on", paramLabel = "on|off", converter = OnOff.Converter.class,
            description = "The Geneve O bit of BFD packets (default: ${DEFAULT-VALUE}, as RFC 9521 says; off sends what"
                    + " OVS sends unless bfd:oam=true). Either is accepted unless --bfd-require-oam.")
    OnOff bfdOam;

    @Option(names = "--bfd-require-oam", defaultValue = "off", paramLabel = "on|off", converter = OnOff.Converter.class,
            description = "Take a BFD packet only with the Geneve O bit set (default: ${DEFAULT-VALUE}, since OVS clears"
                    + " it unless bfd:oam=true): through a peer that does not filter its tenants (OVS), the only"
                    + " protection from a tenant's BFD-looking frames.")
    OnOff bfdRequireOam;

    @Option(names = "--bfd-src-ip", paramLabel = "IPV4", converter = Ipv4Converter.class,
            description = "Inner IPv4 source of BFD packets (default: 169.254.1.1, as OVS's bfd_src_ip); given, a"
                    + " received packet must come from it too.")
    Inet4Address bfdSourceIp;

    @Option(names = "--bfd-dst-ip", paramLabel = "IPV4", converter = Ipv4Converter.class,
            description = "Inner IPv4 destination of BFD packets (default: 169.254.1.0, as OVS's bfd_dst_ip); a"
                    + " received packet must be addressed to it (and to 00:23:20:00:00:01).")
    Inet4Address bfdDestinationIp;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private static final int SOCKET_BUFFER = 4 << 20;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        // what picocli's converters cannot see alone: how the options fit together; all before opening anything
        boolean byVni = taps.stream().anyMatch(t -> t.vni() != null);
        if (byVni && (vni != null || taps.stream().anyMatch(t -> t.vni() == null))) {
            return usage(err, "--tap NAME:VNI for every TAP, or one --tap NAME with --vni (expected: one form)");
        }
        if (!byVni && taps.size() > 1) {
            return usage(err, "several --tap need their VNI each: --tap NAME:VNI");
        }
        List<TapSpec> networks = byVni ? taps : List.of(new TapSpec(taps.get(0).name(), vni != null ? vni : 5000));
        if (networks.stream().map(TapSpec::name).distinct().count() < networks.size()
                || networks.stream().map(TapSpec::vni).distinct().count() < networks.size()) {
            return usage(err, "--tap " + String.join(" --tap ", taps.stream().map(TapSpec::toString).toList())
                    + " (expected: each TAP and each VNI once)");
        }
        if (workers < 1 || workers > UdpSocket.MAX_GROUP || (workers > 1 && transport == Transport.NETTY)) {
            return usage(err, "--workers " + workers + " (expected: 1.." + UdpSocket.MAX_GROUP
                    + ", and 1 with --transport netty)");
        }
        boolean v4 = local.getAddress() instanceof Inet4Address;
        for (InetSocketAddress remote : remotes) {
            if (v4 != remote.getAddress() instanceof Inet4Address) {
                return usage(err, "--local " + local + " and --remote " + remote + " are not of one IP version");
            }
        }
        StatsLoop loop;
        GeneveEndpoint.Builder builder;
        try {
            loop = new StatsLoop(statsSeconds, duration);
            // the engine's builder checks each value it takes (MTU, MAC table, options, peers, BFD timers)
            builder = GeneveEndpoint.builder().macTable(macMax, macAge).options(options).mtu(mtu)
                    .offload(offload.on()).kernelFilter(kernelFilter.on());
            remotes.forEach(builder::peer);
            if (macMaxPerPeer != null) {
                if (macMaxPerPeer > macMax) {
                    return usage(err, "--mac-max-per-peer " + macMaxPerPeer + " (expected: 1..--mac-max " + macMax + ")");
                }
                builder.macMaxPerPeer(macMaxPerPeer);
            }
            if (bfd) {
                builder.bfd(BfdTimers.ofMillis(bfdMinTx, bfdMinRx, bfdMult)).bfdOam(bfdOam.on())
                        .bfdRequireOam(bfdRequireOam.on());
                if (bfdSourceIp != null) {
                    // a source given is checked on receipt, as OVS checks bfd_src_ip only when set
                    builder.bfdInnerAddresses(bfdSourceIp, bfdDestinationIp != null ? bfdDestinationIp : ipv4("169.254.1.0"));
                } else if (bfdDestinationIp != null) {
                    builder.bfdInnerDestination(bfdDestinationIp);
                }
            }
        } catch (IllegalArgumentException e) {
            return usage(err, e.getMessage());
        }
        // one list of queues per TAP: a single-queue TAP for one worker pair (as before), else multi-queue
        List<List<Tap>> opened = new ArrayList<>();
        int flags = offload.on() ? Tap.TUN_F_CSUM | Tap.TUN_F_TSO4 | Tap.TUN_F_TSO6 : 0;
        try {
            for (TapSpec tap : networks) {
                opened.add(workers == 1 ? List.of(Tap.open(tap.name(), flags)) : Tap.openQueues(tap.name(), flags, workers));
            }
        } catch (IOException | UnsatisfiedLinkError e) {
            closeAll(opened);
            return usage(err, e.getMessage());
        }
        List<DatagramTransport> sockets;
        try {
            // a burst of segments from one super-frame must not overflow the peer's socket: ask for
            // large buffers (the kernel caps them at net.core.rmem_max / wmem_max)
            sockets = transport == Transport.NETTY ? List.of(NettyTransport.open(local, SOCKET_BUFFER))
                    : List.copyOf(UdpSocket.openGroup(local, SOCKET_BUFFER, workers));
        } catch (IOException e) {
            closeAll(opened);
            return usage(err, "cannot bind UDP " + local + ": " + e.getMessage());
        }
        GeneveEndpoint endpoint;
        try {
            builder.transports(sockets).onWarning(message -> {
                err.println("geneve vtep: " + message);
                err.flush();
            });
            if (byVni) {
                for (int i = 0; i < opened.size(); i++) {
                    builder.network(networks.get(i).vni(), opened.get(i));
                }
            } else {
                builder.devices(opened.get(0)).vni(networks.get(0).vni());
            }
            if (bfd) {
                builder.bfdListener((peer, from, to, diagnostic) -> {
                    out.printf(Locale.ROOT, "bfd %s: %s -> %s (%s)%n", peer.getAddress().getHostAddress() + ":" + peer.getPort(), key(from), key(to),
                            key(diagnostic));
                    out.flush();
                });
            }
            endpoint = builder.start();
        } catch (IllegalStateException | IllegalArgumentException e) {
            closeAll(opened);
            for (DatagramTransport socket : sockets) {
                socket.close();
            }
            return usage(err, e.getMessage());
        }
        MetricsServer metricsServer = null;
        try (endpoint) {
            if (metrics != null) {
                try {
                    metricsServer = MetricsServer.start(metrics, endpoint::stats);
                } catch (IOException e) {
                    return usage(err, "--metrics: " + e.getMessage());
                }
            }
            String peers = remotes.size() == 1 ? remotes.get(0).toString() : remotes.toString();
            String where = byVni ? String.join(", ", networks.stream().map(t -> t.name() + " VNI " + t.vni()).toList())
                    : networks.get(0).name();
            // the overhead is the engine's: inner Ethernet, Geneve with its options, UDP, outer IP
            out.printf(Locale.ROOT, "vtep %s <-> %s%s, offload %s%s; set the TAP's MTU to %d (outer MTU %d - %d)%n",
                    where, peers, byVni ? "" : ", VNI " + networks.get(0).vni(), offload, pairs(), endpoint.innerMtu(),
                    mtu, endpoint.overhead());
            out.printf(Locale.ROOT, "mac table: %d entries per VNI, age %s s, %d per peer%n", macMax, fmt(macAge),
                    macMaxPerPeer != null ? macMaxPerPeer : Math.max(1, macMax / 2));
            if (bfd) {
                out.printf(Locale.ROOT, "bfd on: min_tx %d ms, min_rx %d ms, mult %d, O bit %s%s%n", bfdMinTx, bfdMinRx,
                        bfdMult, bfdOam.on() ? 1 : 0, bfdRequireOam.on() ? ", O bit required" : "");
            }
            if (metricsServer != null) {
                out.printf(Locale.ROOT, "metrics on http://%s%s%n", address(metricsServer.address()), MetricsServer.PATH);
            }
            out.flush();
            loop.run(endpoint::awaitStop, () -> {
                var stats = endpoint.stats();
                out.println(stats.format());
                out.println(stats.formatMesh());
                out.flush();
            });
            return 0; // a failed endpoint throws from close(): one line on stderr, exit code 2
        } finally {
            if (metricsServer != null) {
                metricsServer.close();
            }
        }
    }

    /** One line on stderr, exit code 2. */
    private static int usage(PrintWriter err, String message) {
        err.println("geneve vtep: " + message);
        return 2;
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

    private static String fmt(Duration age) {
        long millis = age.toMillis();
        return millis % 1000 == 0 ? String.valueOf(millis / 1000) : String.valueOf(millis / 1000.0);
    }

    private static String address(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (a.getAddress() instanceof java.net.Inet6Address ? "[" + host + "]" : host) + ":" + a.getPort();
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

    /** {@code --tap NAME} (no VNI: {@code --vni}'s) or {@code --tap NAME:VNI}. */
    record TapSpec(String name, Integer vni) {

        @Override
        public String toString() {
            return vni == null ? name : name + ":" + vni;
        }

        /** {@code NAME} or {@code NAME:VNI}, the VNI 0..16777215. */
        static final class Converter implements CommandLine.ITypeConverter<TapSpec> {
            @Override
            public TapSpec convert(String value) {
                int colon = value.lastIndexOf(':');
                String name = colon < 0 ? value : value.substring(0, colon);
                if (name.isEmpty()) {
                    throw new CommandLine.TypeConversionException("'" + value + "' (expected: NAME or NAME:VNI)");
                }
                if (colon < 0) {
                    return new TapSpec(name, null);
                }
                try {
                    return new TapSpec(name, VtepCommand.vni(value.substring(colon + 1)));
                } catch (CommandLine.TypeConversionException e) {
                    throw new CommandLine.TypeConversionException("'" + value + "': " + e.getMessage()
                            + " (expected: NAME:VNI)");
                }
            }
        }
    }

    /** A VNI: a decimal number 0..16777215. */
    static final class VniConverter implements CommandLine.ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            return vni(value);
        }
    }

    static int vni(String text) {
        int v;
        try {
            v = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("VNI '" + text + "' is not a number");
        }
        if (v < 0 || v > Geneve.MAX_VNI) {
            throw new CommandLine.TypeConversionException("VNI " + v + " is out of range (0.." + Geneve.MAX_VNI + ")");
        }
        return v;
    }

    /** A positive number of seconds, at most 10^8 (three years), to the millisecond. */
    static final class AgeConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            double seconds;
            try {
                seconds = Double.parseDouble(value);
            } catch (NumberFormatException e) {
                seconds = Double.NaN;
            }
            if (!(seconds > 0) || seconds > 1e8) {
                throw new CommandLine.TypeConversionException("'" + value + "' (expected: a positive age in seconds)");
            }
            return Duration.ofMillis(Math.max(1, (long) (seconds * 1000)));
        }
    }

    /** The UDP side. */
    enum Transport {
        /** geneve-linux's FFM socket. */
        NATIVE,
        /** geneve-netty's epoll channel. */
        NETTY;

        /** {@code native} or {@code netty}. */
        static final class Converter implements CommandLine.ITypeConverter<Transport> {
            @Override
            public Transport convert(String value) {
                return switch (value) {
                    case "native" -> NATIVE;
                    case "netty" -> NETTY;
                    default -> throw new CommandLine.TypeConversionException("'" + value + "' (expected: native or netty)");
                };
            }
        }
    }}
