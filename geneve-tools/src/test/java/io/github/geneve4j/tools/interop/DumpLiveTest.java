package io.github.geneve4j.tools.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.geneve4j.tools.cli.GeneveCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code geneve dump -i} on a veth between two namespaces this test creates and deletes: a peer sends
 * Geneve (IPv4 and IPv6, two ports) and other traffic (ping, ARP and neighbour discovery, UDP to other
 * ports); the live dump prints the same lines as {@code dump} on tshark's capture of the same
 * traffic, and its summary says the kernel's filter let nothing else through. Ctrl-C (SIGINT) ends a
 * capture with the summary too.
 */
@Tag("system")
class DumpLiveTest {

    private static final String A = "g4j-cap-a";
    private static final String B = "g4j-cap-b";
    private static final String VETH_B = "g4j-cap-vb";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void liveLinesEqualThoseOfASavedCaptureAndNothingElsePassesTheFilter(@TempDir Path dir) throws Exception {
        Netns.requireOrSkip("dump -i namespace test", List.of("tshark", "ping"));
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        delete();
        Process tshark = null;
        Process dump = null;
        try {
            Netns.sh("ip netns add " + A + " && ip netns add " + B
                    + " && ip link add g4j-cap-va netns " + A + " type veth peer name " + VETH_B + " netns " + B
                    + " && ip -n " + A + " addr add 10.77.0.1/24 dev g4j-cap-va"
                    + " && ip -n " + B + " addr add 10.77.0.2/24 dev " + VETH_B
                    + " && ip -n " + A + " addr add fd00:77::1/64 dev g4j-cap-va nodad"
                    + " && ip -n " + B + " addr add fd00:77::2/64 dev " + VETH_B + " nodad"
                    + " && ip -n " + A + " link set g4j-cap-va up && ip -n " + B + " link set " + VETH_B + " up"
                    + " && ip -n " + A + " link set lo up && ip -n " + B + " link set lo up");
            Path pcap = dir.resolve("saved.pcap");
            Path tsharkLog = dir.resolve("tshark.log");
            tshark = Netns.start(List.of("ip", "netns", "exec", B, "tshark", "-i", VETH_B, "-F", "pcap",
                    "-f", "udp dst port 6081 or udp dst port 7000", "-w", pcap.toString()), tsharkLog);
            Netns.waitForLine(tsharkLog, "Capturing on", 60);
            Path out = dir.resolve("dump.out");
            Path err = dir.resolve("dump.err");
            dump = new ProcessBuilder(Netns.geneve(B, "dump", "-i", VETH_B, "--port", "6081", "--port", "7000",
                    "--count", String.valueOf(DumpLiveSender.GENEVE_DATAGRAMS)))
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            Netns.waitForLine(err, "geneve dump: capturing on " + VETH_B + ", UDP to ports 6081, 7000, until 6 Geneve"
                    + " packets (Ctrl-C stops)", 60);

            // other traffic first: none of it may reach the capture's socket
            Netns.sh("ip netns exec " + A + " ping -c 2 -i 0.2 10.77.0.2 && ip netns exec " + A
                    + " ping -6 -c 2 -i 0.2 fd00:77::2");
            Netns.Result sender = Netns.run(60, Netns.java(A, DumpLiveSender.class.getName(),
                    "10.77.0.1", "10.77.0.2", "fd00:77::1", "fd00:77::2"));
            assertThat(sender.output().strip()).as(sender.output()).isEqualTo("6");

            assertThat(dump.waitFor(60, TimeUnit.SECONDS)).as("dump -i ends at --count").isTrue();
            assertThat(dump.exitValue()).as(Files.readString(err)).isZero();
            TimeUnit.MILLISECONDS.sleep(500); // tshark writes what it has seen on the way out
            Netns.stop(tshark);
            tshark = null;

            List<String> live = Files.readAllLines(out);
            StringWriter fileOut = new StringWriter();
            int code = GeneveCommand.execute(new PrintWriter(fileOut), new PrintWriter(new StringWriter()), "dump",
                    "--port", "6081", "--port", "7000", pcap.toString());
            assertThat(code).isZero();
            List<String> saved = fileOut.toString().lines().toList();
            assertThat(live).hasSize(6).containsExactlyElementsOf(saved);
            assertThat(live.get(2)).contains("\"error\":\"UNSUPPORTED_VERSION\"");
            assertThat(live.get(3)).contains("\"dst\":\"fd00:77::2\"", "\"dstPort\":7000", "\"vni\":6000");

            // the summary: six packets reached the socket, which is all the kernel's filter let through
            List<JsonNode> summary = new ArrayList<>();
            for (String line : Files.readAllLines(err).subList(1, Files.readAllLines(err).size())) {
                summary.add(JSON.readTree(line));
            }
            assertThat(summary).hasSize(4);
            assertThat(summary.get(0).get("vni").asInt()).isEqualTo(5000);
            assertThat(summary.get(0).get("packets").asInt()).isEqualTo(3);
            assertThat(summary.get(1).get("vni").asInt()).isEqualTo(6000);
            assertThat(summary.get(1).get("packets").asInt()).isEqualTo(2);
            assertThat(summary.get(2).get("total").get("malformed").asInt()).isEqualTo(1);
            JsonNode capture = summary.get(3).get("capture");
            assertThat(capture.get("interface").asText()).isEqualTo(VETH_B);
            assertThat(capture.get("packets").asInt()).as("frames that reached user space").isEqualTo(6);
            assertThat(capture.get("kernelPackets").asInt()).as("frames that passed the filter").isEqualTo(6);
            assertThat(capture.get("kernelDrops").asInt()).isZero();

            // Ctrl-C: the capture ends and prints its summary
            Files.delete(out);
            Files.delete(err);
            dump = new ProcessBuilder(Netns.geneve(B, "dump", "-i", VETH_B, "--summary"))
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            Netns.waitForLine(err, "geneve dump: capturing on", 60);
            Netns.sh("ip netns exec " + A + " ping -c 1 10.77.0.2");
            Netns.run(60, Netns.java(A, DumpLiveSender.class.getName(), "10.77.0.1", "10.77.0.2", "fd00:77::1",
                    "fd00:77::2"));
            Netns.sh("kill -INT " + dump.pid());
            assertThat(dump.waitFor(30, TimeUnit.SECONDS)).as("dump -i ends on SIGINT").isTrue();
            List<String> summaryLines = Files.readAllLines(out);
            assertThat(summaryLines).as("--summary: to stdout, port 6081 only").hasSize(2);
            assertThat(summaryLines.get(1)).contains("\"packets\":2", "\"malformed\":1");
            assertThat(Files.readString(err)).contains("{\"capture\":{\"interface\":\"" + VETH_B + "\",\"packets\":3,");
        } finally {
            Netns.stop(dump);
            Netns.stop(tshark);
            delete();
        }
    }

    @Test
    void withoutCapNetRawTheErrorSaysWhatIsNeeded() throws Exception {
        Netns.requireOrSkip("dump -i without CAP_NET_RAW", List.of("capsh"));
        // the socket is refused before it exists: nothing is captured, not even on the host's loopback
        Netns.Result run = Netns.run(60, "capsh", "--drop=cap_net_raw", "--", "-c", "exec \"$0\" \"$@\"",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), GeneveCommand.class.getName(), "dump", "-i", "lo");
        assertThat(run.code()).as(run.output()).isEqualTo(2);
        assertThat(run.output().strip()).isEqualTo("geneve dump: cannot capture on lo: AF_PACKET socket failed: "
                + "Operation not permitted (errno 1); capturing needs CAP_NET_RAW (root)");
    }

    private static void delete() throws Exception {
        Netns.run(10, "ip", "netns", "del", A);
        Netns.run(10, "ip", "netns", "del", B);
    }
}
