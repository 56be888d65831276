package io.github.geneve4j.pcap;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keeps the README's "pcap and pcapng I/O" example honest: the snippet below is the README's, compiled and run. */
class ReadmeExampleTest {

    @Test
    void pcapExampleRunsAndDoesWhatItSays(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("frames.pcap");
        MemorySegment frame = MemorySegment.ofArray(new byte[60]);
        byte[] arp = new byte[42];
        PrintStream stdout = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try {
            // readme-example: begin
            // Write: each record straight from a MemorySegment range or a ByteBuffer, no array per frame.
            try (PcapWriter pcap = PcapWriter.create(file, LinkType.ETHERNET)) {
                pcap.write(1_700_000_000_000_000_000L, frame, 0, frame.byteSize());
                pcap.write(1_700_000_000_001_000_000L, ByteBuffer.wrap(arp));
            }

            // Read: pcap or pcapng, either byte order; each packet's data is a slice of the mapped file.
            try (CaptureReader reader = CaptureReader.open(file)) {
                for (CapturedPacket packet : reader) {  // damage: UncheckedIOException(CaptureFormatException)
                    System.out.printf("frame %d: %d bytes, link type %d, at %d ns%n", packet.frame(),
                            packet.data().byteSize(), packet.linkType(), packet.timestampNanos());
                }
            }
            // readme-example: end
        } finally {
            System.setOut(stdout);
        }
        assertThat(Files.size(file)).isEqualTo(24 + 16 + 60 + 16 + 42);
        assertThat(printed.toString(StandardCharsets.UTF_8)).isEqualTo(
                "frame 1: 60 bytes, link type 1, at 1700000000000000000 ns\n"
                + "frame 2: 42 bytes, link type 1, at 1700000000001000000 ns\n");
    }

    @Test
    void readmeShowsTheSameSnippet() throws IOException {
        String readme = Files.readString(findUp("README.md"));
        String readmeSnippet = between(readme, "<!-- readme-example pcap: begin", "<!-- readme-example pcap: end");
        readmeSnippet = readmeSnippet.substring(readmeSnippet.indexOf("```java") + 7, readmeSnippet.lastIndexOf("```"));
        // after the imports and the inputs, which the test has of its own (a temporary file)
        readmeSnippet = readmeSnippet.substring(readmeSnippet.indexOf("// Write:"));
        String test = Files.readString(findUp("geneve-pcap/src/test/java/io/github/geneve4j/pcap/ReadmeExampleTest.java"));
        String testSnippet = between(test, "// readme-example: begin\n", "            // readme-example: end");
        assertThat(normalize(readmeSnippet)).isEqualTo(normalize(testSnippet));
    }

    private static String normalize(String code) {
        return code.lines()
                .map(String::strip)
                .filter(line -> !line.isEmpty())
                .reduce("", (a, b) -> a + b + "\n");
    }

    private static String between(String text, String begin, String end) {
        int from = text.indexOf(begin);
        int to = text.indexOf(end, from + begin.length());
        assertThat(from).as("marker %s", begin).isNotNegative();
        assertThat(to).as("marker %s", end).isGreaterThan(from);
        return text.substring(text.indexOf('\n', from) + 1, to);
    }

    private static Path findUp(String relative) {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            Path candidate = dir.resolve(relative);
            if (Files.exists(candidate)) {
                return candidate;
            }
            dir = dir.getParent();
        }
        throw new AssertionError("cannot find " + relative + " above " + Path.of("").toAbsolutePath());
    }
}
