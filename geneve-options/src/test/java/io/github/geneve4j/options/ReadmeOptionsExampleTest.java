package io.github.geneve4j.options;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.GeneveView;
import io.github.geneve4j.options.aws.GwlbOptions;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's "Options and the critical bit" example, compiled and run; the README must show the same lines. */
class ReadmeOptionsExampleTest {

    @Test
    void exampleRuns() {
        Verdict verdict;
        GeneveHeader reply;
        // readme-options-example: begin
        ReceivePolicy policy = ReceivePolicy.strict(OptionRegistry.defaults());     // shared, thread-safe
        GeneveHeader sent = HeaderBuilder.ethernet(5000)
                .add(new GwlbOptions.FlowCookie(0x12345678))                        // known, typed
                .add(new GeneveOption(0xFFFF, 0x80, new byte[4]))                   // critical, unknown here
                .build();                                                           // C bit computed: set
        ByteBuffer packet = ByteBuffer.wrap(sent.toBytes());
        verdict = new Verdict();                                                    // one per thread
        policy.evaluate(new GeneveView().wrap(packet, 0), verdict);                 // DROP_UNKNOWN_CRITICAL
        reply = GwlbOptions.replyHeader(GeneveHeader.decode(packet, 0));            // unknown options kept as is
        // readme-options-example: end
        assertThat(verdict.kind()).isEqualTo(Verdict.Kind.DROP_UNKNOWN_CRITICAL);
        assertThat(verdict.offset()).isEqualTo(16);
        assertThat(reply.toBytes()).isEqualTo(sent.toBytes());
        assertThat(sent.critical()).isTrue();
    }

    @Test
    void readmeShowsTheSameLines() throws IOException {
        String readme = Files.readString(findUp("README.md"));
        String test = Files.readString(findUp(
                "geneve-options/src/test/java/io/github/geneve4j/options/ReadmeOptionsExampleTest.java"));
        String block = between(readme, "```java\n", "```", readme.indexOf("<!-- readme-options-example: begin"));
        assertThat(normalize(block.substring(block.indexOf("ReceivePolicy policy")))) // after the imports
                .isEqualTo(normalize(between(test, "// readme-options-example: begin\n", "// readme-options-example: end", 0)));
    }

    private static String between(String text, String begin, String end, int from) {
        int start = text.indexOf(begin, from);
        assertThat(from).isNotNegative();
        assertThat(start).isNotNegative();
        start += begin.length();
        return text.substring(start, text.indexOf(end, start));
    }

    private static String normalize(String code) {
        return code.lines().map(l -> l.strip().replaceAll("\\s+", " ")).filter(l -> !l.isEmpty())
                .map(l -> l.replaceFirst("^Verdict verdict =", "verdict =").replaceFirst("^GeneveHeader reply =", "reply ="))
                .reduce("", (a, b) -> a + b + "\n");
    }

    private static Path findUp(String relative) {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.exists(dir.resolve(relative))) {
                return dir.resolve(relative);
            }
        }
        throw new AssertionError("cannot find " + relative);
    }
}
