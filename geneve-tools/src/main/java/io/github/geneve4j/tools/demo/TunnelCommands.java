package io.github.geneve4j.tools.demo;

import io.github.geneve4j.codec.Geneve;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.pcap.LinkType;
import io.github.geneve4j.pcap.PcapWriter;
import io.github.geneve4j.tools.cli.Converters;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.BindException;
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

    static final int HOST_A = Frames.parseIp("10.0.0.1");
    static final int HOST_B = Frames.parseIp("10.0.0.2");

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
    }

    static int[] hostAndPrefix(String text) {
        String[] parts = text.split("/", -1);
        int prefix = parts.length == 2 ? Integer.parseInt(parts[1]) : 24;
        if (parts.length > 2 || prefix < 0 || prefix > 32) {
            throw new IllegalArgumentException("'" + text + "' is not ADDR/PREFIX");
        }
        return new int[] {Frames.parseIp(parts[0]), prefix};
    }

    static long nanos(double seconds) {
        return (long) (seconds * 1e9);
    }

    @Command(name = "demo", mixinStandardHelpOptions = true,
            description = {"Two Geneve tunnel endpoints in one process over UDP on loopback (127.0.0.1 and",
                "127.0.0.2, port 6081, or free ports if taken), each with a virtual host (10.0.0.1, 10.0.0.2):",
                "ARP, then ICMP echo from 10.0.0.1 to 10.0.0.2 through the tunnel, printed like ping."},
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
            InetSocketAddress a = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), Geneve.UDP_PORT);
            InetSocketAddress b = new InetSocketAddress(InetAddress.getByName("127.0.0.2"), Geneve.UDP_PORT);
            try (PcapWriter pcap = pcapFile == null ? null : PcapWriter.create(pcapFile, LinkType.ETHERNET)) {
                TunnelEndpoint endA;
                TunnelEndpoint endB;
                try {
                    endA = new TunnelEndpoint(a, null, Geneve.UDP_PORT, header, pcap, err);
                    endB = new TunnelEndpoint(b, null, Geneve.UDP_PORT, header, pcap, err);
                } catch (IOException taken) {
                    // port 6081 is in use (a real tunnel on this host?): take free ports instead
                    endA = new TunnelEndpoint(new InetSocketAddress(a.getAddress(), 0), null, 0, header, pcap, err);
                    endB = new TunnelEndpoint(new InetSocketAddress(b.getAddress(), 0), null, 0, header, pcap, err);
                }
                try (TunnelEndpoint tunnelA = endA; TunnelEndpoint tunnelB = endB) {
                    tunnelA.peer(tunnelB.localAddress());
                    tunnelB.peer(tunnelA.localAddress());
                    out.printf("Geneve tunnel %s <-> %s, VNI %d; hosts 10.0.0.1 and 10.0.0.2%n",
                            TunnelEndpoint.format(tunnelA.localAddress()), TunnelEndpoint.format(tunnelB.localAddress()),
                            header.vni());
                    VirtualHost hostA = new VirtualHost(VirtualHost.macFor(HOST_A), HOST_A, tunnelA::send);
                    VirtualHost hostB = new VirtualHost(VirtualHost.macFor(HOST_B), HOST_B, tunnelB::send);
                    tunnelA.start("geneve-endpoint-a", hostA::receive);
                    tunnelB.start("geneve-endpoint-b", hostB::receive);
                    VirtualHost.PingResult result = ping.run(hostA, HOST_B, out);
                    return result.received() == result.transmitted() ? 0 : 1;
                }
            }
        }
    }

    @Command(name = "ping", mixinStandardHelpOptions = true,
            description = {"One tunnel endpoint with a virtual host that pings through the tunnel; the other end",
                "may be another process ('geneve responder'), Open vSwitch or a Linux host."},
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
            int targetIp = Frames.parseIp(target);
            try (TunnelEndpoint tunnel = new TunnelEndpoint(local, remote, remote.getPort(), header(), null, err)) {
                VirtualHost virtualHost = new VirtualHost(VirtualHost.macFor(me[0]), me[0], tunnel::send);
                tunnel.start("geneve-endpoint", virtualHost::receive);
                VirtualHost.PingResult result = ping.run(virtualHost, targetIp, out);
                return result.received() == result.transmitted() ? 0 : 1;
            }
        }
    }

    private static boolean awaitForever(CountDownLatch answered) throws InterruptedException {
        answered.await(); // with --count 0 the latch never opens: until the process is stopped
        return true;
    }

    @Command(name = "responder", mixinStandardHelpOptions = true,
            description = {"One tunnel endpoint with a virtual host that answers ARP and ICMP echo for its",
                "address until stopped, printing one line per request."})
    public static final class Responder extends TunnelOptions implements Callable<Integer> {
        @Option(names = "--local", required = true, paramLabel = "ADDR[:PORT]", converter = Converters.SocketConverter.class,
                description = "Local UDP address to bind (port 6081 unless given).")
        InetSocketAddress local;

        @Option(names = "--remote", paramLabel = "ADDR[:PORT]", converter = Converters.SocketConverter.class,
                description = "The peer's Geneve address; without it, replies go to the sender's address at port 6081.")
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
            int peerPort = remote != null ? remote.getPort() : Geneve.UDP_PORT;
            CountDownLatch answered = new CountDownLatch(count > 0 ? count : 1);
            if (count < 0 || duration < 0) {
                err.println("geneve responder: --count and --duration must not be negative");
                return 2;
            }
            try (TunnelEndpoint tunnel = new TunnelEndpoint(local, remote, peerPort, header(), null, err)) {
                VirtualHost virtualHost = new VirtualHost(VirtualHost.macFor(me[0]), me[0], tunnel::send);
                virtualHost.onRequest(line -> {
                    out.println(line);
                    out.flush();
                    if (count > 0) {
                        answered.countDown();
                    }
                });
                out.printf("responder %s on %s, VNI %d%n", Frames.ip(me[0]),
                        TunnelEndpoint.format(tunnel.localAddress()), header().vni());
                out.flush();
                tunnel.start("geneve-endpoint", virtualHost::receive);
                boolean done = duration > 0
                        ? answered.await(nanos(duration), TimeUnit.NANOSECONDS)
                        : awaitForever(answered);
                if (done) {
                    TimeUnit.MILLISECONDS.sleep(50); // let the last reply leave
                }
                return 0;
            } catch (BindException e) {
                err.println("geneve responder: " + e.getMessage());
                return 2;
            }
        }
    }
}
