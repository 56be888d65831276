package io.github.geneve4j.tools.interop;

import static io.github.geneve4j.tools.interop.Underlay.A;
import static io.github.geneve4j.tools.interop.Underlay.B;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Faults during a TCP transfer between the kernels behind two vteps (offload on), on the underlay
 * of {@link Underlay}: the peer vtep restarts, the TAP goes down and up, the socket's send buffer
 * fills. Each time the transfer completes with equal hashes, the vteps stay up, and what was lost is
 * counted under its reason.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
@Tag("system")
class FaultTest {

    /** 64 MiB at 24 MB/s: about three seconds of transfer for a fault to land in. */
    private static final long BYTES = 64L << 20;
    private static final long RATE = 24_000_000;
    private Underlay underlay;

    @BeforeAll
    static void require() throws Exception {
        Netns.requireOrSkip("fault suite", List.of("ip", "tun", "nstat", "ping", "tc"));
    }

    @AfterEach
    void down() throws Exception {
        if (underlay != null) {
            underlay.close();
        }
    }

    private CompletableFuture<Void> transferInBackground() {
        return CompletableFuture.runAsync(() -> {
            try {
                VtepTestSupport.transfer(underlay.dir, A, B, "10.0.0.2", BYTES, RATE);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    private static long openDescriptors(Process p) throws Exception {
        try (var files = Files.list(Path.of("/proc", String.valueOf(p.pid()), "fd"))) {
            return files.count();
        }
    }

    private static long threads(Process p) throws Exception {
        try (var tasks = Files.list(Path.of("/proc", String.valueOf(p.pid()), "task"))) {
            return tasks.count();
        }
    }

    @Test
    void thePeerVtepRestartsMidTransferAndTcpRecovers() throws Exception {
        underlay = new Underlay();
        // TAPs that outlive their vtep, so that the kernels' addresses and the TCP connection survive
        underlay.persistentTap(A, "10.0.0.1");
        underlay.persistentTap(B, "10.0.0.2");
        underlay.vtepA = underlay.vtep(A, "on", "vtep-a.log");
        underlay.vtepB = underlay.vtep(B, "on", "vtep-b.log");
        Underlay.ping(A, "10.0.0.2", 2);
        long fdsBefore = openDescriptors(underlay.vtepA);
        long threadsBefore = threads(underlay.vtepA);
        CompletableFuture<Void> transfer = transferInBackground();
        TimeUnit.MILLISECONDS.sleep(1500);
        assertThat(transfer).as("still going when the peer goes").isNotDone();
        Netns.stop(underlay.vtepB);
        TimeUnit.MILLISECONDS.sleep(500);
        underlay.vtepB = underlay.vtep(B, "on", "vtep-b2.log");
        transfer.get(120, TimeUnit.SECONDS);
        Underlay.ping(A, "10.0.0.2", 2);
        assertThat(underlay.vtepA.isAlive()).isTrue();
        // the vtep that stayed up holds no more descriptors or threads than before
        assertThat(openDescriptors(underlay.vtepA)).isLessThanOrEqualTo(fdsBefore + 2);
        assertThat(threads(underlay.vtepA)).isLessThanOrEqualTo(threadsBefore + 2);
        VtepStats a = VtepStats.last(underlay.dir.resolve("vtep-a.log"));
        assertThat(a.drops()).as(a.line()).doesNotContainKeys("send-error", "device-read-error");
    }

    @Test
    void theTapGoesDownAndUpAndTheTransferResumes() throws Exception {
        underlay = new Underlay();
        underlay.start("on");
        CompletableFuture<Void> transfer = transferInBackground();
        TimeUnit.MILLISECONDS.sleep(1200);
        Netns.sh("ip -n " + B + " link set g4jtap down");
        TimeUnit.MILLISECONDS.sleep(1000);
        Netns.sh("ip -n " + B + " link set g4jtap up");
        transfer.get(120, TimeUnit.SECONDS);
        assertThat(underlay.vtepB.isAlive()).isTrue();
        Underlay.ping(A, "10.0.0.2", 2);
        VtepStats b = VtepStats.last(underlay.dir.resolve("vtep-b.log"));
        // what arrived while the TAP was down was refused by the kernel: counted, said once
        assertThat(b.drops()).as(b.line()).containsKey("device-write-error");
        String log = Files.readString(underlay.dir.resolve("vtep-b.log"));
        assertThat(log.lines().filter(l -> l.contains("counted as drops 'device-write-error'"))).hasSize(1);
    }

    @Test
    void aFullSendBufferDropsAndCountsButNeverStalls() throws Exception {
        underlay = new Underlay();
        underlay.start("on");
        CompletableFuture<Void> transfer = transferInBackground();
        TimeUnit.MILLISECONDS.sleep(1000);
        // a slow link with a long queue, and A's kernel sending UDP through the tunnel as fast as it
        // can (TCP would slow down by itself): the vtep's socket send buffer fills before the queue
        String veth = Underlay.veth(A);
        Netns.sh("ip netns exec " + A + " tc qdisc add dev " + veth + " root tbf rate 20mbit burst 20kb limit 64mb");
        Process udp = underlay.flood(A, "10.0.0.2:9", 0, 1.5, "random", "udp-through-tunnel.log");
        assertThat(udp.waitFor(30, TimeUnit.SECONDS)).isTrue();
        Netns.sh("ip netns exec " + A + " tc qdisc del dev " + veth + " root");
        transfer.get(120, TimeUnit.SECONDS);
        assertThat(underlay.vtepA.isAlive()).isTrue();
        Underlay.ping(A, "10.0.0.2", 2);
        VtepStats a = VtepStats.last(underlay.dir.resolve("vtep-a.log"));
        assertThat(a.drops()).as(a.line()).containsKey("send-buffer-full");
    }
}
