package io.github.geneve4j.testing;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs Wireshark's dissector ({@code tshark}, Debian package {@code tshark}) over a pcap in tests.
 *
 * <p>Where tshark is missing the calling test is skipped with a visible message, except when the
 * environment variable {@code CI} is {@code true}: there a missing peer fails the run, so that an
 * interop check can never pass by not running.
 */
public final class Tshark {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Tshark() {
    }

    /** The tshark executable on PATH, or null. */
    public static Path executable() {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir, "tshark");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /** Skips (or, with CI=true, fails) the calling test when tshark is not installed. */
    public static void assumeAvailable() {
        if (executable() != null) {
            return;
        }
        String message = "tshark not found on PATH: Wireshark interop test not run "
                + "(install Debian's 'tshark' package; .ci/run does)";
        if ("true".equals(System.getenv("CI"))) {
            fail(message + " — and CI=true, where interop tests are required");
        }
        System.err.println("SKIPPED: " + message);
        Assumptions.abort(message);
    }

    /**
     * Dissects {@code pcap} and returns, per frame, the {@code _source.layers} object of
     * {@code tshark -T json -e FIELD...}: each field maps to an array of its values in frame order.
     */
    public static List<JsonNode> fields(Path pcap, List<String> options, String... fields)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(executable().toString(), "-r", pcap.toString(), "-T", "json"));
        command.addAll(options);
        for (String field : fields) {
            command.add("-e");
            command.add(field);
        }
        Path out = Files.createTempFile("tshark", ".json");
        Path err = Files.createTempFile("tshark", ".err");
        try {
            Process process = new ProcessBuilder(command)
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("tshark did not finish within 120 s: " + command);
            }
            if (process.exitValue() != 0) {
                fail("tshark exited " + process.exitValue() + ": " + Files.readString(err));
            }
            List<JsonNode> frames = new ArrayList<>();
            for (JsonNode frame : JSON.readTree(out.toFile())) {
                frames.add(frame.path("_source").path("layers"));
            }
            return frames;
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** The values of {@code field} in one frame's layers, as strings (empty when absent). */
    public static List<String> values(JsonNode layers, String field) {
        List<String> values = new ArrayList<>();
        for (JsonNode value : layers.path(field)) {
            values.add(value.asText());
        }
        return values;
    }
}
