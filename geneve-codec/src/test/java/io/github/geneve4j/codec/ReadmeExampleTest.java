package io.github.geneve4j.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Keeps the README's quick start honest: the snippet below is the README's, compiled and run. */
class ReadmeExampleTest {

    @Test
    void quickStartRunsAndDoesWhatItSays() {
        PrintStream stdout = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        GeneveHeader header;
        int headerLength;
        GeneveHeader decoded;
        try {
            // readme-example: begin
            // Encode: a header for VNI 5000 carrying an Ethernet frame, with one critical option.
            header = GeneveHeader.of(ProtocolType.ETHERNET, 5000,
                    new GeneveOption(0xFFFF, 0x80, new byte[] {(byte) 0xa1, (byte) 0xb2, (byte) 0xc3, (byte) 0xd4}));
            ByteBuffer packet = ByteBuffer.allocateDirect(1500);
            headerLength = header.encode(packet, 0);               // 16 bytes; the C bit was computed

            // Decode without copying or allocating: wrap a reusable view around the bytes.
            GeneveView view = new GeneveView().wrap(packet, 0);        // GeneveFormatException if malformed
            System.out.printf("VNI %d, %d option(s), C=%b, inner frame at %d%n",
                    view.vni(), view.optionCount(), view.critical(), view.payloadOffset());
            decoded = view.toHeader();                    // or decode straight to a record
            // readme-example: end
        } finally {
            System.setOut(stdout);
        }
        assertThat(headerLength).isEqualTo(16);
        assertThat(header.critical()).isTrue();
        assertThat(decoded).isEqualTo(header);
        assertThat(printed.toString(StandardCharsets.UTF_8)).isEqualTo("VNI 5000, 1 option(s), C=true, inner frame at 16\n");
    }

    @Test
    void readmeShowsTheSameSnippet() throws IOException {
        String readme = Files.readString(findUp("README.md"));
        String readmeSnippet = between(readme, "<!-- readme-example: begin", "<!-- readme-example: end");
        readmeSnippet = readmeSnippet.substring(readmeSnippet.indexOf("```java") + 7, readmeSnippet.lastIndexOf("```"));
        readmeSnippet = readmeSnippet.substring(readmeSnippet.indexOf("// Encode:")); // after the imports
        String test = Files.readString(findUp("geneve-codec/src/test/java/io/github/geneve4j/codec/ReadmeExampleTest.java"));
        String testSnippet = between(test, "// readme-example: begin\n", "            // readme-example: end");
        assertThat(normalize(readmeSnippet)).isEqualTo(normalize(testSnippet));
    }

    /** Declarations the test hoists out of the try block are compared without their types. */
    private static String normalize(String code) {
        return code.lines()
                .map(String::strip)
                .filter(line -> !line.isEmpty())
                .map(line -> line.replaceFirst("^(GeneveHeader|int) (header|headerLength|decoded) =", "$2 ="))
                .reduce("", (a, b) -> a + b + "\n");
    }

    private static String between(String text, String begin, String end) {
        int from = text.indexOf(begin);
        int to = text.indexOf(end, from + begin.length());
        assertThat(from).as("marker %s", begin).isNotNegative();
        assertThat(to).as("marker %s", end).isGreaterThan(from);
        return text.substring(text.indexOf('\n', from) + 1, to);
    }

    static Path findUp(String relative) {
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
