package io.github.geneve4j.tools.demo;

import io.github.geneve4j.codec.Geneve;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.endpoint.EndpointStats;
import io.github.geneve4j.endpoint.FrameHandler;
import io.github.geneve4j.endpoint.GeneveEndpoint;
import io.github.geneve4j.endpoint.ReceivedFrame;
import io.github.geneve4j.endpoint.spi.ChannelTransport;
import io.github.geneve4j.pcap.LinkType;
import io.github.geneve4j.pcap.PcapWriter;
import io.github.geneve4j.tools.cli.Converters;
import java.io.PrintWriter;
import java.net.BindException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The tunnel commands: {@code demo}, {@code ping} and {@code responder}. */
public final class TunnelCommands {

    private TunnelCommands() {
    }

    static final int HOST_A = VirtualHost.parseIp("10.0.0.1");
    static final int HOST_B = VirtualHost.parseIp("10.0.0.2");

    /** How to ping: shared by {@code demo} and {@code ping}. */
    static class PingOptions {
        @Option(names = "--count", defaultValue = "5", description = "Echo requests to send (default: ${DEFAULT-VALUE}).")
        int count;

        @Option(names = "--interval", defaultValue = "1.0", description = "Seconds between requests (default: ${DEFAULT-VALUE}).")
        double interval;

        @Option(names = "--timeout", defaultValue = "2.0", description = "Seconds to wait for each reply (default: ${DEFAULT-VALUE}).")
        double timeout;

        VirtualHost.PingResult run(VirtualHost host, int target, PrintWriter out) throws InterruptedException {
            return host.ping(target, count, nanos(interval), nanos(timeout), out);
        }
    }

    /** Options every tunnel command shares. */
    static class TunnelOptions {
        @Option(names = "--vni", defaultValue = "5000", description = "Virtual Network Identifier (default: ${DEFAULT-VALUE}).")
        int vni;

        @Option(names = "--option", paramLabel = "CLASS:TYPE:HEX", converter = Converters.OptionConverter.class,
                description = "Add a Geneve option to every packet sent, e.g. 0xffff:0x80:a1b2c3d4. Repeatable.")
        List<GeneveOption> options = new ArrayList<>();

        GeneveHeader header() {
            if (vni < 0 || vni > Geneve.MAX_VNI) {
                throw new CommandLine.ParameterException(new CommandLine(this),
                        "--vni " + vni + " is out of range (0..16777215)");
            }
            return GeneveHeader.of(ProtocolType.ETHERNET, vni, options);
        }

        /** An endpoint described by these options, with a virtual host's frames as its inner side. */
        GeneveEndpoint.Builder endpoint(FrameHandler handler) {
            header(); // checks the VNI with the command's message
            return GeneveEndpoint.builder().vni(vni).options(options).handler(handler);
        }
    }

    /** The virtual host behind an endpoint: frames for it come from the endpoint, answers go back through it. */
    static final class HostSide implements FrameHandler {
        private volatile VirtualHost host;
        private volatile GeneveEndpoint endpoint;

        void attach(VirtualHost host, GeneveEndpoint endpoint) {
            this.host = host;
            this.endpoint = endpoint;
        }

        @Override
        public void onFrame(ReceivedFrame frame) {
            VirtualHost h = host;
            GeneveEndpoint e = endpoint;
            if (h != null && e != null) {
                h.receive(frame, (buffer, offset, length) -> e.reply(frame, buffer, offset, length));
            }
        }
    }

    /** Prints the drops an endpoint counted, one line on {@code err}, if there were any. */
    static void reportDrops(String command, GeneveEndpoint endpoint, PrintWriter err) {
        EndpointStats stats = endpoint.stats();
        if (stats.totalDrops() > 0) {
            StringBuilder line = new StringBuilder("geneve " + command + ": dropped " + stats.totalDrops() + " datagram(s):");
            stats.drops().forEach((reason, count) -> line.append(' ').append(EndpointStats.key(reason)).append('=')
                    .append(count));
            err.println(line);
            err.flush();
        }
    }

    static int[] hostAndPrefix(String text) {
        String[] parts = text.split("/", -1);
        int prefix = parts.length == 2 ? Integer.parseInt(parts[1]) : 24;
        if (parts.length > 2 || prefix < 0 || prefix > 32) {
            throw new IllegalArgumentException("'" + text + "' is not ADDR/PREFIX");
        }
        return new int[] {VirtualHost.parseIp(parts[0]), prefix};
    }

    static long nanos(double seconds) {
        return (long) (seconds * 1e9);
    }

    @Command(name = "demo", mixinStandardHelpOptions = true,
            description = {"Ping between two virtual hosts through a Geneve tunnel, all in one process.",
                "Two tunnel endpoints over UDP on loopback (127.0.0.1 and 127.0.0.2, port 6081, or free ports if "
                        + "taken), each with a virtual host (10.0.0.1, 10.0.0.2): ARP, then ICMP echo from 10.0.0.1 to "
                        + "10.0.0.2 through the tunnel, printed like ping."},
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {"0:every echo answered", "1:some echo unanswered", "2:bad usage or setup failure"})
    public static final class Demo extends TunnelOptions implements Callable<Integer> {
        @CommandLine.Mixin
        PingOptions ping = new PingOptions();

        @Option(names = "--pcap", paramLabel = "FILE",
                description = "Record every datagram, inside synthesized outer Ethernet/IPv4/UDP headers.")
        Path pcapFile;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            GeneveHeader header = header();
            if (ping.count < 1) {
                err.println("geneve demo: --count must be at least 1");
                return 2;
            }
            InetAddress ipA = InetAddress.getByName("127.0.0.1");
            InetAddress ipB = InetAddress.getByName("127.0.0.2");
            ChannelTransport udpA;
            ChannelTransport udpB;
            try {
                udpA = ChannelTransport.open(new InetSocketAddress(ipA, Geneve.UDP_PORT));
                udpB = ChannelTransport.open(new InetSocketAddress(ipB, Geneve.UDP_PORT));
            } catch (BindException taken) {
                // port 6081 is in use (a real tunnel on this host?): take free ports instead
                udpA = ChannelTransport.open(new InetSocketAddress(ipA, 0));
                udpB = ChannelTransport.open(new InetSocketAddress(ipB, 0));
            }
            InetSocketAddress a = udpA.localAddress();
            InetSocketAddress b = udpB.localAddress();
            try (PcapWriter pcap = pcapFile == null ? null : PcapWriter.create(pcapFile, LinkType.ETHERNET)) {
                Capture capture = pcap == null ? null : new Capture(pcap);
                HostSide sideA = new HostSide();
                HostSide sideB = new HostSide();
                try (GeneveEndpoint tunnelA = endpoint(sideA).transport(udpA).peer(b)
                             .sendObserver(capture == null ? null : capture.observer(a, b, header)).start();
                     GeneveEndpoint tunnelB = endpoint(sideB).transport(udpB).peer(a)
                             .sendObserver(capture == null ? null : capture.observer(b, a, header)).start()) {
                    out.printf("Geneve tunnel %s <-> %s, VNI %d; hosts 10.0.0.1 and 10.0.0.2%n",
                            format(a), format(b), header.vni());
                    VirtualHost hostA = new VirtualHost(VirtualHost.macFor(HOST_A), HOST_A, tunnelA::send);
                    VirtualHost hostB = new VirtualHost(VirtualHost.macFor(HOST_B), HOST_B, tunnelB::send);
                    sideA.attach(hostA, tunnelA);
                    sideB.attach(hostB, tunnelB);
                    VirtualHost.PingResult result = ping.run(hostA, HOST_B, out);
                    reportDrops("demo", tunnelA, err);
                    reportDrops("demo", tunnelB, err);
                    return result.allAnswered() ? 0 : 1;
                }
            }
        }
    }

    static String format(InetSocketAddress address) {
        String host = address.getAddress().getHostAddress();
        return (address.getAddress() instanceof Inet4Address ? host : "[" + host + "]") + ":" + address.getPort();
    }

    @Command(name = "ping", mixinStandardHelpOptions = true,
            description = {"Ping through a Geneve tunnel from a virtual host on one tunnel endpoint.",
                "The other end may be another process ('geneve responder'), Open vSwitch or a Linux host."},
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {"0:every echo answered", "1:some echo unanswered", "2:bad usage or setup failure"})
    public static final class Ping extends TunnelOptions implements Callable<Integer> {
        @Option(names = "--local", required = true, paramLabel = "ADDR[:PORT]", converter = Converters.SocketConverter.class,
                description = "Local UDP address to bind (port 6081 unless given).")
        InetSocketAddress local;

        @Option(names = "--remote", required = true, paramLabel = "ADDR[:PORT]", converter = Converters.SocketConverter.class,
                description = "The peer's Geneve address (port 6081 unless given).")
        InetSocketAddress remote;

        @Option(names = "--host", defaultValue = "10.0.0.1/24", description = "This virtual host's address (default: ${DEFAULT-VALUE}).")
        String host;

        @Option(names = "--target", defaultValue = "10.0.0.2", description = "Address to ping (default: ${DEFAULT-VALUE}).")
        String target;

        @CommandLine.Mixin
        PingOptions ping = new PingOptions();

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            int[] me = hostAndPrefix(host);
            int targetIp = VirtualHost.parseIp(target);
            HostSide side = new HostSide();
            GeneveEndpoint tunnel;
            try {
                tunnel = endpoint(side).local(local).peer(remote).start();
            } catch (BindException | IllegalStateException e) {
                err.println("geneve ping: " + e.getMessage());
                return 2;
            }
            try (tunnel) {
                VirtualHost virtualHost = new VirtualHost(VirtualHost.macFor(me[0]), me[0], tunnel::send);
                side.attach(virtualHost, tunnel);
                VirtualHost.PingResult result = ping.run(virtualHost, targetIp, out);
                reportDrops("ping", tunnel, err);
                return result.allAnswered() ? 0 : 1;
            }
        }
    }

    private static boolean awaitForever(CountDownLatch answered, GeneveEndpoint tunnel) throws InterruptedException {
        // with --count 0 the latch never opens: until the process is stopped, or the endpoint fails
        while (!answered.await(200, TimeUnit.MILLISECONDS)) {
            if (!tunnel.isRunning()) {
                return false;
            }
        }
        return true;
    }

    @Command(name = "responder", mixinStandardHelpOptions = true,
            description = {"Answer ARP and ICMP echo through a Geneve tunnel, a line per request.",
                "One tunnel endpoint with a virtual host that answers for its address until stopped."},
            exitCodeListHeading = "Exit codes:%n",
            exitCodeList = {"0:stopped after --count or --duration", "2:bad usage, setup failure, or the endpoint failed"})
    public static final class Responder extends TunnelOptions implements Callable<Integer> {
        @Option(names = "--local", required = true, paramLabel = "ADDR[:PORT]", converter = Converters.SocketConverter.class,
                description = "Local UDP address to bind (port 6081 unless given).")
        InetSocketAddress local;

        @Option(names = "--remote", paramLabel = "ADDR[:PORT]", converter = Converters.SocketConverter.class,
                description = "The peer's Geneve address: only it is answered. Without it, a test tool that answers "
                        + "whoever asks, each at its own address, port 6081.")
        InetSocketAddress remote;

        @Option(names = "--host", defaultValue = "10.0.0.2/24", description = "This virtual host's address (default: ${DEFAULT-VALUE}).")
        String host;

        @Option(names = "--count", defaultValue = "0",
                description = "Stop after answering this many echo requests (default: 0, never).")
        int count;

        @Option(names = "--duration", defaultValue = "0",
                description = "Stop after this many seconds (default: 0, never).")
        double duration;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            int[] me = hostAndPrefix(host);
            CountDownLatch answered = new CountDownLatch(count > 0 ? count : 1);
            if (count < 0 || duration < 0) {
                err.println("geneve responder: --count and --duration must not be negative");
                return 2;
            }
            HostSide side = new HostSide();
            GeneveEndpoint.Builder builder = endpoint(side).local(local);
            if (remote != null) {
                builder.peer(remote);
            } else {
                builder.acceptAnySource(true).replyPort(Geneve.UDP_PORT);
            }
            GeneveEndpoint tunnel;
            try {
                tunnel = builder.start();
            } catch (BindException | IllegalStateException e) {
                err.println("geneve responder: " + e.getMessage());
                return 2;
            }
            try (tunnel) {
                VirtualHost virtualHost = new VirtualHost(VirtualHost.macFor(me[0]), me[0], tunnel::send);
                virtualHost.onRequest(line -> {
                    out.println(line);
                    out.flush();
                    if (count > 0) {
                        answered.countDown();
                    }
                });
                out.printf("responder %s on %s, VNI %d%n", VirtualHost.ip(me[0]), format(tunnel.localAddress()),
                        header().vni());
                out.flush();
                side.attach(virtualHost, tunnel);
                boolean done = duration > 0
                        ? answered.await(nanos(duration), TimeUnit.NANOSECONDS)
                        : awaitForever(answered, tunnel);
                if (done) {
                    TimeUnit.MILLISECONDS.sleep(50); // let the last reply leave
                }
                reportDrops("responder", tunnel, err);
                if (!tunnel.isRunning()) {
                    tunnel.close(); // throws the failure: picocli prints it, exit code 2 (see GeneveCommand)
                }
                return 0;
            }
        }
    }
}
