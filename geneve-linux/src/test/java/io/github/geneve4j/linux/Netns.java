package io.github.geneve4j.linux;

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
 * Network namespaces for the tests that need a device of their own: created and deleted by the
 * test, so that nothing outside them (the host's interfaces, routes, addresses) is touched. Code
 * runs inside one on a fresh thread that has joined it with {@code setns(2)}: a socket or TAP opened
 * there belongs to the namespace, and stays usable from any thread afterwards.
 */
final class Netns implements AutoCloseable {

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

    final String name;

    private Netns(String name) {
        this.name = name;
    }

    /**
     * Creates namespace {@code g4j-linux-<tag>-<pid>}, with its loopback up, after skipping the
     * calling test loudly when the machine cannot (not root, no namespaces, no {@code /dev/net/tun})
     * — or failing it when {@code CI=true}, where it is required.
     */
    static Netns create(String tag) throws Exception {
        String missing = null;
        if (!"root".equals(System.getProperty("user.name"))) {
            missing = "not root";
        } else if (run(10, "sh", "-c", "command -v ip").code != 0) {
            missing = "iproute2 (ip) not installed";
        } else if (!Files.exists(Path.of("/dev/net/tun"))) {
            missing = "no /dev/net/tun";
        }
        String name = "g4j-linux-" + tag + "-" + ProcessHandle.current().pid();
        if (missing == null) {
            run(10, "ip", "netns", "del", name); // a leftover of a killed run
            Result add = run(10, "ip", "netns", "add", name);
            if (add.code != 0) {
                missing = "cannot create network namespaces: " + add.output.strip();
            }
        }
        if (missing != null) {
            String message = "namespace test NOT RUN: " + missing;
            if ("true".equals(System.getenv("CI"))) {
                fail(message + " — and CI=true, where it is required");
            }
            System.err.println("SKIPPED: " + message);
            Assumptions.abort(message);
        }
        Netns ns = new Netns(name);
        ns.sh("ip link set lo up");
        return ns;
    }

    /** Runs {@code task} on a new thread inside this namespace; returns its result. */
    <T> T inside(Callable<T> task) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try (Arena arena = Arena.ofConfined()) {
                int fd = (int) OPEN.invokeExact(arena.allocateFrom("/var/run/netns/" + name), 0);
                if (fd < 0 || (int) SETNS.invokeExact(fd, CLONE_NEWNET) != 0) {
                    throw new IOException("cannot join namespace " + name);
                }
                // the thread ends here and the fd with the process: joining once per task is enough
                result.complete(task.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        }, "in-" + name);
        thread.start();
        try {
            return result.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    /** Runs a shell snippet inside the namespace, failing the test with its output when it fails; returns the output. */
    String sh(String script) throws Exception {
        Result r = run(30, "ip", "netns", "exec", name, "sh", "-c", script);
        if (r.code != 0) {
            fail("'" + script + "' in " + name + " exited " + r.code + ": " + r.output);
        }
        return r.output;
    }

    @Override
    public void close() throws IOException {
        try {
            run(10, "ip", "netns", "del", name);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted deleting " + name, e);
        }
    }

    static Result run(int seconds, String... command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("g4j", ".out");
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
