package io.github.geneve4j.tools.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.geneve4j.pcap.LinkType;
import io.github.geneve4j.pcap.PcapWriter;
import io.github.geneve4j.pcap.testing.CaptureBuilder;
import io.github.geneve4j.testing.Tshark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Our tunnel endpoint and Open vSwitch (userspace datapath, Debian's package) on the two ends of one
 * Geneve tunnel, VNI 5000, in two network namespaces this test creates and deletes
 * ({@code src/test/interop/ovs-topology.sh}). OVS's bridge has 10.0.0.1 (the Linux stack of its
 * namespace answers); our endpoint's virtual host has 10.0.0.2.
 *
 * <p>Needs root, network namespaces and {@code ovs-vswitchd}: where the machine lacks them the
 * suite is skipped with a loud message, except with {@code CI=true}, where it fails.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@Tag("system")
class OvsInteropTest {

    private static final String NS_OVS = "g4j-ovs";
    private static final String NS_JAVA = "g4j-java";
    private static Path dir;
    private static Path script;

    @BeforeAll
    static void up() throws Exception {
        Netns.requireOrSkip("Open vSwitch interop suite",
                List.of("ovs-vswitchd", "ovsdb-server", "ovs-vsctl", "ip", "ping", "ethtool", "tun"));
        dir = Files.createTempDirectory("g4j-ovs");
        script = Path.of("src/test/interop/ovs-topology.sh").toAbsolutePath();
        Netns.Result result = Netns.run(60, "bash", script.toString(), "up", dir.toString());
        assertThat(result.code()).as("topology up: %s", result.output()).isZero();
    }

    @AfterAll
    static void down() throws Exception {
        if (dir != null) {
            Netns.run(60, "bash", script.toString(), "down", dir.toString());
        }
    }

    static List<String> geneve(String... args) {
        return Netns.geneve(NS_JAVA, args);
    }

    static Netns.Result run(int seconds, String... command) throws IOException, InterruptedException {
        return Netns.run(seconds, command);
    }

    static Process start(List<String> command, Path output) throws IOException {
        return Netns.start(command, output);
    }

    static String vsctl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("ovs-vsctl", "--db=unix:" + dir.resolve("run/db.sock")));
        command.addAll(List.of(args));
        Netns.Result r = run(30, command.toArray(String[]::new));
        assertThat(r.code()).as("ovs-vsctl %s: %s", args, r.output()).isZero();
        return r.output();
    }

    /** OVS's namespace pings our virtual host; our responder answers every request. */
    void ovsPingsUs(String label) throws Exception {
        Path log = dir.resolve("responder-" + label + ".log");
        Process responder = start(geneve("responder", "--local", "172.31.0.2", "--remote", "172.31.0.1",
                "--count", "3", "--duration", "30"), log);
        try {
            Netns.waitForLine(log, "responder 10.0.0.2 on 172.31.0.2:6081", 10);
            Netns.Result ping = run(30, "ip", "netns", "exec", NS_OVS, "ping", "-c", "3", "-i", "0.3", "-W", "3", "10.0.0.2");
            assertThat(ping.output()).as(label).contains("3 packets transmitted, 3 received, 0% packet loss");
            assertThat(responder.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(Files.readString(log)).contains("icmp_seq=1 echo request answered",
                    "icmp_seq=2 echo request answered", "icmp_seq=3 echo request answered");
        } finally {
            responder.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Our virtual host pings OVS's bridge address; the Linux stack in OVS's namespace answers. */
    void wePingOvs(String label) throws Exception {
        Netns.Result ping = run(60, geneve("ping", "--local", "172.31.0.2", "--remote", "172.31.0.1",
                "--host", "10.0.0.2/24", "--target", "10.0.0.1", "--count", "3", "--interval", "0.3").toArray(String[]::new));
        assertThat(ping.code()).as("%s: %s", label, ping.output()).isZero();
        assertThat(ping.output()).contains("3 packets transmitted, 3 received, 0% packet loss")
                .containsPattern("64 bytes from 10\\.0\\.0\\.1: icmp_seq=1 ttl=64 time=");
    }

    @Test
    @Order(1)
    void pingBothWaysWithoutUdpChecksum() throws Exception {
        ovsPingsUs("csum off");
        wePingOvs("csum off");
    }

    @Test
    @Order(2)
    void pingBothWaysWithUdpChecksum() throws Exception {
        vsctl("set", "interface", "gnv0", "options:csum=true");
        try {
            ovsPingsUs("csum on");
            wePingOvs("csum on");
        } finally {
            vsctl("remove", "interface", "gnv0", "options", "csum");
        }
    }

    /** What OVS puts on the wire, captured on the veth: our dump reads it as tshark does. */
    @Test
    @Order(3)
    void ourDumpReadsWhatOvsSends() throws Exception {
        Tshark.assumeAvailable();
        Path pcap = dir.resolve("ovs.pcap");
        Process capture = start(List.of("ip", "netns", "exec", NS_JAVA, "tshark", "-i", "g4jj", "-f", "udp port 6081",
                "-w", pcap.toString()), dir.resolve("tshark.log"));
        try {
            TimeUnit.SECONDS.sleep(2);
            ovsPingsUs("capture");
            TimeUnit.MILLISECONDS.sleep(500);
        } finally {
            capture.destroy();
            capture.waitFor(10, TimeUnit.SECONDS);
        }
        Netns.Result dump = run(60, geneve("dump", pcap.toString()).toArray(String[]::new));
        assertThat(dump.code()).as(dump.output()).isZero();
        List<JsonNode> tshark = Tshark.fields(pcap, List.of(), "geneve.vni", "geneve.proto_type", "ip.src", "udp.length");
        ObjectMapper json = new ObjectMapper();
        List<String> lines = dump.output().lines().filter(l -> l.startsWith("{")).toList();
        assertThat(lines).hasSizeGreaterThanOrEqualTo(6); // ARP and three echo requests and replies
        assertThat(lines).hasSameSizeAs(tshark);
        int fromOvs = 0;
        for (int i = 0; i < lines.size(); i++) {
            JsonNode ours = json.readTree(lines.get(i));
            JsonNode theirs = tshark.get(i);
            assertThat(ours.get("vni").asInt()).isEqualTo(5000);
            assertThat(Tshark.values(theirs, "geneve.vni").get(0)).isEqualTo("0x001388");
            assertThat(ours.get("protocolType").asInt()).isEqualTo(0x6558);
            assertThat(ours.at("/outer/src").asText()).isEqualTo(Tshark.values(theirs, "ip.src").get(0));
            int udpLength = Integer.parseInt(Tshark.values(theirs, "udp.length").get(0));
            assertThat(ours.get("payloadLength").asInt() + 8 + ours.get("optionsLength").asInt() + 8).isEqualTo(udpLength);
            if (ours.at("/outer/src").asText().equals("172.31.0.1")) {
                fromOvs++;
                // RFC 8926 section 3.3: OVS varies the source port by flow, and sends to 6081
                assertThat(ours.at("/outer/dstPort").asInt()).isEqualTo(6081);
            }
        }
        assertThat(fromOvs).isGreaterThanOrEqualTo(3);
    }

    /**
     * Our vtep with a real kernel behind a TAP (10.0.0.2) in place of the tiny virtual host: the two
     * kernels ping each other and carry TCP both ways through OVS and our vtep, with zero TCP
     * checksum errors.
     */
    @Test
    @Order(4)
    void kernelBehindOurVtepTalksToOvsBridge() throws Exception {
        kernelBehindOurVtep("off");
    }

    /**
     * The same with offload on: our kernel's 64 KiB super-frames cut by our segmenter reach OVS's
     * kernel intact, and OVS's MTU-sized frames reach ours coalesced (issue scenario 3).
     */
    @Test
    @Order(5)
    void kernelBehindOurVtepWithOffloadTalksToOvsBridge() throws Exception {
        VtepStats stats = kernelBehindOurVtep("on");
        assertThat(stats.superFrames()).as(stats.line()).isGreaterThan(0);
        assertThat(stats.segments()).as(stats.line()).isGreaterThan(2 * stats.superFrames());
        assertThat(stats.coalescedWrites()).as(stats.line()).isGreaterThan(0);
    }

    /**
     * {@code geneve tso} output replayed into OVS (64 KiB over IPv4, 256 KiB over IPv6 with BIG TCP
     * lengths): OVS decapsulates every segment and its bridge delivers the TCP stream intact, as
     * tshark reassembles it from a capture on the bridge.
     */
    @Test
    @Order(6)
    void segmentedFramesReplayedIntoOvsAreDeliveredIntact() throws Exception {
        Tshark.assumeAvailable();
        byte[] small = new byte[64 << 10];
        byte[] large = new byte[256 << 10];
        new java.util.SplittableRandom(64).nextBytes(small);
        new java.util.SplittableRandom(256).nextBytes(large);
        Path in = dir.resolve("tso-in.pcap");
        try (PcapWriter writer = PcapWriter.create(in, LinkType.ETHERNET)) {
            writer.write(1_000_000_000L, toUnknownMac(CaptureBuilder.tcpFrame(true, small, 40001)));
            writer.write(2_000_000_000L, toUnknownMac(CaptureBuilder.tcpFrame(false, large, 40002)));
        }
        Path out = dir.resolve("tso-out.pcap");
        Netns.Result tso = run(60, Netns.java(NS_JAVA, "io.github.geneve4j.tools.cli.GeneveCommand", "tso", "--in",
                in.toString(), "--out", out.toString(), "--vni", "5000", "--mtu", "1500").toArray(String[]::new));
        assertThat(tso.code()).as(tso.output()).isZero();

        Path capture = dir.resolve("br-int.pcap");
        Process tshark = start(List.of("ip", "netns", "exec", NS_OVS, "tshark", "-i", "br-int", "-f", "tcp",
                "-w", capture.toString()), dir.resolve("tshark-br-int.log"));
        Netns.Result replay;
        try {
            Netns.waitForLine(dir.resolve("tshark-br-int.log"), "Capturing on", 20);
            TimeUnit.MILLISECONDS.sleep(500);
            replay = run(60, Netns.java(NS_JAVA, GeneveReplay.class.getName(), out.toString(), "172.31.0.2",
                    "172.31.0.1").toArray(String[]::new));
            TimeUnit.SECONDS.sleep(1);
        } finally {
            tshark.destroy();
            tshark.waitFor(10, TimeUnit.SECONDS);
        }
        assertThat(replay.code()).as(replay.output()).isZero();
        assertThat(Long.parseLong(replay.output().strip())).isGreaterThan((small.length + large.length) / 1450);
        assertThat(sha256(follow(capture, 0))).as("64 KiB stream").isEqualTo(sha256(small));
        assertThat(sha256(follow(capture, 1))).as("256 KiB stream").isEqualTo(sha256(large));
    }

    /**
     * Sends an inner frame to a MAC address OVS has not learned, so its NORMAL action floods it to the
     * bridge's own port (where the capture is) rather than back into the tunnel; OVS's kernel drops
     * it as not its own, so no TCP resets come back.
     */
    static byte[] toUnknownMac(byte[] frame) {
        frame[5] = (byte) 0x99;
        return frame;
    }

    /** The bytes of TCP stream {@code stream} in a capture, as tshark reassembles them. */
    static byte[] follow(Path capture, int stream) throws Exception {
        Netns.Result r = run(60, Tshark.executable().toString(), "-r", capture.toString(), "-q", "-z",
                "follow,tcp,raw," + stream);
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (String line : r.output().lines().toList()) {
            if (line.matches("[0-9a-f]+") && line.length() % 2 == 0) {
                bytes.writeBytes(java.util.HexFormat.of().parseHex(line));
            }
        }
        return bytes.toByteArray();
    }

    static String sha256(byte[] bytes) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private VtepStats kernelBehindOurVtep(String offload) throws Exception {
        Path log = dir.resolve("vtep-" + offload + ".log");
        Process vtep = start(geneve("vtep", "--tap", "g4jtap", "--local", "172.31.0.2", "--remote", "172.31.0.1",
                "--offload", offload, "--stats", "1"), log);
        try {
            Netns.waitForLine(log, "set the TAP's MTU to 1450", 30);
            Netns.sh("ip -n " + NS_JAVA + " addr add 10.0.0.2/24 dev g4jtap && ip -n " + NS_JAVA
                    + " link set g4jtap mtu 1450 up && ip -n " + NS_OVS + " link set br-int mtu 1450"
                    // 10.0.0.2 was the tiny virtual host's address in the tests before: forget its MAC
                    + " && ip -n " + NS_OVS + " neigh flush dev br-int");
            Netns.Result ping = run(30, "ip", "netns", "exec", NS_OVS, "ping", "-c", "3", "-i", "0.3", "-W", "3", "10.0.0.2");
            assertThat(ping.output()).contains("3 packets transmitted, 3 received, 0% packet loss");
            Netns.Result back = run(30, "ip", "netns", "exec", NS_JAVA, "ping", "-c", "3", "-i", "0.3", "-W", "3", "10.0.0.1");
            assertThat(back.output()).contains("3 packets transmitted, 3 received, 0% packet loss");
            VtepTestSupport.transfer(dir, NS_JAVA, NS_OVS, "10.0.0.1", 16L << 20);
            VtepTestSupport.transfer(dir, NS_OVS, NS_JAVA, "10.0.0.2", 16L << 20);
            return VtepStats.last(log);
        } finally {
            Netns.stop(vtep);
        }
    }

    static String ofctl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("env", "OVS_RUNDIR=" + dir.resolve("run"), "ip", "netns", "exec",
                NS_OVS, "ovs-ofctl"));
        command.addAll(List.of(args));
        Netns.Result r = run(30, command.toArray(String[]::new));
        assertThat(r.code()).as("ovs-ofctl %s: %s", args, r.output()).isZero();
        return r.output();
    }

    static String appctl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("env", "OVS_RUNDIR=" + dir.resolve("run"), "ip", "netns", "exec",
                NS_OVS, "ovs-appctl"));
        command.addAll(List.of(args));
        return run(30, command.toArray(String[]::new)).output();
    }

    static long coverage(String counter) throws Exception {
        for (String line : appctl("coverage/show").lines().toList()) {
            if (line.startsWith(counter + " ")) {
                return Long.parseLong(line.replaceAll(".*total: ", "").strip());
            }
        }
        return 0;
    }

    /**
     * Critical options both ways. OVS maps class 0xffff type 0x80 (4 bytes) to tun_metadata0 and
     * sets 0xa1b2c3d4 on all it sends (the C bit follows). Our endpoint drops that without knowing
     * the option, accepts it when configured with it; OVS accepts the mapped option from us and drops
     * an unmapped critical one.
     */
    @Test
    @Order(7)
    void criticalOptionsBothWays() throws Exception {
        ofctl("add-tlv-map", "br-int", "{class=0xffff,type=0x80,len=4}->tun_metadata0");
        ofctl("add-flow", "br-int", "priority=100,in_port=LOCAL,actions=set_field:0xa1b2c3d4->tun_metadata0,NORMAL");
        Run unknown = pingResponder("unknown", List.of());
        assertThat(unknown.ping()).contains("3 packets transmitted, 0 received, 100% packet loss");
        // counted by reason, said once when the responder ends (never a line per datagram)
        assertThat(unknown.responder()).containsPattern("geneve responder: dropped \\d+ datagram\\(s\\):"
                + " (\\S+ )?unknown-critical-option=\\d+");

        Path pcap = dir.resolve("critical.pcap");
        Process capture = start(List.of("ip", "netns", "exec", NS_JAVA, "tshark", "-i", "g4jj", "-f", "udp port 6081",
                "-w", pcap.toString()), dir.resolve("tshark-critical.log"));
        Run known;
        try {
            TimeUnit.SECONDS.sleep(2);
            known = pingResponder("known", List.of("--option", "0xffff:0x80:0badf00d"));
            TimeUnit.MILLISECONDS.sleep(500);
        } finally {
            capture.destroy();
            capture.waitFor(10, TimeUnit.SECONDS);
        }
        assertThat(known.ping()).contains("3 packets transmitted, 3 received, 0% packet loss");
        // OVS read our option: its datapath flows match on the value we sent
        assertThat(appctl("dpctl/dump-flows", "-m")).contains("class=0xffff", "0xbadf00d");
        // and what OVS sent, as our dump reads it: C set, the critical option with OVS's value
        Netns.Result dump = run(60, geneve("dump", pcap.toString()).toArray(String[]::new));
        List<String> fromOvs = dump.output().lines().filter(l -> l.contains("\"src\":\"172.31.0.1\"")).toList();
        assertThat(fromOvs).isNotEmpty().allSatisfy(line -> assertThat(line).contains("\"critical\":true,\"optionsLength\":8",
                "{\"class\":65535,\"className\":\"Experimental\",\"type\":128,\"critical\":true,\"length\":4,"
                        + "\"data\":\"a1b2c3d4\",\"name\":null,\"value\":null}"));

        // a critical option OVS has no mapping for: OVS drops it
        long before = coverage("drop_action_invalid_tunnel_metadata");
        Netns.Result unmapped = run(60, geneve("ping", "--local", "172.31.0.2", "--remote", "172.31.0.1",
                "--host", "10.0.0.2/24", "--target", "10.0.0.1", "--count", "2", "--interval", "0.3", "--timeout", "1",
                "--option", "0xfffe:0x80:00000001").toArray(String[]::new));
        // OVS drops our ARP request too, so nothing resolves: no echo request goes out, each sequence is an error
        assertThat(unmapped.output()).contains("icmp_seq=1 Destination Host Unreachable",
                "0 packets transmitted, 0 received, +2 errors");
        assertThat(coverage("drop_action_invalid_tunnel_metadata")).isGreaterThan(before);
    }

    record Run(String ping, String responder) {
    }

    private Run pingResponder(String label, List<String> options) throws Exception {
        Path log = dir.resolve("responder-" + label + ".log");
        List<String> args = new ArrayList<>(List.of("responder", "--local", "172.31.0.2", "--remote", "172.31.0.1",
                "--duration", "8", "--count", "3"));
        args.addAll(options);
        Process responder = start(geneve(args.toArray(String[]::new)), log);
        try {
            Netns.waitForLine(log, "responder 10.0.0.2 on 172.31.0.2:6081", 10);
            run(10, "ip", "-n", NS_OVS, "neigh", "flush", "dev", "br-int");
            Netns.Result ping = run(30, "ip", "netns", "exec", NS_OVS, "ping", "-c", "3", "-i", "0.3", "-W", "2", "10.0.0.2");
            responder.waitFor(15, TimeUnit.SECONDS);
            return new Run(ping.output(), Files.readString(log));
        } finally {
            Netns.stop(responder);
        }
    }
}
