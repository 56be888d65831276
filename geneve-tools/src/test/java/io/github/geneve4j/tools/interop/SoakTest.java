package io.github.geneve4j.tools.interop;

import static io.github.geneve4j.tools.interop.Underlay.A;
import static io.github.geneve4j.tools.interop.Underlay.B;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A soak of vtep⇄vtep (offload on): back-to-back TCP transfers, each checked by hash, for
 * {@code -Dgeneve.soakSeconds} (30 in the default build; {@code geneve-bench/vtep-soak.sh} runs it
 * for 10 minutes). The vteps run with a fixed heap touched at start ({@code -Xms64m -Xmx64m
 * -XX:+AlwaysPreTouch}): a heap that leaks runs out and the vtep dies, and resident memory measures
 * the rest. After a warm-up (the first interval, at least half of a short run: the JIT's code is
 * resident by then), the vteps' resident memory grows by less than 5%, no drop is counted (during the
 * warm-up only the device's refusals of frames that came before its TAP was up), and no interval's throughput falls below a quarter of
 * the median (no stall). It prints a line per interval: throughput and both vteps' resident memory.
 */
@Timeout(value = 7200, unit = TimeUnit.SECONDS)
@Tag("system")
class SoakTest {

    private static final Pattern BYTES_TO_TAP = Pattern.compile("tunnel->tap \\d+ packets (\\d+) bytes");
    private Underlay underlay;

    @BeforeAll
    static void require() throws Exception {
        Netns.requireOrSkip("soak", List.of("ip", "tun", "nstat", "ping"));
    }

    @AfterEach
    void down() throws Exception {
        if (underlay != null) {
            underlay.close();
        }
    }

    static long residentKiB(Process p) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(p.pid()), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D+", ""));
            }
        }
        throw new AssertionError("no VmRSS for " + p.pid());
    }

    static long bytesToTap(Path log) throws Exception {
        List<String> lines = Files.readAllLines(log);
        for (int i = lines.size() - 1; i >= 0; i--) {
            Matcher m = BYTES_TO_TAP.matcher(lines.get(i));
            if (m.find()) {
                return Long.parseLong(m.group(1));
            }
        }
        return 0;
    }

    @Test
    void vtepsCarryTcpForTheWholeSoakWithoutGrowingOrDropping() throws Exception {
        long seconds = Long.getLong("geneve.soakSeconds", 30);
        long interval = Math.max(5, Math.min(60, seconds / 6));
        long warmUp = Math.max(interval, Math.min(60, seconds / 2));
        underlay = new Underlay();
        // without a fixed, pre-touched heap, resident memory grows for minutes as the young generation's
        // pages are touched for the first time (by the stats lines' garbage): not a leak, but it hides one
        underlay.vtepJvmFlags = List.of("-Xms64m", "-Xmx64m", "-XX:+AlwaysPreTouch");
        underlay.start("on");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        CompletableFuture<Integer> traffic = CompletableFuture.supplyAsync(() -> {
            int transfers = 0;
            try {
                while (System.nanoTime() < deadline) {
                    VtepTestSupport.transfer(underlay.dir, A, B, "10.0.0.2", 256L << 20);
                    transfers++;
                }
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
            return transfers;
        });
        Path logB = underlay.dir.resolve("vtep-b.log");
        List<Double> gbits = new ArrayList<>();
        long warmedA = 0;
        long warmedB = 0;
        // what was dropped while the TAPs came up (a frame written before the other TAP is up: EIO) is
        // expected; after the warm-up nothing more may be
        java.util.Map<String, Long> dropsA = java.util.Map.of();
        java.util.Map<String, Long> dropsB = java.util.Map.of();
        long lastBytes = bytesToTap(logB);
        long lastTime = System.nanoTime();
        // whole intervals only: the traffic stops at the deadline, a shorter last interval would look like a stall
        for (int i = 1; deadline - System.nanoTime() >= TimeUnit.SECONDS.toNanos(interval); i++) {
            TimeUnit.SECONDS.sleep(interval);
            long now = System.nanoTime();
            long bytes = bytesToTap(logB);
            double rate = (bytes - lastBytes) * 8 / ((now - lastTime) / 1e9) / 1e9;
            lastBytes = bytes;
            lastTime = now;
            long rssA = residentKiB(underlay.vtepA);
            long rssB = residentKiB(underlay.vtepB);
            if ((long) i * interval <= warmUp) {
                warmedA = rssA; // the last reading of the warm-up
                warmedB = rssB;
                dropsA = VtepStats.last(underlay.dir.resolve("vtep-a.log")).drops();
                dropsB = VtepStats.last(logB).drops();
            }
            if (i > 1) {
                gbits.add(rate);
            }
            System.out.printf(Locale.ROOT, "soak interval %d (%d s): %.3f Gbit/s, resident A %d KiB, B %d KiB%n",
                    i, interval, rate, rssA, rssB);
        }
        int transfers = traffic.get(300, TimeUnit.SECONDS);
        assertThat(transfers).isPositive();
        assertThat(underlay.vtepA.isAlive()).isTrue();
        assertThat(underlay.vtepB.isAlive()).isTrue();
        long endA = residentKiB(underlay.vtepA);
        long endB = residentKiB(underlay.vtepB);
        System.out.printf(Locale.ROOT, "soak: %d transfers of 256 MiB, all hashes equal; resident A %d -> %d KiB"
                + " (%+.1f%%), B %d -> %d KiB (%+.1f%%)%n", transfers, warmedA, endA, 100.0 * (endA - warmedA) / warmedA,
                warmedB, endB, 100.0 * (endB - warmedB) / warmedB);
        assertThat(endA).as("A's resident memory after warm-up").isLessThan(warmedA * 105 / 100);
        assertThat(endB).as("B's resident memory after warm-up").isLessThan(warmedB * 105 / 100);
        VtepStats a = VtepStats.last(underlay.dir.resolve("vtep-a.log"));
        VtepStats b = VtepStats.last(logB);
        assertThat(a.drops()).as(a.line()).isEqualTo(dropsA);
        assertThat(b.drops()).as(b.line()).isEqualTo(dropsB);
        assertThat(a.drops().keySet()).as(a.line()).isSubsetOf("device-write-error");
        assertThat(b.drops().keySet()).as(b.line()).isSubsetOf("device-write-error");
        List<Double> sorted = gbits.stream().sorted().toList();
        if (!sorted.isEmpty()) {
            double median = sorted.get(sorted.size() / 2);
            assertThat(sorted.get(0)).as("slowest interval of %s against the median %.3f", gbits, median)
                    .isGreaterThan(median / 4);
        }
    }
}
