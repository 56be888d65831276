package io.github.geneve4j.tools.interop;

import static io.github.geneve4j.tools.interop.Underlay.A;
import static io.github.geneve4j.tools.interop.Underlay.B;
import static io.github.geneve4j.tools.interop.Underlay.IP_A;
import static io.github.geneve4j.tools.interop.Underlay.IP_B;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.geneve4j.testing.Tshark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * BFD between two of our vteps ({@code --bfd}, 100 ms each way, mult 3: a detection time of 300 ms)
 * on {@link Underlay}: A sends the O bit 1 (RFC 9521 §4), B 0 (as Open vSwitch does by default); each
 * takes the other's. The sessions come up, a vtep that stops is detected and the data towards it
 * stops, a restarted one is taken in again; tshark dissects the packets on the wire as BFD inside
 * Geneve with the O bit as configured.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
@Tag("system")
class BfdVtepTest {

    private static final String[] BFD = {"--bfd", "--bfd-min-rx", "100", "--bfd-min-tx", "100", "--bfd-mult", "3"};
    private Underlay underlay;

    @BeforeEach
    void up() throws Exception {
        Netns.requireOrSkip("BFD vtep suite", List.of("ip", "ping", "tshark", "tun"));
        underlay = new Underlay();
        underlay.persistentTap(A, "10.0.0.1");
        underlay.persistentTap(B, "10.0.0.2");
    }

    @AfterEach
    void down() throws Exception {
        if (underlay != null) {
            underlay.close();
        }
    }

    private static String[] with(String oam) {
        String[] args = java.util.Arrays.copyOf(BFD, BFD.length + 2);
        args[BFD.length] = "--bfd-oam";
        args[BFD.length + 1] = oam;
        return args;
    }

    private static long untilLog(Path log, String text, int count, long since) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (Files.readAllLines(log).stream().filter(l -> l.contains(text)).count() >= count) {
                return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
        throw new AssertionError("no " + count + " x '" + text + "' in " + Files.readString(log));
    }

    @Test
    void twoVtepsComeUpDetectAStoppedPeerTakeItBackAndTsharkReadsTheirBfd() throws Exception {
        Path logA = underlay.dir.resolve("vtep-a.log");
        Path pcap = underlay.dir.resolve("bfd.pcap");
        Process capture = Netns.start(List.of("ip", "netns", "exec", A, Tshark.executable().toString(), "-i",
                Underlay.veth(A), "-f", "udp port 6081", "-w", pcap.toString()), underlay.dir.resolve("tshark.log"));
        try {
            Netns.waitForLine(underlay.dir.resolve("tshark.log"), "Capturing on", 20);
            long started = System.nanoTime();
            underlay.vtepA = underlay.vtep(A, "off", "vtep-a.log", with("on"));
            underlay.vtepB = underlay.vtep(B, "off", "vtep-b.log", with("off"));
            long up = untilLog(logA, "-> up (none)", 1, started);
            untilLog(underlay.dir.resolve("vtep-b.log"), "-> up (none)", 1, started);
            System.out.printf("BFD-MEASURE vtep<->vtep up %d ms after the first vtep started%n", up);
            Underlay.ping(A, "10.0.0.2", 3);
            TimeUnit.MILLISECONDS.sleep(500);
        } finally {
            capture.destroy();
            capture.waitFor(10, TimeUnit.SECONDS);
        }

        // B stops: A says down within the detection time (300 ms) and sends it no data
        long stopping = System.nanoTime();
        Netns.stop(underlay.vtepB);
        long down = untilLog(logA, "up -> down (control-detection-time-expired)", 1, stopping);
        System.out.printf("BFD-MEASURE vtep<->vtep down %d ms after the peer was stopped (detection time 300 ms)%n",
                down);
        assertThat(down).isLessThan(300 + 900);
        Netns.run(10, "ip", "netns", "exec", A, "ping", "-c", "2", "-i", "0.3", "-W", "1", "10.0.0.2");
        VtepStats whileDown = VtepStats.last(logA);
        assertThat(whileDown.drops().getOrDefault("peer-down", 0L)).as(whileDown.line()).isPositive();
        assertThat(whileDown.line()).contains(", bfd [" + IP_B + ":6081 down diag=control-detection-time-expired");

        // B again, with a new discriminator: both up, data flows
        long restarted = System.nanoTime();
        underlay.vtepB = underlay.vtep(B, "off", "vtep-b2.log", with("off"));
        long upAgain = untilLog(logA, "-> up (none)", 2, restarted);
        System.out.printf("BFD-MEASURE vtep<->vtep up again %d ms after the peer restarted%n", upAgain);
        Underlay.ping(A, "10.0.0.2", 3);

        List<JsonNode> frames = Tshark.fields(pcap, List.of("-Y", "bfd", "-o", "udp.check_checksum:TRUE"), "ip.src",
                "geneve.flags.oam", "geneve.vni", "geneve.proto_type", "ip.ttl", "udp.dstport", "udp.checksum.status",
                "bfd.version", "bfd.sta", "bfd.message_length", "bfd.detect_time_multiplier");
        assertThat(frames).hasSizeGreaterThan(4);
        int fromA = 0;
        int fromB = 0;
        for (JsonNode f : frames) {
            String source = Tshark.values(f, "ip.src").get(0);
            assertThat(Tshark.values(f, "geneve.vni")).containsExactly("0x001388");
            assertThat(Tshark.values(f, "geneve.proto_type")).containsExactly("0x6558");
            assertThat(Tshark.values(f, "ip.ttl")).as("outer, inner").element(1).isEqualTo("255");
            assertThat(Tshark.values(f, "udp.dstport")).containsExactly("6081", "3784");
            assertThat(Tshark.values(f, "udp.checksum.status").get(1)).as("inner UDP checksum").isEqualTo("1");
            assertThat(Tshark.values(f, "bfd.version")).containsExactly("1");
            assertThat(Tshark.values(f, "bfd.message_length")).containsExactly("24");
            assertThat(Tshark.values(f, "bfd.detect_time_multiplier")).containsExactly("3");
            if (source.equals(IP_A)) {
                fromA++;
                assertThat(Tshark.values(f, "geneve.flags.oam")).as("A: --bfd-oam on").containsExactly("1");
            } else {
                assertThat(source).isEqualTo(IP_B);
                fromB++;
                assertThat(Tshark.values(f, "geneve.flags.oam")).as("B: --bfd-oam off").containsExactly("0");
            }
        }
        assertThat(fromA).isPositive();
        assertThat(fromB).isPositive();
        // the handshake on the wire: Down, then Init or Up, then Up (state codes 1, 2, 3)
        assertThat(frames.stream().map(f -> Tshark.values(f, "bfd.sta").get(0)).distinct().toList())
                .contains("0x01", "0x03");
    }
}
