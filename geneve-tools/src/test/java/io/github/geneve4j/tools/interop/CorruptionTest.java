package io.github.geneve4j.tools.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A corrupted inner segment is never delivered as valid (issue 21): two of our vteps with offload
 * on (the receiving one coalesces and hands its kernel frames with fresh checksums) talk through a
 * {@link CorruptingRelay} in a third namespace that flips a payload bit of every 40th TCP datagram
 * from A to B, with the outer UDP checksum made over the damage or zero. The outer checksum then
 * says nothing: B's vtep must find the damage by the inner TCP checksum and not merge it (its
 * kernel then counts and drops it), so B's kernel sees TcpInCsumErrors for the flipped segments,
 * TCP retransmits them, and the bytes hash the same at both ends.
 *
 * <p>namespace A (TAP 10.0.0.1) ⇄ vtep 172.31.7.1 ⇄ relay 172.31.7.254 | 172.31.8.254 ⇄ vtep
 * 172.31.8.1 ⇄ namespace B (TAP 10.0.0.2).
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
@Tag("system")
class CorruptionTest {

    private static final String A = "g4j-ka";
    private static final String B = "g4j-kb";
    private static final String M = "g4j-km";
    private static final long BYTES = 8L << 20;
    private Path dir;
    private Process vtepA;
    private Process vtepB;
    private Process relay;

    @BeforeAll
    static void require() throws Exception {
        Netns.requireOrSkip("corruption suite", List.of("ip", "tun", "nstat"));
    }

    @Test
    void withTheOuterChecksumMadeOverTheDamageAFlippedBitIsNeverDeliveredAsValid() throws Exception {
        flipInFlight("on");
    }

    @Test
    void withoutAnOuterChecksumAFlippedBitIsNeverDeliveredAsValid() throws Exception {
        flipInFlight("off");
    }

    private void flipInFlight(String outerChecksum) throws Exception {
        dir = Files.createTempDirectory("g4j-corrupt");
        down();
        Netns.sh("ip netns add " + A + " && ip netns add " + B + " && ip netns add " + M
                + " && ip link add g4jka type veth peer name g4jkma && ip link add g4jkb type veth peer name g4jkmb"
                + " && ip link set g4jka netns " + A + " && ip link set g4jkma netns " + M
                + " && ip link set g4jkb netns " + B + " && ip link set g4jkmb netns " + M
                + " && ip -n " + A + " link set lo up && ip -n " + B + " link set lo up && ip -n " + M + " link set lo up"
                + " && ip -n " + A + " addr add 172.31.7.1/24 dev g4jka && ip -n " + A + " link set g4jka up"
                + " && ip -n " + B + " addr add 172.31.8.1/24 dev g4jkb && ip -n " + B + " link set g4jkb up"
                + " && ip -n " + M + " addr add 172.31.7.254/24 dev g4jkma && ip -n " + M + " link set g4jkma up"
                + " && ip -n " + M + " addr add 172.31.8.254/24 dev g4jkmb && ip -n " + M + " link set g4jkmb up");
        relay = Netns.start(Netns.java(M, CorruptingRelay.class.getName(), "172.31.7.254", "172.31.7.1",
                "172.31.8.254", "172.31.8.1", "40", outerChecksum), dir.resolve("relay.log"));
        vtepA = Netns.start(Netns.geneve(A, "vtep", "--tap", "g4jtap", "--local", "172.31.7.1",
                "--remote", "172.31.7.254", "--offload", "on", "--stats", "1"), dir.resolve("vtep-a.log"));
        vtepB = Netns.start(Netns.geneve(B, "vtep", "--tap", "g4jtap", "--local", "172.31.8.1",
                "--remote", "172.31.8.254", "--offload", "on", "--stats", "1"), dir.resolve("vtep-b.log"));
        Netns.waitForLine(dir.resolve("relay.log"), "relaying", 30);
        Netns.waitForLine(dir.resolve("vtep-a.log"), "set the TAP's MTU to 1450", 30);
        Netns.waitForLine(dir.resolve("vtep-b.log"), "set the TAP's MTU to 1450", 30);
        Netns.sh("ip -n " + A + " addr add 10.0.0.1/24 dev g4jtap && ip -n " + A + " link set g4jtap mtu 1450 up"
                + " && ip -n " + B + " addr add 10.0.0.2/24 dev g4jtap && ip -n " + B + " link set g4jtap mtu 1450 up");
        Netns.Result ping = Netns.run(30, "ip", "netns", "exec", A, "ping", "-c", "2", "-i", "0.3", "-W", "3", "10.0.0.2");
        assertThat(ping.output()).contains("2 packets transmitted, 2 received");

        Netns.run(10, "ip", "netns", "exec", B, "nstat", "-n");
        Path receiverLog = dir.resolve("receiver.log");
        Process receiver = Netns.start(Netns.java(B, TcpProbe.class.getName(), "receive", "10.0.0.2", "5001"), receiverLog);
        try {
            Netns.waitForLine(receiverLog, "listening", 30);
            Netns.Result sent = Netns.run(90, Netns.java(A, TcpProbe.class.getName(), "send", "10.0.0.2", "5001",
                    String.valueOf(BYTES), "21", "0"));
            assertThat(sent.code()).as(sent.output()).isZero();
            assertThat(receiver.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String received = Files.readString(receiverLog).lines().filter(l -> !l.equals("listening"))
                    .findFirst().orElse("");
            // what arrived is what was sent: no damaged byte got through as valid
            assertThat(received).isEqualTo(sent.output().strip()).startsWith(BYTES + " ");
        } finally {
            Netns.stop(receiver);
        }
        long flipped = lastCount(Files.readString(dir.resolve("relay.log")), "flipped (\\d+)");
        String nstat = Netns.run(10, "ip", "netns", "exec", B, "nstat", "-az", "TcpInCsumErrors").output();
        long csumErrors = lastCount(nstat, "TcpInCsumErrors\\s+(\\d+)");
        // the relay did damage segments; each reached B's kernel as it was (never merged into a
        // frame with a fresh checksum), and B's kernel refused it
        assertThat(flipped).as("segments the relay damaged").isGreaterThanOrEqualTo(10);
        assertThat(csumErrors).as("B's TcpInCsumErrors, " + flipped + " flipped").isBetween(1L, flipped);
        VtepStats b = VtepStats.last(dir.resolve("vtep-b.log"));
        assertThat(b.coalescedWrites()).as(b.line()).isGreaterThan(0);
    }

    private static long lastCount(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        long last = -1;
        while (m.find()) {
            last = Long.parseLong(m.group(1));
        }
        return last;
    }

    @AfterEach
    void down() throws Exception {
        Netns.stop(vtepA);
        Netns.stop(vtepB);
        Netns.stop(relay);
        Netns.run(30, "sh", "-c", "ip netns del " + A + " 2>/dev/null; ip netns del " + B + " 2>/dev/null; ip netns del "
                + M + " 2>/dev/null; true");
    }
}
