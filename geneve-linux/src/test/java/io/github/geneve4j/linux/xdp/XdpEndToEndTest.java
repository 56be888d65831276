package io.github.geneve4j.linux.xdp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * AF_XDP end to end on a veth pair between two namespaces: the program and a Java reflector on
 * {@code xb} (namespace b), a plain UDP sender on {@code xa} (namespace a). The sender gets every
 * datagram back from the reflector's address and port with its payload intact (the kernel checks
 * both checksums before it delivers); ARP, ping and UDP to another port still reach b's kernel;
 * the program is gone from the device after close and after {@code kill -9} of a JVM that
 * attached it; the reflector's receive and transmit allocate nothing per packet.
 */
@Tag("system")
class XdpEndToEndTest {

    private static final int PORT = 7000;
    private static final int OTHER_PORT = 7001;

    /** The reflector: program, socket and a worker thread, in namespace b. */
    private static final class Reflector implements AutoCloseable {
        final XdpProgram program;
        final XdpSocket socket;
        final AtomicBoolean running = new AtomicBoolean(true);
        final CompletableFuture<Long> done = new CompletableFuture<>();

        Reflector(VethPair pair, XdpSocket.Options options, boolean startWorker) throws Exception {
            this(pair, options, startWorker, 1, 0);
        }

        /** On queue {@code queue} of a program for {@code queues} queues. */
        Reflector(VethPair pair, XdpSocket.Options options, boolean startWorker, int queues, int queue) throws Exception {
            this(pair, VethPair.inside(pair.b, () -> XdpProgram.attach(VethPair.B_DEVICE,
                    new InetSocketAddress(VethPair.B_ADDRESS, PORT), queues, XdpProgram.Mode.AUTO)), options, startWorker, queue);
        }

        /** A socket on queue {@code queue} of {@code program}, which this reflector closes. */
        Reflector(VethPair pair, XdpProgram program, XdpSocket.Options options, boolean startWorker, int queue)
                throws Exception {
            this.program = program;
            try {
                this.socket = VethPair.inside(pair.b, () -> XdpSocket.open(program, queue, options));
            } catch (Exception e) {
                program.close();
                throw e;
            }
            System.out.println("XDP on veth: " + program + ", " + socket);
            if (startWorker) {
                Thread worker = new Thread(() -> {
                    try {
                        done.complete(XdpReflector.run(socket, new XdpFrames(64), Long.MAX_VALUE, running::get));
                    } catch (Throwable t) {
                        done.completeExceptionally(t);
                    }
                }, "xdp-reflector");
                worker.setDaemon(true);
                worker.start();
            } else {
                done.complete(0L);
            }
        }

        @Override
        public void close() throws java.io.IOException {
            running.set(false);
            try {
                done.get(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new java.io.IOException("the reflector's worker failed or hung", e);
            } finally {
                socket.close();
                program.close();
            }
        }
    }

    @Test
    void reflectsUdpAndLeavesArpPingAndOtherPortsToTheKernel() throws Exception {
        try (VethPair pair = VethPair.create("e2e")) {
            DatagramSocket other = VethPair.inside(pair.b,
                    () -> new DatagramSocket(new InetSocketAddress(VethPair.B_ADDRESS, OTHER_PORT)));
            try (Reflector reflector = new Reflector(pair, XdpSocket.Options.DEFAULT, true); other) {
                assertThat(VethPair.hasXdp(VethPair.link(pair.b, VethPair.B_DEVICE))).isTrue();
                assertThat(reflector.program.mode()).as("veth has native XDP").isEqualTo(XdpProgram.Mode.NATIVE);
                assertThat(reflector.socket.zeroCopy()).isFalse();

                // ARP and ping pass to b's kernel while the program is attached
                VethPair.sh(pair.a, "ip neigh flush dev " + VethPair.A_DEVICE + "; ping -c 3 -i 0.2 -W 2 " + VethPair.B_ADDRESS);
                assertThat(VethPair.sh(pair.a, "ip neigh show " + VethPair.B_ADDRESS + " dev " + VethPair.A_DEVICE))
                        .contains("lladdr");

                int replies = VethPair.inside(pair.a, () -> {
                    try (DatagramSocket sender = new DatagramSocket(new InetSocketAddress(VethPair.A_ADDRESS, 40000))) {
                        sender.setSoTimeout(5000);
                        InetSocketAddress to = new InetSocketAddress(VethPair.B_ADDRESS, PORT);
                        byte[] in = new byte[2048];
                        int count = 0;
                        for (int i = 0; i < 300; i++) {
                            // sizes from 0 to 1472 bytes (a full 1500-byte packet), patterned by index
                            int length = (i * 97) % 1473;
                            byte[] payload = new byte[length];
                            for (int j = 0; j < length; j++) {
                                payload[j] = (byte) (i * 31 + j);
                            }
                            sender.send(new DatagramPacket(payload, length, to));
                            DatagramPacket reply = new DatagramPacket(in, in.length);
                            sender.receive(reply);
                            assertThat(reply.getSocketAddress()).isEqualTo(to);
                            assertThat(Arrays.copyOf(in, reply.getLength())).as("payload %d", i).isEqualTo(payload);
                            count++;
                        }
                        // another port on b's address reaches b's kernel and its socket
                        sender.send(new DatagramPacket(new byte[] {42}, 1, new InetSocketAddress(VethPair.B_ADDRESS, OTHER_PORT)));
                        return count;
                    }
                });
                assertThat(replies).isEqualTo(300);
                other.setSoTimeout(5000);
                DatagramPacket got = new DatagramPacket(new byte[16], 16);
                other.receive(got);
                assertThat(got.getLength()).isEqualTo(1);
                assertThat(got.getData()[0]).isEqualTo((byte) 42);
                XdpStatistics statistics = reflector.socket.statistics();
                assertThat(statistics.rxInvalidDescriptors()).isZero();
                assertThat(statistics.txInvalidDescriptors()).isZero();
                assertThat(statistics.txRingFullDrops()).isZero();
            }
            awaitDetached(pair);
            // nothing left behind: the device takes a program and the queue a socket again
            try (Reflector again = new Reflector(pair, XdpSocket.Options.DEFAULT, false)) {
                assertThat(VethPair.hasXdp(VethPair.link(pair.b, VethPair.B_DEVICE))).isTrue();
                assertThat(again.socket.receive(new XdpFrames(1), 0)).isZero();
            }
            awaitDetached(pair);
        }
    }

    @Test
    void oneSocketPerQueueGetsTheFramesOfItsQueue() throws Exception {
        try (VethPair pair = VethPair.create("queues", 2);
                Reflector first = new Reflector(pair, XdpSocket.Options.DEFAULT, true, 2, 0);
                Reflector second = new Reflector(pair, first.program, XdpSocket.Options.DEFAULT, true, 1)) {
            int replies = VethPair.inside(pair.a, () -> {
                int count = 0;
                // 32 flows: the sender's kernel spreads them over xa's two TX queues, each xb's RX queue of that number
                for (int flow = 0; flow < 32; flow++) {
                    try (DatagramSocket sender = new DatagramSocket(new InetSocketAddress(VethPair.A_ADDRESS, 41000 + flow))) {
                        sender.setSoTimeout(5000);
                        sender.send(new DatagramPacket(new byte[] {(byte) flow}, 1, new InetSocketAddress(VethPair.B_ADDRESS, PORT)));
                        DatagramPacket reply = new DatagramPacket(new byte[16], 16);
                        sender.receive(reply);
                        assertThat(reply.getData()[0]).isEqualTo((byte) flow);
                        count++;
                    }
                }
                return count;
            });
            assertThat(replies).isEqualTo(32);
            first.running.set(false);
            second.running.set(false);
            long onFirst = first.done.get(10, TimeUnit.SECONDS);
            long onSecond = second.done.get(10, TimeUnit.SECONDS);
            assertThat(onFirst + onSecond).isEqualTo(32);
            assertThat(onFirst).as("frames on queue 0").isPositive();
            assertThat(onSecond).as("frames on queue 1").isPositive();
        }
    }

    @Test
    void zeroCopyFallsBackToCopyOnVethAndAMissingQueueIsNamed() throws Exception {
        try (VethPair pair = VethPair.create("zc")) {
            try (Reflector reflector = new Reflector(pair, new XdpSocket.Options(4096, 2048, 2048, true), false)) {
                // veth has no XSK buffer pool of its own (no ndo_xsk_wakeup): copy mode is what it offers
                assertThat(reflector.socket.zeroCopy()).isFalse();
            }
            try (XdpProgram program = VethPair.inside(pair.b, () -> XdpProgram.attach(VethPair.B_DEVICE,
                    new InetSocketAddress(VethPair.B_ADDRESS, PORT), 2, XdpProgram.Mode.GENERIC))) {
                assertThat(program.mode()).isEqualTo(XdpProgram.Mode.GENERIC);
                assertThat(VethPair.link(pair.b, VethPair.B_DEVICE)).contains("xdpgeneric");
                assertThatThrownBy(() -> VethPair.inside(pair.b, () -> XdpSocket.open(program, 1, XdpSocket.Options.DEFAULT)))
                        .isInstanceOf(XdpException.class).hasMessageContaining("queue 1").hasMessageContaining("no such queue");
                XdpSocket first = VethPair.inside(pair.b, () -> XdpSocket.open(program, 0, XdpSocket.Options.DEFAULT));
                try (first) {
                    assertThatThrownBy(() -> VethPair.inside(pair.b, () -> XdpSocket.open(program, 0, XdpSocket.Options.DEFAULT)))
                            .isInstanceOf(XdpException.class).hasMessageContaining("already");
                }
                first.close(); // idempotent
                assertThatThrownBy(() -> first.receive(new XdpFrames(1), 0))
                        .isInstanceOf(java.nio.channels.ClosedChannelException.class);
            }
            awaitDetached(pair);
        }
    }

    @Test
    void aDriverWithoutNativeXdpIsNamedAndAutoFallsBackToGeneric() throws Exception {
        try (VethPair pair = VethPair.create("modes")) {
            // loopback has no ndo_bpf: generic XDP only (the namespace's own lo, deleted with it)
            InetSocketAddress local = new InetSocketAddress(VethPair.B_ADDRESS, PORT);
            assertThatThrownBy(() -> VethPair.inside(pair.b, () -> XdpProgram.attach("lo", local, 1, XdpProgram.Mode.NATIVE)))
                    .isInstanceOf(XdpException.class).hasMessageContaining("native mode")
                    .hasMessageContaining("does not support this XDP mode");
            try (XdpProgram program = VethPair.inside(pair.b, () -> XdpProgram.attach("lo", local, 1, XdpProgram.Mode.AUTO))) {
                assertThat(program.mode()).isEqualTo(XdpProgram.Mode.GENERIC);
                assertThat(VethPair.link(pair.b, "lo")).contains("xdpgeneric");
                assertThatThrownBy(() -> VethPair.inside(pair.b, () -> XdpProgram.attach("lo", local, 1, XdpProgram.Mode.GENERIC)))
                        .as("a second program on the same device").isInstanceOf(XdpException.class)
                        .hasMessageContaining("another XDP program");
            }
            assertThat(VethPair.hasXdp(VethPair.link(pair.b, "lo"))).isFalse();
        }
    }

    @Test
    void programGoesAwayWithAKilledProcess() throws Exception {
        try (VethPair pair = VethPair.create("kill")) {
            Process child = new ProcessBuilder(reflectorCommand(pair.b, List.of()))
                    .redirectErrorStream(true).start();
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
                CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
                    StringBuilder seen = new StringBuilder();
                    try {
                        for (String line = out.readLine(); line != null; line = out.readLine()) {
                            seen.append(line).append('\n');
                            if (line.startsWith("ready")) {
                                return seen.toString();
                            }
                        }
                    } catch (java.io.IOException e) {
                        seen.append(e);
                    }
                    return "child ended before it was ready:\n" + seen;
                });
                String said = ready.get(120, TimeUnit.SECONDS);
                assertThat(said).contains("ready NATIVE copy");
                assertThat(VethPair.hasXdp(VethPair.link(pair.b, VethPair.B_DEVICE))).isTrue();
                // the child answers
                byte[] echoed = VethPair.inside(pair.a, () -> {
                    try (DatagramSocket sender = new DatagramSocket(new InetSocketAddress(VethPair.A_ADDRESS, 40001))) {
                        sender.setSoTimeout(5000);
                        sender.send(new DatagramPacket(new byte[] {1, 2, 3}, 3, new InetSocketAddress(VethPair.B_ADDRESS, PORT)));
                        DatagramPacket reply = new DatagramPacket(new byte[16], 16);
                        sender.receive(reply);
                        return Arrays.copyOf(reply.getData(), reply.getLength());
                    }
                });
                assertThat(echoed).containsExactly(1, 2, 3);
                assertThat(child.pid()).isPositive();
                child.destroyForcibly(); // SIGKILL: no shutdown hook, no close
                assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
                assertThat(child.exitValue()).isEqualTo(137);
            } finally {
                child.destroyForcibly();
            }
            awaitDetached(pair);
        }
    }

    /** The command that runs {@link XdpReflector} on {@code xb} in namespace {@code b}, after {@code prefix}. */
    private static List<String> reflectorCommand(String b, List<String> prefix) {
        Path classes = Path.of("target", "classes").toAbsolutePath();
        Path testClasses = Path.of("target", "test-classes").toAbsolutePath();
        Assumptions.assumeTrue(Files.isDirectory(classes) && Files.isDirectory(testClasses), "run from geneve-linux");
        String javaCommand = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
        List<String> command = new java.util.ArrayList<>(List.of("ip", "netns", "exec", b));
        command.addAll(prefix);
        command.addAll(List.of(javaCommand, "--enable-native-access=ALL-UNNAMED",
                "-cp", classes + File.pathSeparator + testClasses, XdpReflector.class.getName(),
                VethPair.B_DEVICE, VethPair.B_ADDRESS, Integer.toString(PORT)));
        return command;
    }

    @Test
    void missingPrivilegesAndLockedMemoryAreNamed() throws Exception {
        try (VethPair pair = VethPair.create("caps")) {
            VethPair.skipOrFail(VethPair.run(10, "sh", "-c", "command -v capsh").code() == 0 ? null
                    : "capsh not installed (Debian: libcap2-bin)");
            // without CAP_BPF, CAP_SYS_ADMIN (which also allows bpf) and CAP_NET_ADMIN
            VethPair.Result noBpf = VethPair.run(120, reflectorCommand(pair.b, List.of("capsh",
                    "--drop=cap_bpf,cap_sys_admin,cap_perfmon,cap_net_admin", "--", "-c", "exec \"$0\" \"$@\"")).toArray(String[]::new));
            assertThat(noBpf.code()).as(noBpf.output()).isNotZero();
            assertThat(noBpf.output()).contains("BPF_MAP_CREATE").contains("Operation not permitted")
                    .contains("needs CAP_BPF and CAP_NET_ADMIN");
            // without CAP_IPC_LOCK and with 64 KiB of RLIMIT_MEMLOCK: the 8 MiB UMEM cannot be registered
            VethPair.Result noLock = VethPair.run(120, reflectorCommand(pair.b, List.of("capsh", "--drop=cap_ipc_lock",
                    "--", "-c", "ulimit -l 64 && exec \"$0\" \"$@\"")).toArray(String[]::new));
            assertThat(noLock.code()).as(noLock.output()).isNotZero();
            assertThat(noLock.output()).contains("XDP_UMEM_REG").contains("RLIMIT_MEMLOCK").contains("CAP_IPC_LOCK");
            awaitDetached(pair);
        }
    }

    @Test
    void receiveAndTransmitAllocateNothingPerPacket() throws Exception {
        var threads = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(threads instanceof com.sun.management.ThreadMXBean bean
                && bean.isThreadAllocatedMemorySupported(), "per-thread allocation counter unavailable");
        var bean = (com.sun.management.ThreadMXBean) threads;
        try (VethPair pair = VethPair.create("alloc");
                Reflector reflector = new Reflector(pair, XdpSocket.Options.DEFAULT, false)) {
            AtomicBoolean sending = new AtomicBoolean(true);
            Thread sender = VethPair.start(pair.a, "xdp-sender", () -> {
                try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(VethPair.A_ADDRESS, 40002))) {
                    DatagramPacket packet = new DatagramPacket(new byte[64], 64, new InetSocketAddress(VethPair.B_ADDRESS, PORT));
                    while (sending.get()) {
                        socket.send(packet);
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try {
                XdpFrames frames = new XdpFrames(64);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                java.util.function.BooleanSupplier guard = () -> System.nanoTime() - deadline < 0;
                XdpReflector.run(reflector.socket, frames, 30_000, guard); // warm-up: C2 compiles the loop
                long least = Long.MAX_VALUE;
                long packets = 0;
                for (int round = 0; round < 3; round++) {
                    long before = bean.getCurrentThreadAllocatedBytes();
                    packets = XdpReflector.run(reflector.socket, frames, 20_000, guard);
                    least = Math.min(least, bean.getCurrentThreadAllocatedBytes() - before);
                }
                System.out.println("XDP reflector: " + least + " bytes allocated over " + packets + " packets");
                assertThat(packets).as("packets per round").isGreaterThanOrEqualTo(20_000);
                // an object per packet would be 320,000+ bytes
                assertThat(least).as("bytes allocated over 20,000 packets").isLessThan(4096);
            } finally {
                sending.set(false);
                sender.join(10_000);
            }
        }
    }

    private static void awaitDetached(VethPair pair) throws Exception {
        String link = VethPair.link(pair.b, VethPair.B_DEVICE);
        for (int i = 0; i < 100 && VethPair.hasXdp(link); i++) {
            Thread.sleep(100);
            link = VethPair.link(pair.b, VethPair.B_DEVICE);
        }
        assertThat(VethPair.hasXdp(link)).as("XDP program still on the device:\n%s", link).isFalse();
    }
}
