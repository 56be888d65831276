package io.github.geneve4j.tools.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.geneve4j.testing.Tshark;
import io.github.geneve4j.tools.cli.GeneveCommand;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class TunnelCommandsTest {

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = GeneveCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    static int freePort(String address) throws IOException {
        try (DatagramSocket socket = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(address), 0))) {
            return socket.getLocalPort();
        }
    }

    @Tag("system")
    @Test
    void demoPingsThroughTheTunnelAndRecordsAPcapWiresharkDissects(@TempDir Path dir) throws Exception {
        Path pcap = dir.resolve("demo.pcap");
        Run run = run("demo", "--count", "3", "--interval", "0.05", "--pcap", pcap.toString());
        assertThat(run.err()).isEmpty();
        assertThat(run.code()).isZero();
        List<String> lines = run.out().lines().toList();
        assertThat(lines.get(0)).matches("Geneve tunnel 127\\.0\\.0\\.1:\\d+ <-> 127\\.0\\.0\\.2:\\d+, VNI 5000; hosts 10\\.0\\.0\\.1 and 10\\.0\\.0\\.2");
        assertThat(lines.get(1)).isEqualTo("PING 10.0.0.2 (10.0.0.2) 56(84) bytes of data.");
        for (int seq = 1; seq <= 3; seq++) {
            assertThat(lines.get(1 + seq)).matches("64 bytes from 10\\.0\\.0\\.2: icmp_seq=" + seq + " ttl=64 time=\\d+\\.\\d{3} ms");
        }
        assertThat(lines.subList(5, lines.size())).hasSize(4);
        assertThat(lines.get(6)).isEqualTo("--- 10.0.0.2 ping statistics ---");
        assertThat(lines.get(7)).isEqualTo("3 packets transmitted, 3 received, 0% packet loss");
        assertThat(lines.get(8)).matches("rtt min/avg/max/mdev = [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms");

        Tshark.assumeAvailable();
        List<JsonNode> frames = Tshark.fields(pcap,
                List.of("-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"),
                "geneve.vni", "geneve.proto_type", "arp.opcode", "icmp.type", "ip.src", "ip.dst",
                "udp.checksum.status", "ip.checksum.status", "icmp.checksum.status", "arp.src.proto_ipv4",
                "arp.dst.proto_ipv4");
        assertThat(frames).hasSize(2 + 6); // ARP request and reply, three echo requests and replies
        Set<String> arp = new HashSet<>();
        int requests = 0;
        int replies = 0;
        for (JsonNode f : frames) {
            assertThat(Tshark.values(f, "geneve.vni")).containsExactly("0x001388");
            assertThat(Tshark.values(f, "geneve.proto_type")).containsExactly("0x6558");
            assertThat(Tshark.values(f, "udp.checksum.status")).containsExactly("1");
            assertThat(Tshark.values(f, "ip.checksum.status")).doesNotContain("0");
            arp.addAll(Tshark.values(f, "arp.opcode"));
            if (Tshark.values(f, "icmp.type").equals(List.of("8"))) {
                requests++;
                assertThat(Tshark.values(f, "ip.src")).endsWith("10.0.0.1");
                assertThat(Tshark.values(f, "ip.dst")).endsWith("10.0.0.2");
                assertThat(Tshark.values(f, "icmp.checksum.status")).containsExactly("1");
            } else if (Tshark.values(f, "icmp.type").equals(List.of("0"))) {
                replies++;
                assertThat(Tshark.values(f, "ip.src")).endsWith("10.0.0.2");
            } else {
                assertThat(Tshark.values(f, "arp.src.proto_ipv4").get(0)).isIn("10.0.0.1", "10.0.0.2");
            }
        }
        assertThat(arp).containsExactlyInAnyOrder("1", "2");
        assertThat(requests).isEqualTo(3);
        assertThat(replies).isEqualTo(3);
    }

    @Test
    void pingAndResponderAsTwoEndpoints() throws Exception {
        int responderPort = freePort("127.0.0.3");
        int pingPort = freePort("127.0.0.4");
        CompletableFuture<Run> responder = CompletableFuture.supplyAsync(() -> run("responder",
                "--local", "127.0.0.3:" + responderPort, "--remote", "127.0.0.4:" + pingPort, "--count", "2"));
        TimeUnit.MILLISECONDS.sleep(300);
        Run ping = run("ping", "--local", "127.0.0.4:" + pingPort, "--remote", "127.0.0.3:" + responderPort,
                "--count", "2", "--interval", "0.05");
        Run answered = responder.get(30, TimeUnit.SECONDS);
        assertThat(ping.code()).as(ping.err()).isZero();
        assertThat(ping.out()).contains("2 packets transmitted, 2 received, 0% packet loss");
        assertThat(answered.code()).isZero();
        assertThat(answered.out().lines()).containsExactly(
                "responder 10.0.0.2 on 127.0.0.3:" + responderPort + ", VNI 5000",
                "64 bytes from 10.0.0.1: icmp_seq=1 echo request answered",
                "64 bytes from 10.0.0.1: icmp_seq=2 echo request answered");
    }

    @Test
    void anUnknownCriticalOptionIsDroppedByTheReceiver() throws Exception {
        int responderPort = freePort("127.0.0.5");
        int pingPort = freePort("127.0.0.6");
        CompletableFuture<Run> responder = CompletableFuture.supplyAsync(() -> run("responder",
                "--local", "127.0.0.5:" + responderPort, "--remote", "127.0.0.6:" + pingPort, "--duration", "2"));
        TimeUnit.MILLISECONDS.sleep(300);
        Run ping = run("ping", "--local", "127.0.0.6:" + pingPort, "--remote", "127.0.0.5:" + responderPort,
                "--count", "1", "--timeout", "0.5", "--option", "0xffff:0x80:a1b2c3d4");
        assertThat(ping.code()).isEqualTo(1);
        // the responder drops the ARP request too (it carries the option): nothing resolved, no echo sent
        assertThat(ping.out()).contains("From 10.0.0.1 icmp_seq=1 Destination Host Unreachable",
                "0 packets transmitted, 0 received, +1 errors");
        Run dropped = responder.get(30, TimeUnit.SECONDS);
        assertThat(dropped.code()).isZero();
        assertThat(dropped.out().lines()).hasSize(1); // its banner: no request got through
        // counted by reason and said once at the end, never a line per datagram
        assertThat(dropped.err()).isEqualTo("geneve responder: dropped 1 datagram(s): unknown-critical-option=1"
                + System.lineSeparator());
    }

    @Test
    void pingTowardNobodySaysTheHostIsUnreachableAndCountsNoTransmission() throws Exception {
        int pingPort = freePort("127.0.0.7");
        int nobody = freePort("127.0.0.8"); // bound and released: nothing listens there
        Run ping = run("ping", "--local", "127.0.0.7:" + pingPort, "--remote", "127.0.0.8:" + nobody,
                "--count", "3", "--interval", "0.05", "--timeout", "0.2");
        assertThat(ping.code()).isEqualTo(1);
        assertThat(ping.out().lines()).containsExactly(
                "PING 10.0.0.2 (10.0.0.2) 56(84) bytes of data.",
                "From 10.0.0.1 icmp_seq=1 Destination Host Unreachable",
                "From 10.0.0.1 icmp_seq=2 Destination Host Unreachable",
                "From 10.0.0.1 icmp_seq=3 Destination Host Unreachable",
                "",
                "--- 10.0.0.2 ping statistics ---",
                "0 packets transmitted, 0 received, +3 errors");
    }

    @Test
    void badArgumentsAreOneLineErrors() {
        Run run = run("ping", "--local", "nonsense", "--remote", "127.0.0.1");
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).contains("'nonsense' is not an IP address").doesNotContain("Exception");
        Run option = run("demo", "--option", "0xffff:0x80:abc");
        assertThat(option.code()).isEqualTo(2);
        assertThat(option.err()).contains("option '0xffff:0x80:abc'");
    }
}
