package io.github.geneve4j.tools.interop;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Running commands and our own classes inside network namespaces, for the interop suites. */
final class Netns {

    private Netns() {
    }

    record Result(int code, String output) {
    }

    /**
     * Skips the calling suite loudly when the machine cannot run it (not root, no namespaces, a tool
     * missing) — or fails it when {@code CI=true}, where it is required.
     */
    static void requireOrSkip(String suite, List<String> tools) throws Exception {
        String missing = null;
        if (!"root".equals(System.getProperty("user.name"))) {
            missing = "not root";
        }
        for (String tool : tools) {
            if (missing == null && !tool.equals("tun") && run(10, "sh", "-c", "command -v " + tool).code != 0) {
                missing = tool + " not installed";
            }
        }
        if (missing == null) {
            Result probe = run(10, "sh", "-c", "ip netns add g4j-probe && ip netns del g4j-probe");
            if (probe.code != 0) {
                missing = "cannot create network namespaces: " + probe.output.strip();
            }
        }
        if (missing == null && tools.contains("tun") && !Files.exists(Path.of("/dev/net/tun"))) {
            missing = "no /dev/net/tun";
        }
        if (missing != null) {
            String message = suite + " NOT RUN: " + missing;
            if ("true".equals(System.getenv("CI"))) {
                fail(message + " — and CI=true, where it is required");
            }
            System.err.println("SKIPPED: " + message);
            Assumptions.abort(message);
        }
    }

    static Result run(int seconds, String... command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("g4j", ".out");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                return new Result(-1, "timed out: " + String.join(" ", command) + "\n" + Files.readString(out));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    static Result run(int seconds, List<String> command) throws IOException, InterruptedException {
        return run(seconds, command.toArray(String[]::new));
    }

    /** A Java class of the test class path, run in namespace {@code ns}. */
    static List<String> java(String ns, String mainClass, String... args) {
        return java(ns, List.of(), mainClass, args);
    }

    /** As {@link #java(String, String, String...)}, with JVM flags. */
    static List<String> java(String ns, List<String> jvmFlags, String mainClass, String... args) {
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", ns,
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED"));
        command.addAll(jvmFlags);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        return command;
    }

    /** The geneve command run in namespace {@code ns} (from the class path: the jar is built later). */
    static List<String> geneve(String ns, String... args) {
        return java(ns, "io.github.geneve4j.tools.cli.GeneveCommand", args);
    }

    static Process start(List<String> command, Path output) throws IOException {
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    }

    static void waitForLine(Path log, String line, int seconds) throws Exception {
        for (int i = 0; i < seconds * 20; i++) {
            if (Files.exists(log) && Files.readString(log).contains(line)) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
        fail("no '" + line + "' in " + (Files.exists(log) ? Files.readString(log) : "(no output)"));
    }

    static void stop(Process process) throws InterruptedException {
        if (process != null) {
            process.descendants().forEach(ProcessHandle::destroy);
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** Runs a shell snippet, failing the test with its output when it fails. */
    static void sh(String script) throws Exception {
        Result r = run(60, "sh", "-c", script);
        if (r.code != 0) {
            fail("'" + script + "' exited " + r.code + ": " + r.output);
        }
    }

    /**
     * Creates namespaces {@code nsA} and {@code nsB} (loopback up), joined by a veth pair of
     * {@code queues} queues each way: end {@code endA} in {@code nsA} with {@code addressA}/24, end
     * {@code endB} in {@code nsB} with {@code addressB}/24, both up.
     */
    static void veth(String nsA, String endA, String addressA, String nsB, String endB, String addressB, int queues)
            throws Exception {
        String q = queues > 1 ? " numtxqueues " + queues + " numrxqueues " + queues : "";
        sh("ip netns add " + nsA + " && ip netns add " + nsB + " && ip -n " + nsA + " link set lo up && ip -n " + nsB
                + " link set lo up && ip link add " + endA + q + " type veth peer name " + endB + q
                + " && ip link set " + endA + " netns " + nsA + " && ip link set " + endB + " netns " + nsB
                + " && ip -n " + nsA + " addr add " + addressA + "/24 dev " + endA + " && ip -n " + nsA + " link set " + endA + " up"
                + " && ip -n " + nsB + " addr add " + addressB + "/24 dev " + endB + " && ip -n " + nsB + " link set " + endB + " up");
    }

    /** Deletes the namespaces named, those that exist (and the veth ends inside them with them). */
    static void deleteNamespaces(String... names) throws Exception {
        StringBuilder script = new StringBuilder();
        for (String ns : names) {
            script.append("ip netns del ").append(ns).append(" 2>/dev/null; ");
        }
        run(30, "sh", "-c", script.append("true").toString());
    }
}
