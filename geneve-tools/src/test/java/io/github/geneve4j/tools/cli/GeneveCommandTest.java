package io.github.geneve4j.tools.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.testing.ReadmeExample;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class GeneveCommandTest {

    private static String run(String... args) {
        StringWriter out = new StringWriter();
        int code = GeneveCommand.execute(new PrintWriter(out), new PrintWriter(new StringWriter()), args);
        assertThat(code).isZero();
        return out.toString();
    }

    @Test
    void versionIsTheProjectVersion() throws IOException {
        String pom = Files.readString(ReadmeExample.findUp("geneve-tools/pom.xml"));
        Matcher m = Pattern.compile("<parent>.*?<version>([^<]+)</version>", Pattern.DOTALL).matcher(pom);
        assertThat(m.find()).isTrue();
        assertThat(run("--version").lines().findFirst()).hasValue("geneve " + m.group(1));
    }

    /** In {@code geneve --help}, each command's summary is its first description line: a whole sentence. */
    @Test
    void everySummaryIsACompleteSentenceAndShownWhole() {
        CommandLine cl = new CommandLine(new GeneveCommand());
        String help = run("--help").replaceAll("\\s+", " ");
        assertThat(cl.getSubcommands()).containsKeys("dump", "tso", "demo", "ping", "responder", "vtep");
        cl.getSubcommands().forEach((name, sub) -> {
            if (name.equals("help")) {
                return; // picocli's own
            }
            String summary = sub.getCommandSpec().usageMessage().description()[0];
            assertThat(summary).as(name).matches("[A-Z].*\\.").doesNotContain("%n");
            assertThat(summary.substring(0, summary.length() - 1)).as(name).doesNotContain(". ");
            assertThat(help).as(name).contains(name + " " + summary);
        });
    }
}
