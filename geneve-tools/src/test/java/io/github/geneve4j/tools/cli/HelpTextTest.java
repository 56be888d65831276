package io.github.geneve4j.tools.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every command's {@code --help}, rendered at 80 columns, wraps cleanly: no description holds a
 * forced line break. A <em>fragment</em> is a line that picocli's greedy wrapping would not have
 * ended there: the next line continues the same text (it is not a new option, parameter, exit code
 * or heading), its first word would have fit on this line (picocli fills up to 79 of 80 columns), and this line does not end a sentence
 * ({@code . : ; ! ?}) — the mark of a description split across two array elements, as in
 * {@code "...not UDP to the"} / {@code "Geneve port..."}. A line with an odd number of double
 * quotes is a fragment too: a quoted token cut in two ({@code {"frame":N,"} / {@code error":...}}),
 * and so is an option description's wrapped line, not ending a sentence, followed by a line back at
 * the description column (a new element that continues the sentence).
 */
class HelpTextTest {

    static final int WIDTH = 80;
    /** A line that starts an item of its own: an option or parameter row, an exit code, a heading. */
    private static final Pattern ITEM = Pattern.compile("^(\\s*-.*|\\s*\\S+(\\s\\S+)*\\s{2,}\\S.*|\\S.*:|Usage:.*|\\s*\\[.*)$");

    private static final Pattern LABEL = Pattern.compile("^\\s+-\\S+(, -\\S+)*$");

    static Map<String, String> helps() {
        Map<String, String> helps = new LinkedHashMap<>();
        CommandLine root = new CommandLine(new GeneveCommand());
        helps.put("geneve", usage(root));
        root.getSubcommands().forEach((name, sub) -> helps.put(name, usage(sub)));
        return helps;
    }

    private static String usage(CommandLine commandLine) {
        commandLine.getCommandSpec().usageMessage().width(WIDTH);
        return commandLine.getUsageMessage(CommandLine.Help.Ansi.OFF);
    }

    static List<String> fragments(String help) {
        List<String> found = new ArrayList<>();
        List<String> lines = help.lines().toList();
        boolean synopsis = false;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            // the synopsis ("Usage: ..." and its indented continuation) is picocli's, not a description
            synopsis = line.startsWith("Usage:") || (synopsis && line.startsWith(" "));
            if (synopsis) {
                continue;
            }
            if (line.chars().filter(c -> c == '"').count() % 2 == 1) {
                found.add(line);
                continue;
            }
            // an option whose label fills its column: picocli puts its description on the next line
            if (i + 1 == lines.size() || line.isBlank() || lines.get(i + 1).isBlank() || LABEL.matcher(line).matches()) {
                continue;
            }
            String next = lines.get(i + 1);
            if (ITEM.matcher(next).matches() || line.stripTrailing().matches(".*[.:;!?]$")) {
                continue;
            }
            // inside an option's description, a new element starts left of the wrapped lines' indent:
            // reached in mid-sentence, it is the rest of a sentence split across two elements
            if (indent(next) < indent(line) && indent(line) > 0) {
                found.add(line);
                continue;
            }
            String firstWord = next.strip().split("\\s+")[0];
            // picocli fills a line to WIDTH - 1 columns at most
            if (line.stripTrailing().length() + 1 + firstWord.length() < WIDTH) {
                found.add(line);
            }
        }
        return found;
    }

    private static int indent(String line) {
        return line.length() - line.stripLeading().length();
    }

    @Test
    void everyCommandsHelpWrapsWithoutFragments() {
        Map<String, String> helps = helps();
        List<String> failures = new ArrayList<>();
        assertThat(helps.keySet()).contains("dump", "tso", "demo", "ping", "responder", "vtep", "gwlb");
        helps.forEach((name, help) -> {
            if (!fragments(help).isEmpty() || help.lines().anyMatch(l -> l.length() > WIDTH)) {
                failures.add("geneve " + name + " --help: " + fragments(help) + "\n" + help);
            }
        });
        assertThat(failures).isEmpty();
    }

    @Test
    void theCheckFindsTheFragmentsThisTestWasWrittenFor() {
        // the dump description before the fix: one sentence split across array elements, a JSON token cut
        CommandLine.Model.CommandSpec old = CommandLine.Model.CommandSpec.create().name("dump");
        old.usageMessage().description(
                "Print every Geneve packet of pcap/pcapng captures as one JSON object per line.",
                "Link types: Ethernet, raw IP, Linux cooked (SLL, SLL2). Packets that are not UDP to the",
                "Geneve port are skipped; a malformed Geneve header prints {\"frame\":N,\"error\":...}.");
        old.addOption(CommandLine.Model.OptionSpec.builder("--port").paramLabel("PORT").type(int.class)
                .description("UDP destination port of Geneve (default: 6081).").build());
        String help = usage(new CommandLine(old));
        assertThat(fragments(help)).as(help).contains("UDP to the").anySatisfy(l -> assertThat(l).endsWith("\""));
        // a greedily wrapped paragraph and an options table are not fragments
        CommandLine.Model.CommandSpec clean = CommandLine.Model.CommandSpec.create().name("responder");
        clean.usageMessage().description("Answer ARP and ICMP echo through a Geneve tunnel, a line per request. "
                + "One tunnel endpoint with a virtual host that answers for its address until stopped.");
        clean.addOption(CommandLine.Model.OptionSpec.builder("--count").paramLabel("N").type(int.class)
                .description("Stop after answering this many echo requests (default: 0, never); "
                        + "a long description that wraps onto a second and a third line of the table.").build());
        assertThat(fragments(usage(new CommandLine(clean)))).isEmpty();
    }
}
