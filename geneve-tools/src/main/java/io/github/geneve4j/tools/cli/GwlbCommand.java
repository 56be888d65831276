package io.github.geneve4j.tools.cli;

import io.github.geneve4j.gwlb.GwlbAppliance;
import io.github.geneve4j.gwlb.GwlbHealthServer;
import io.github.geneve4j.gwlb.GwlbKernelInspection;
import io.github.geneve4j.linux.MmsgBatchIo;
import io.github.geneve4j.linux.RawIpv4Socket;
import io.github.geneve4j.linux.Tap;
import io.github.geneve4j.linux.UdpSocket;
import io.github.geneve4j.linux.xdp.XdpBatchIo;
import io.github.geneve4j.linux.xdp.XdpProgram;
import io.github.geneve4j.linux.xdp.XdpSocket;
import io.github.geneve4j.tools.metrics.GwlbMetrics;
import io.github.geneve4j.tools.metrics.MetricsServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code geneve gwlb}: an AWS Gateway Load Balancer appliance in pass-through mode. Parses, builds a
 * {@link GwlbAppliance} from {@code geneve-endpoint} on {@code geneve-linux}'s sockets, prints.
 */
@Command(name = "gwlb", mixinStandardHelpOptions = true,
        description = {"Run an appliance behind an AWS Gateway Load Balancer that returns what it lets through.",
            "It receives GWLB's Geneve packets (the endpoint ID, attachment ID and flow cookie options) and "
                    + "returns each one, outer addresses swapped, UDP ports and Geneve header as received. Datagrams "
                    + "without the three options are dropped and counted.",
            "Needs root (CAP_NET_RAW) for --reply raw, the default."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:stopped after --duration or by a signal", "1:a receive thread failed",
            "2:bad usage or setup failure"})
public final class GwlbCommand implements Callable<Integer> {

    @Option(names = "--local", required = true, paramLabel = "ADDR[:PORT]", converter = Converters.SocketConverter.class,
            description = "The appliance's IPv4 address GWLB sends to (port 6081 unless given).")
    InetSocketAddress local;

    @Option(names = "--gwlb", paramLabel = "ADDR[/PREFIX]", required = true,
            description = {"GWLB's source address or prefix (repeatable; required): datagrams from any other source are "
                    + "dropped unparsed and counted NOT_GWLB, never answered.",
                "--gwlb 0.0.0.0/0 accepts any source: only where the underlay admits GWLB alone (a security group)."})
    List<String> gwlbSources;

    @Option(names = "--health-port", paramLabel = "N", defaultValue = "0",
            description = "Answer HTTP GET on this TCP port: 200 and JSON statistics while healthy, 503 when not (default: off).")
    int healthPort;

    @Option(names = "--health-address", paramLabel = "ADDR",
            description = "Bind the health port on ADDR, IPv4 or IPv6 (repeatable: both for a dual-stack check; default: the --local address).")
    List<String> healthAddresses;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "1",
            description = "Receive threads, one SO_REUSEPORT socket each (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--reply", paramLabel = "raw|udp", defaultValue = "raw",
            description = {"raw: replies as GWLB expects, its UDP ports kept, through a raw IPv4 socket (default);",
                "udp: from the appliance's own port, without privileges (for tests)."})
    String reply;

    @Option(names = "--io", paramLabel = "mmsg|single|xdp", defaultValue = "mmsg",
            description = {"mmsg: UDP sockets, a batch of up to 64 datagrams per system call each way, one recvmmsg and "
                    + "one sendmmsg of the batch's replies (default);",
                "single: UDP sockets, one receive per batch (a UDP GRO run) and one send per reply;",
                "xdp: AF_XDP on --interface, one receive thread per RX queue, each reply built in the frame it came in "
                    + "and sent from there (pass-through mode only; root, or CAP_NET_ADMIN, CAP_BPF, CAP_NET_RAW and "
                    + "CAP_IPC_LOCK)."})
    String io;

    @Option(names = "--mode", paramLabel = "pass|kernel", defaultValue = "pass",
            description = {"pass: return every valid packet (default);",
                "kernel: hand each endpoint ID's packets to the kernel through a TUN pair gwi-X/gwo-X made on its "
                        + "first packet (X: the endpoint ID in base 62), return what the kernel routes out of gwo-X, as gwlbtun does."})
    String mode;

    @Option(names = "--hook", paramLabel = "COMMAND",
            description = "kernel mode: run COMMAND CREATE|DESTROY GWI GWO ENDPOINT-HEX when a TUN pair is made and when "
                    + "the appliance stops: bring the devices up, turn rp_filter off on GWI, route GWI to GWO, add firewall rules.")
    String hook;

    @Option(names = "--max-endpoints", paramLabel = "N",
            description = "kernel mode: endpoint IDs given a TUN pair at most (default: 64); a new ID's packets past it are "
                    + "dropped and counted (KERNEL_ENDPOINT_LIMIT).")
    Integer maxEndpoints;

    @Option(names = "--endpoint-idle", paramLabel = "SECONDS",
            description = "kernel mode: reclaim an endpoint ID's TUN pair (its DESTROY hook run) after this long without "
                    + "packets (default: 350).")
    Long endpointIdle;

    @Option(names = "--tcp-idle-timeout", paramLabel = "SECONDS", defaultValue = "350",
            description = "Idle time after which a TCP flow is forgotten (default: ${DEFAULT-VALUE}, GWLB's).")
    long tcpIdle;

    @Option(names = "--idle-timeout", paramLabel = "SECONDS", defaultValue = "120",
            description = "Idle time after which a non-TCP flow is forgotten (default: ${DEFAULT-VALUE}, GWLB's).")
    long otherIdle;

    @Option(names = "--flows", paramLabel = "N", defaultValue = "65536",
            description = "Flows tracked at most (default: ${DEFAULT-VALUE}).")
    int flows;

    @Option(names = "--buffer", paramLabel = "BYTES", defaultValue = "4194304",
            description = "Socket receive and send buffer asked for (default: ${DEFAULT-VALUE}; capped by net.core.rmem_max).")
    int buffer;

    @Option(names = "--stats", paramLabel = "SECONDS", defaultValue = "0",
            description = "Print the statistics every this many seconds (default: 0, only at the end).")
    double stats;

    @Option(names = "--metrics", paramLabel = "ADDR:PORT", converter = Converters.MetricsAddressConverter.class,
            description = "Serve Prometheus metrics at http://ADDR:PORT/metrics (e.g. 127.0.0.1:9464; default: off).")
    InetSocketAddress metrics;

    @Option(names = "--duration", paramLabel = "SECONDS", defaultValue = "0",
            description = "Stop after this many seconds (default: 0, run until stopped).")
    double duration;

    @Option(names = "--interface", paramLabel = "IFACE",
            description = "--io xdp: the device GWLB's packets arrive on; the XDP program steers --local's UDP to the appliance and lets everything else through.")
    String iface;

    @Option(names = "--queues", paramLabel = "N", defaultValue = "1",
            description = "--io xdp: RX queues served, queues 0 to N-1 of the device, one receive thread each (default: ${DEFAULT-VALUE}).")
    int queues;

    /** The AF_XDP queues, with --io xdp. */
    private List<XdpBatchIo> xdp = List.of();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (!(local.getAddress() instanceof Inet4Address) || local.getAddress().isAnyLocalAddress()) {
            err.println("geneve gwlb: --local " + local.getAddress().getHostAddress()
                    + " (expected: one IPv4 address; GWLB sends over IPv4 only)");
            return 2;
        }
        if (threads < 1 || threads > 64 || healthPort < 0 || healthPort > 65535 || stats < 0 || duration < 0
                || tcpIdle < 1 || otherIdle < 1 || !(reply.equals("raw") || reply.equals("udp"))
                || !(mode.equals("pass") || mode.equals("kernel"))
                || ((hook != null || maxEndpoints != null || endpointIdle != null) && !mode.equals("kernel"))
                || (maxEndpoints != null && (maxEndpoints < 1 || maxEndpoints > 4096))
                || (endpointIdle != null && endpointIdle < 1)) {
            err.println("geneve gwlb: expected --threads 1..64, --health-port 0..65535, --reply raw|udp, --mode pass|kernel"
                    + " (--hook, --max-endpoints 1..4096 and --endpoint-idle with --mode kernel only),"
                    + " positive timeouts, non-negative --stats and --duration");
            return 2;
        }
        if (!(io.equals("mmsg") || io.equals("single") || io.equals("xdp")) || io.equals("xdp") != (iface != null)
                || queues < 1 || queues > 64) {
            err.println("geneve gwlb: expected --io mmsg|single|xdp, and --interface IFACE and --queues 1..64 with --io xdp only");
            return 2;
        }
        if (io.equals("xdp") && mode.equals("kernel")) {
            err.println("geneve gwlb: --io xdp runs in pass-through mode only (expected: --mode pass; kernel mode's TUN devices "
                    + "need the kernel's own receive path)");
            return 2;
        }
        if (healthAddresses != null && healthPort == 0) {
            err.println("geneve gwlb: --health-address without --health-port (expected: the port to answer on)");
            return 2;
        }
        List<InetSocketAddress> healthAt = new ArrayList<>();
        for (String a : healthAddresses == null ? List.of(local.getAddress().getHostAddress()) : healthAddresses) {
            String host = a.startsWith("[") && a.endsWith("]") ? a.substring(1, a.length() - 1) : a;
            if (!host.matches("[0-9.]+|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*")) {
                err.println("geneve gwlb: --health-address " + a + " (expected: an IPv4 or IPv6 address)");
                return 2;
            }
            healthAt.add(new InetSocketAddress(InetAddress.getByName(host), healthPort));
        }
        List<AutoCloseable> opened = new ArrayList<>();
        GwlbAppliance appliance;
        try {
            GwlbAppliance.Builder builder = GwlbAppliance.builder().tcpIdleTimeout(Duration.ofSeconds(tcpIdle))
                    .otherIdleTimeout(Duration.ofSeconds(otherIdle)).flowCapacity(flows);
            boolean any = false;
            for (String source : gwlbSources) {
                any |= gwlbSource(builder, source);
            }
            if (any) {
                err.println("geneve gwlb: warning: --gwlb 0.0.0.0/0 answers GWLB-shaped datagrams from any source;"
                        + " admit only GWLB's addresses to port " + local.getPort() + " in the underlay");
                err.flush();
            }
            if (io.equals("xdp")) {
                xdp = XdpBatchIo.open(iface, local, queues, XdpProgram.Mode.AUTO, XdpSocket.Options.DEFAULT);
                opened.addAll(xdp);
                xdp.forEach(builder::io);
                threads = queues; // one receive thread per queue
            }
            for (int i = 0; !io.equals("xdp") && i < threads; i++) {
                if (io.equals("mmsg")) {
                    RawIpv4Socket raw = null;
                    if (reply.equals("raw")) {
                        raw = RawIpv4Socket.open();
                        opened.add(raw);
                    }
                    MmsgBatchIo batches = raw != null ? MmsgBatchIo.raw(local, buffer, threads > 1, raw)
                            : MmsgBatchIo.udp(local, buffer, threads > 1);
                    opened.add(batches);
                    builder.io(batches);
                    continue;
                }
                UdpSocket udp = UdpSocket.open(local, buffer, threads > 1);
                opened.add(udp);
                if (reply.equals("raw")) {
                    RawIpv4Socket raw = RawIpv4Socket.open();
                    opened.add(raw);
                    builder.transport(udp, raw);
                } else {
                    builder.transport(udp);
                }
            }
            if (mode.equals("kernel")) {
                builder.kernelInspection(new GwlbKernelInspection(Tap::openTun, RawIpv4Socket::open,
                        hook == null ? List.of() : List.of(hook)));
                builder.maxEndpoints(maxEndpoints == null ? 64 : maxEndpoints)
                        .endpointIdleTimeout(Duration.ofSeconds(endpointIdle == null ? 350 : endpointIdle));
            }
            appliance = builder.start();
        } catch (IOException | IllegalArgumentException | IllegalStateException e) {
            for (AutoCloseable c : opened.reversed()) {
                c.close();
            }
            err.println("geneve gwlb: " + e.getMessage());
            return 2;
        }
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        // on SIGTERM or Ctrl-C: stop, and give the last statistics line a moment to be printed
        Thread hook = new Thread(() -> {
            stop.countDown();
            try {
                done.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Runtime.getRuntime().addShutdownHook(hook);
        GwlbHealthServer health = null;
        try (appliance) {
            if (healthPort > 0) {
                try {
                    health = GwlbHealthServer.start(appliance, healthAt);
                } catch (IOException e) {
                    err.println("geneve gwlb: " + e.getMessage());
                    return 2;
                }
            }
            return serve(appliance, health, stop, out, err);
        } finally {
            if (health != null) {
                health.close();
            }
            done.countDown(); // the appliance is closed (and kernel mode's DESTROY hooks have run)
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: nothing to remove
            }
        }
    }

    /** Adds {@code ADDR[/PREFIX]} to the builder's allow-list; whether it is 0.0.0.0/0. */
    private static boolean gwlbSource(GwlbAppliance.Builder builder, String value) throws IOException {
        int slash = value.indexOf('/');
        String address = slash < 0 ? value : value.substring(0, slash);
        int prefix = 32;
        if (!address.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
            throw new IllegalArgumentException("--gwlb " + value + " (expected: an IPv4 ADDR[/PREFIX]; GWLB sends over IPv4 only)");
        }
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(value.substring(slash + 1));
            } catch (NumberFormatException e) {
                prefix = -1;
            }
            if (prefix < 0 || prefix > 32) {
                throw new IllegalArgumentException("--gwlb " + value + " (expected: a prefix length of 0 to 32)");
            }
        }
        builder.gwlbSource(InetAddress.getByName(address), prefix);
        return prefix == 0;
    }

    private static String healthText(GwlbHealthServer health) {
        StringBuilder b = new StringBuilder();
        for (InetSocketAddress a : health.addresses()) {
            String host = a.getAddress().getHostAddress();
            b.append(b.isEmpty() ? "" : ", ").append(host.contains(":") ? "[" + host + "]" : host).append(':').append(a.getPort());
        }
        return "TCP " + b;
    }

    private int serve(GwlbAppliance appliance, GwlbHealthServer health, CountDownLatch stop, PrintWriter out, PrintWriter err)
            throws InterruptedException {
        MetricsServer metricsServer;
        try {
            metricsServer = metrics == null ? null : MetricsServer.start(metrics, new GwlbMetrics(appliance::stats));
        } catch (IOException e) {
            err.println("geneve gwlb: --metrics: " + e.getMessage());
            return 2;
        }
        try {
            return serve(appliance, health, stop, out, err, metricsServer);
        } finally {
            if (metricsServer != null) {
                metricsServer.close();
            }
        }
    }

    private int serve(GwlbAppliance appliance, GwlbHealthServer health, CountDownLatch stop, PrintWriter out,
            PrintWriter err, MetricsServer metricsServer) throws InterruptedException {
        out.printf("gwlb appliance on %s:%d from %s, %d receive thread%s, %s, replies %s, health %s%n",
                local.getAddress().getHostAddress(), local.getPort(), String.join(", ", gwlbSources), threads,
                threads == 1 ? "" : "s",
                mode.equals("kernel") ? "kernel inspection (TUN pairs gwi-X/gwo-X)" : "pass-through",
                !xdp.isEmpty() ? "in place (AF_XDP on " + iface + ", "
                        + xdp.getFirst().mode().toString().toLowerCase(java.util.Locale.ROOT) + " XDP, "
                        + (xdp.getFirst().zeroCopy() ? "zero-copy" : "copy") + " mode)"
                        : reply.equals("raw") ? "with GWLB's ports (raw IPv4)" : "from port " + local.getPort() + " (udp)",
                healthPort > 0 ? "on " + healthText(health) : "off");
        if (metricsServer != null) {
            InetSocketAddress at = metricsServer.address();
            out.printf("metrics on http://%s:%d%s%n", at.getAddress() instanceof Inet6Address
                    ? "[" + at.getAddress().getHostAddress() + "]" : at.getAddress().getHostAddress(), at.getPort(),
                    MetricsServer.PATH);
        }
        out.flush();
        // the loop vtep uses: a line every --stats and one when it ends (after --duration, on a signal,
        // or when a receive thread failed)
        new StatsLoop(stats, duration).run(atMost -> stop.await(Math.min(atMost.toMillis(), 100), TimeUnit.MILLISECONDS)
                || appliance.failure().isPresent(), () -> {
                    out.println(appliance.stats());
                    out.flush();
                });
        for (XdpBatchIo q : xdp) {
            try {
                out.println("xdp queue " + q.queue() + ": " + q.statistics());
            } catch (IOException e) {
                out.println("xdp queue " + q.queue() + ": no statistics (" + e.getMessage() + ")");
            }
        }
        out.flush();
        if (appliance.failure().isPresent()) {
            err.println("geneve gwlb: a receive thread failed: " + appliance.failure().get());
            return 1;
        }
        return 0;
    }
}
