package io.github.geneve4j.linux.xdp;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Two network namespaces joined by a veth pair with one queue each way, created and deleted by the
 * test: {@code g4j-xdp-a-<tag>-<pid>} with device {@code xa} at {@link #A_ADDRESS}, and
 * {@code g4j-xdp-b-<tag>-<pid>} with {@code xb} at {@link #B_ADDRESS}. Nothing outside them is
 * touched. Code runs in one on a fresh thread that joined it with {@code setns(2)}; what it opens
 * there (a socket, an XDP program's link) stays in that namespace, usable from any thread.
 *
 * <p>Skips the calling test with a visible line when the machine cannot (not root, no
 * {@code ip}, no namespaces, a kernel without XDP sockets), and fails it instead when
 * {@code CI=true}, where all of these are required.
 */
final class VethPair implements AutoCloseable {

    static final String A_ADDRESS = "10.77.0.1";
    static final String B_ADDRESS = "10.77.0.2";
    static final String A_DEVICE = "xa";
    static final String B_DEVICE = "xb";

    private static final int CLONE_NEWNET = 0x40000000;
    private static final MethodHandle OPEN;
    private static final MethodHandle SETNS;

    static {
        Linker linker = Linker.nativeLinker();
        OPEN = linker.downcallHandle(linker.defaultLookup().find("open").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        SETNS = linker.downcallHandle(linker.defaultLookup().find("setns").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    }

    record Result(int code, String output) {
    }

    final String a;
    final String b;

    private VethPair(String a, String b) {
        this.a = a;
        this.b = b;
    }

    /** Skips (or, under {@code CI=true}, fails) the calling test unless this machine can run XDP system tests. */
    static void requireXdp() throws Exception {
        String missing = null;
        if (!"root".equals(System.getProperty("user.name"))) {
            missing = "not root";
        } else if (run(10, "sh", "-c", "command -v ip").code != 0) {
            missing = "iproute2 (ip) not installed";
        } else {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment state = XdpCalls.callState(arena);
                int fd = (int) XdpCalls.SOCKET.invokeExact(state, XdpCalls.AF_XDP, XdpCalls.SOCK_RAW, 0);
                if (fd < 0) {
                    missing = "the kernel refuses XDP sockets: " + XdpCalls.describe(XdpCalls.errno(state));
                }
                XdpCalls.closeQuietly(fd);
            } catch (Throwable t) {
                missing = "socket(AF_XDP) failed: " + t;
            }
        }
        skipOrFail(missing);
    }

    /** Skips the calling test with a visible line when {@code missing} is not null, or fails it when {@code CI=true}. */
    static void skipOrFail(String missing) {
        if (missing != null) {
            String message = "XDP system test NOT RUN: " + missing;
            if ("true".equals(System.getenv("CI"))) {
                fail(message + " — and CI=true, where it is required");
            }
            System.err.println("SKIPPED: " + message);
            Assumptions.abort(message);
        }
    }

    /** Creates the two namespaces and the veth pair, one queue each way, both ends up with their addresses. */
    static VethPair create(String tag) throws Exception {
        return create(tag, 1);
    }

    /** Creates the two namespaces and the veth pair with {@code queues} RX and TX queues on each end. */
    static VethPair create(String tag, int queues) throws Exception {
        requireXdp();
        long pid = ProcessHandle.current().pid();
        VethPair pair = new VethPair("g4j-xdp-a-" + tag + "-" + pid, "g4j-xdp-b-" + tag + "-" + pid);
        pair.close(); // leftovers of a killed run
        Result made = run(20, "sh", "-c", String.join(" && ",
                "ip netns add " + pair.a,
                "ip netns add " + pair.b,
                "ip link add " + A_DEVICE + " netns " + pair.a + " numtxqueues " + queues + " numrxqueues " + queues
                        + " type veth peer name " + B_DEVICE + " netns " + pair.b + " numtxqueues " + queues
                        + " numrxqueues " + queues,
                queues == 1 ? "true" : "ip netns exec " + pair.a + " ethtool -L " + A_DEVICE + " rx " + queues + " tx " + queues,
                queues == 1 ? "true" : "ip netns exec " + pair.b + " ethtool -L " + B_DEVICE + " rx " + queues + " tx " + queues,
                "ip -n " + pair.a + " addr add " + A_ADDRESS + "/24 dev " + A_DEVICE,
                "ip -n " + pair.b + " addr add " + B_ADDRESS + "/24 dev " + B_DEVICE,
                "ip -n " + pair.a + " link set lo up",
                "ip -n " + pair.b + " link set lo up",
                "ip -n " + pair.a + " link set " + A_DEVICE + " up",
                "ip -n " + pair.b + " link set " + B_DEVICE + " up"));
        if (made.code != 0) {
            pair.close();
            skipOrFail("cannot create namespaces and a veth pair: " + made.output.strip());
        }
        return pair;
    }

    /** Runs {@code task} on a new thread inside namespace {@code name}; returns its result. */
    static <T> T inside(String name, Callable<T> task) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try (Arena arena = Arena.ofConfined()) {
                int fd = (int) OPEN.invokeExact(arena.allocateFrom("/var/run/netns/" + name), 0);
                if (fd < 0 || (int) SETNS.invokeExact(fd, CLONE_NEWNET) != 0) {
                    throw new IOException("cannot join namespace " + name);
                }
                XdpCalls.closeQuietly(fd);
                result.complete(task.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        }, "in-" + name);
        thread.start();
        try {
            return result.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** Starts {@code task} on a new thread inside namespace {@code name}, returning the thread. */
    static Thread start(String name, String threadName, Runnable task) {
        Thread thread = new Thread(() -> {
            try (Arena arena = Arena.ofConfined()) {
                int fd = (int) OPEN.invokeExact(arena.allocateFrom("/var/run/netns/" + name), 0);
                if (fd < 0 || (int) SETNS.invokeExact(fd, CLONE_NEWNET) != 0) {
                    throw new IllegalStateException("cannot join namespace " + name);
                }
                XdpCalls.closeQuietly(fd);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            task.run();
        }, threadName);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** Runs a shell snippet in namespace {@code name}, failing the test when it fails; returns its output. */
    static String sh(String name, String script) throws Exception {
        Result r = run(30, "ip", "netns", "exec", name, "sh", "-c", script);
        if (r.code != 0) {
            fail("'" + script + "' in " + name + " exited " + r.code + ": " + r.output);
        }
        return r.output;
    }

    /** {@code ip -d link show} of {@code device} in namespace {@code name}. */
    static String link(String name, String device) throws Exception {
        return sh(name, "ip -d link show dev " + device);
    }

    /** Whether {@code ip link} shows an XDP program on the device ("prog/xdp", or the mode word "xdp..."). */
    static boolean hasXdp(String linkOutput) {
        return linkOutput.contains("prog/xdp") || linkOutput.matches("(?s).*\\sxdp(generic|drv|offload|multi)?\\s.*");
    }

    @Override
    public void close() throws IOException {
        try {
            run(10, "ip", "netns", "del", a);
            run(10, "ip", "netns", "del", b);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted deleting namespaces", e);
        }
    }

    static Result run(int seconds, String... command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("g4j-xdp", ".out");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out: " + String.join(" ", command) + "\n" + Files.readString(out));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
