package io.github.geneve4j.tools.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * BFD between our vtep ({@code --bfd}) and Open vSwitch 3.1 (userspace datapath,
 * {@code bfd:enable=true}, min_rx = min_tx = 300 ms, mult 3: a detection time of 900 ms each way),
 * over the topology of {@code src/test/interop/ovs-topology.sh} in namespaces of its own (so that it
 * never meets {@link OvsInteropTest}'s). Prints the measured times as {@code BFD-MEASURE} lines.
 *
 * <p>Needs root, namespaces, {@code ovs-vswitchd} and {@code /dev/net/tun}: skipped loudly without,
 * failed when {@code CI=true}.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
@Tag("system")
class BfdOvsInteropTest {

    private static final String NS_OVS = "g4j-bfdo";
    private static final String NS_JAVA = "g4j-bfdj";
    /** OVS's detection time of our vtep, and ours of OVS: 3 × 300 ms. */
    private static final long DETECTION_MILLIS = 900;
    /** What polling (every 50 ms, each ovs-vsctl call a few ms) and a loaded machine add to a time. */
    private static final long SLACK_MILLIS = 900;

    private Path dir;
    private Path script;
    private Process vtep;

    @BeforeEach
    void up() throws Exception {
        Netns.requireOrSkip("BFD with Open vSwitch suite",
                List.of("ovs-vswitchd", "ovsdb-server", "ovs-vsctl", "ip", "ping", "ethtool", "tun"));
        dir = Files.createTempDirectory("g4j-bfd-ovs");
        script = Path.of("src/test/interop/ovs-topology.sh").toAbsolutePath();
        Netns.Result result = Netns.run(60, topology("up", "bfd:enable=true", "bfd:min_rx=300", "bfd:min_tx=300",
                "bfd:mult=3"));
        assertThat(result.code()).as("topology up: %s", result.output()).isZero();
        // a TAP that outlives our vtep, so that it can stop and start again
        Netns.sh("ip -n " + NS_JAVA + " tuntap add dev g4jtap mode tap && ip -n " + NS_JAVA
                + " addr add 10.0.0.2/24 dev g4jtap && ip -n " + NS_JAVA + " link set g4jtap mtu 1450 up"
                + " && ip -n " + NS_OVS + " link set br-int mtu 1450");
    }

    @AfterEach
    void down() throws Exception {
        Netns.stop(vtep);
        if (dir != null) {
            Netns.run(30, "kill", "-CONT", ovsPid()); // in case a failure left it stopped
            Netns.run(60, topology("down"));
        }
    }

    private List<String> topology(String action, String... gnv0) {
        List<String> command = new ArrayList<>(List.of("env", "NS_OVS=" + NS_OVS, "NS_JAVA=" + NS_JAVA,
                "VETH_OVS=g4jbo", "VETH_JAVA=g4jbj", "bash", script.toString(), action, dir.toString()));
        command.addAll(List.of(gnv0));
        return command;
    }

    private String ovsPid() throws Exception {
        Path pid = dir.resolve("run/ovs-vswitchd.pid");
        return Files.exists(pid) ? Files.readString(pid).strip() : "0";
    }

    private String bfdStatus(String key) throws Exception {
        Netns.Result r = Netns.run(30, "ovs-vsctl", "--db=unix:" + dir.resolve("run/db.sock"), "get", "interface",
                "gnv0", "bfd_status:" + key);
        return r.output().strip().replace("\"", "");
    }

    /** OVS's gnv0 status {@code key} once it is {@code expected}, or what it is after {@code millis}. */
    private String untilOvsStatus(String key, String expected, long millis) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        String now = bfdStatus(key);
        while (!now.equals(expected) && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(50);
            now = bfdStatus(key);
        }
        return now;
    }

    /** Milliseconds from {@code since} until OVS's gnv0 reports forwarding {@code expected}; fails after 15 s. */
    private long untilOvsForwarding(boolean expected, long since) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (bfdStatus("forwarding").equals(String.valueOf(expected))) {
                return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
        throw new AssertionError("OVS gnv0 never reported forwarding=" + expected + ": state " + bfdStatus("state")
                + ", remote " + bfdStatus("remote_state") + ", diagnostic " + bfdStatus("diagnostic"));
    }

    /** Milliseconds from {@code since} until our vtep's log has {@code count} lines containing {@code text}. */
    private static long untilLog(Path log, String text, int count, long since) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (Files.readAllLines(log).stream().filter(l -> l.contains(text)).count() >= count) {
                return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - since);
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
        throw new AssertionError("no " + count + " x '" + text + "' in " + Files.readString(log));
    }

    private Process startVtep(Path log) throws Exception {
        Process p = Netns.start(Netns.geneve(NS_JAVA, "vtep", "--tap", "g4jtap", "--local", "172.31.0.2", "--remote",
                "172.31.0.1", "--stats", "1", "--bfd", "--bfd-min-rx", "300", "--bfd-min-tx", "300", "--bfd-mult", "3"),
                log);
        Netns.waitForLine(log, "bfd on: min_tx 300 ms, min_rx 300 ms, mult 3, O bit 1", 30);
        return p;
    }

    private static void ping(String ns, String target) throws Exception {
        Netns.Result ping = Netns.run(30, "ip", "netns", "exec", ns, "ping", "-c", "3", "-i", "0.3", "-W", "2", target);
        assertThat(ping.output()).contains("3 packets transmitted, 3 received, 0% packet loss");
    }

    @Test
    void ovsSeesUsUpAndDownAndUpAgainAndWeSeeOvsGoAndComeBack() throws Exception {
        Path log = dir.resolve("vtep.log");
        // 1. our vtep starts: OVS forwards within a few seconds (the slow 1 s rate until Up)
        long started = System.nanoTime();
        vtep = startVtep(log);
        long ready = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        long up = untilOvsForwarding(true, started);
        long ourUp = untilLog(log, "-> up (none)", 1, started);
        System.out.printf("BFD-MEASURE ovs forwarding=true %d ms after we started our vtep (%d ms after it said it"
                + " was running, at %d ms); our session up after %d ms%n", up, up - ready, ready, ourUp);
        assertThat(up).isLessThan(5_000);
        assertThat(bfdStatus("state")).isEqualTo("up");
        // OVS's remote_state is the state in our last packet: Init until our next one says Up, which
        // leaves at most one slow-rate interval (1 s, RFC 5880 §6.8.3) after our session came up
        assertThat(untilOvsStatus("remote_state", "up", 3_000)).isEqualTo("up");
        ping(NS_OVS, "10.0.0.2");
        ping(NS_JAVA, "10.0.0.1");
        assertThat(VtepStats.last(log).line()).endsWith(", bfd [172.31.0.1:6081 up diag=none ups=1]");

        // 2. our vtep stops: OVS says down within its detection time
        long stopping = System.nanoTime();
        Netns.stop(vtep); // SIGTERM; the JVM may still send a packet or two as it ends
        long exited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopping);
        long down = untilOvsForwarding(false, stopping);
        System.out.printf("BFD-MEASURE ovs forwarding=false %d ms after we stopped our vtep (its process ended after"
                + " %d ms; detection time %d ms)%n", down, exited, DETECTION_MILLIS);
        assertThat(down).isLessThan(DETECTION_MILLIS + SLACK_MILLIS);
        assertThat(bfdStatus("diagnostic")).isEqualTo("Control Detection Time Expired");

        // 3. it starts again, a new session with a new discriminator: OVS takes it (no stale Your Discriminator)
        Path again = dir.resolve("vtep-again.log");
        long restarted = System.nanoTime();
        vtep = startVtep(again);
        long readyAgain = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restarted);
        long upAgain = untilOvsForwarding(true, restarted);
        System.out.printf("BFD-MEASURE ovs forwarding=true again %d ms after we restarted our vtep (%d ms after it"
                + " said it was running)%n", upAgain, upAgain - readyAgain);
        assertThat(upAgain).isLessThan(5_000);
        untilLog(again, "-> up (none)", 1, restarted);
        ping(NS_OVS, "10.0.0.2");

        // 4. OVS stops (SIGSTOP: no BFD, no data): we say down within our detection time, and stop sending to it
        Netns.sh("kill -STOP " + ovsPid());
        long frozen = System.nanoTime();
        long weSeeDown = untilLog(again, "bfd 172.31.0.1:6081: up -> down (control-detection-time-expired)", 1, frozen);
        System.out.printf("BFD-MEASURE our session down %d ms after OVS stopped (detection time %d ms)%n", weSeeDown,
                DETECTION_MILLIS);
        assertThat(weSeeDown).isLessThan(DETECTION_MILLIS + SLACK_MILLIS);
        Netns.run(10, "ip", "netns", "exec", NS_JAVA, "ping", "-c", "2", "-i", "0.3", "-W", "1", "10.0.0.1");
        VtepStats whileDown = VtepStats.last(again);
        assertThat(whileDown.drops().getOrDefault("peer-down", 0L)).as(whileDown.line()).isPositive();
        assertThat(whileDown.line()).contains(", bfd [172.31.0.1:6081 down diag=control-detection-time-expired ups=1]");
        long sentWhileDown = whileDown.toTunnelPackets();
        Netns.run(10, "ip", "netns", "exec", NS_JAVA, "ping", "-c", "2", "-i", "0.3", "-W", "1", "10.0.0.1");
        assertThat(VtepStats.last(again).toTunnelPackets()).as("no data frames to a peer that is down")
                .isEqualTo(sentWhileDown);

        // 5. OVS goes on: both up again, data flows
        Netns.sh("kill -CONT " + ovsPid());
        long resumed = System.nanoTime();
        long backUp = untilLog(again, "-> up (none)", 2, resumed);
        untilOvsForwarding(true, resumed);
        System.out.printf("BFD-MEASURE our session up again %d ms after OVS resumed%n", backUp);
        // OVS works through what queued while it was stopped: let one echo through first
        Netns.run(10, "ip", "netns", "exec", NS_JAVA, "ping", "-c", "1", "-W", "3", "10.0.0.1");
        ping(NS_JAVA, "10.0.0.1");
        assertThat(VtepStats.last(again).toTunnelPackets()).isGreaterThan(sentWhileDown);
    }
}
