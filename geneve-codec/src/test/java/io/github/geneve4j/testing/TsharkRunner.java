package io.github.geneve4j.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs {@code tshark} over a pcap with IP, TCP and UDP checksum validation on and returns the
 * requested fields per packet. Test support only.
 *
 * <p>When tshark is not on the PATH, {@link #assumeAvailable()} skips the calling test with a
 * message, unless the environment variable {@code CI} is {@code true}: then it fails, so CI never
 * passes without the interop check. {@code -Dgeneve.skipTshark=true} (set for PIT) skips it always.
 */
public final class TsharkRunner {

    private TsharkRunner() {
    }

    public static Path executable() {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "tshark");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    public static void assumeAvailable() {
        if (Boolean.getBoolean("geneve.skipTshark")) {
            // mutation testing: a tshark run per mutant would dominate the run, and our own checks
            // come first in every test that calls tshark
            Assumptions.abort("tshark interop check skipped (-Dgeneve.skipTshark)");
        }
        if (executable() != null) {
            return;
        }
        String message = "tshark not found on PATH: interop check skipped (install the Debian package tshark)";
        if ("true".equals(System.getenv("CI"))) {
            fail(message + "; CI=true requires it");
        }
        System.err.println("SKIPPED: " + message);
        Assumptions.abort(message);
    }

    /**
     * One row per packet, one list of values per field (a field that occurs twice, as inner and
     * outer headers do, has two values; an absent one none).
     */
    public static List<List<List<String>>> fields(Path pcap, String... fields) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(executable().toString(), "-n", "-r", pcap.toString(),
                "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
                "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=,"));
        for (String f : fields) {
            command.add("-e");
            command.add(f);
        }
        Path out = Files.createTempFile("tshark", ".txt");
        Path err = Files.createTempFile("tshark", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("tshark timed out");
            }
            if (p.exitValue() != 0) {
                fail("tshark exited " + p.exitValue() + ": " + Files.readString(err));
            }
            List<List<List<String>>> rows = new ArrayList<>();
            for (String line : Files.readAllLines(out, StandardCharsets.UTF_8)) {
                String[] cols = line.split("\t", -1);
                List<List<String>> row = new ArrayList<>();
                for (int i = 0; i < fields.length; i++) {
                    String c = i < cols.length ? cols[i] : "";
                    row.add(c.isEmpty() ? List.of() : List.of(c.split(",")));
                }
                rows.add(row);
            }
            return rows;
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
