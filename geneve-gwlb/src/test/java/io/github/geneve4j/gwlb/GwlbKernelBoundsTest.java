package io.github.geneve4j.gwlb;

import static io.github.geneve4j.gwlb.GwlbApplianceTest.GWLB;
import static io.github.geneve4j.gwlb.GwlbApplianceTest.GWLB_PORT;
import static io.github.geneve4j.gwlb.GwlbApplianceTest.waitFor;
import static io.github.geneve4j.testing.GwlbWire.datagram;
import static io.github.geneve4j.testing.GwlbWire.ip;
import static io.github.geneve4j.testing.GwlbWire.ipv4;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.gwlb.GwlbKernelInspectionTest.MemoryDevice;
import io.github.geneve4j.gwlb.testing.MemoryBatchIo;
import io.github.geneve4j.testing.GwlbWire;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kernel-inspection mode against a sender who makes endpoint IDs (the reproduction: 49 datagrams
 * from a stranger made 48 device pairs, ran out of descriptors and ended the appliance): at most
 * {@code maxEndpoints} IDs get devices, a hook that hangs holds up no other endpoint's flows, a failing
 * hook or device fails that endpoint alone and is retried after its back-off, an idle endpoint is
 * reclaimed with its DESTROY hook. In-memory devices and I/O, a clock of the test's.
 */
@Timeout(60)
class GwlbKernelBoundsTest {

    private static final long SECOND = 1_000_000_000L;
    private static final long A = GwlbApplianceTest.ENDPOINT_A;
    private static final long B = GwlbApplianceTest.ENDPOINT_B;

    @TempDir
    Path dir;
    private final Map<String, MemoryDevice> devices = new ConcurrentHashMap<>();
    private final AtomicLong clock = new AtomicLong(1_000 * SECOND);
    private final MemoryBatchIo io = new MemoryBatchIo();
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private Path log() {
        return dir.resolve("hook.log");
    }

    /** The hook: logs its call, then runs {@code then} (a shell snippet; {@code $3} is the endpoint ID in hex). */
    private GwlbAppliance start(String then, GwlbKernelInspection.DeviceOpener opener, int maxEndpoints) {
        GwlbKernelInspection kernel = new GwlbKernelInspection(opener, GwlbApplianceTest.Capture::new,
                List.of("sh", "-c", "echo \"$0 $3\" >> " + log() + "; " + then));
        GwlbAppliance a = GwlbApplianceTest.builder().io(io).kernelInspection(kernel).maxEndpoints(maxEndpoints)
                .endpointIdleTimeout(Duration.ofSeconds(10)).kernelClock(clock::get).start();
        open.add(a);
        return a;
    }

    private MemoryDevice device(String name) {
        return devices.computeIfAbsent(name, MemoryDevice::new);
    }

    private static byte[] packet(long endpoint, int port) {
        return datagram(endpoint, 1, 2, GwlbWire.IPV4, false,
                ipv4(ip(10, 0, 0, 1), ip(10, 0, 0, 2), 17, GwlbWire.udp(port, 53, "q")));
    }

    private List<String> hookLog() {
        try {
            return Files.exists(log()) ? Files.readAllLines(log()) : List.of();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String hex(long id) {
        return String.format("%016x", id);
    }

    @Test
    void atMostMaxEndpointsGetDevicesAndTheRestAreCounted() throws Exception {
        GwlbAppliance appliance = start("true", this::device, 3);
        for (long id = 1; id <= 10; id++) {
            io.deliver(packet(id, 1000), GWLB, GWLB_PORT);
            io.deliver(packet(id, 1001), GWLB, GWLB_PORT);
        }
        io.awaitIdle();
        waitFor(() -> appliance.stats().kernelEndpoints() == 3 && appliance.stats().toKernel() == 6);
        assertThat(devices).hasSize(6);
        GwlbStats stats = appliance.stats();
        assertThat(stats.dropped(GwlbDropReason.KERNEL_ENDPOINT_LIMIT)).isEqualTo(14);
        assertThat(stats.healthy()).isTrue();
        assertThat(hookLog()).hasSize(3);
    }

    @Test
    void aHangingHookHoldsUpNoOtherEndpointAndItsPacketsWaitForIt() throws Exception {
        Path release = dir.resolve("release");
        GwlbAppliance appliance = start("if [ \"$3\" = " + hex(A) + " ]; then while [ ! -e " + release
                + " ]; do sleep 0.05; done; fi", this::device, 64);
        io.deliver(packet(B, 1), GwlbApplianceTest.GWLB, GWLB_PORT);
        waitFor(() -> appliance.stats().toKernel() == 1);
        for (int i = 0; i < KernelPath.WAITING + 5; i++) {
            io.deliver(packet(A, 100 + i), GWLB, GWLB_PORT); // A's hook hangs until released
        }
        io.awaitIdle();
        waitFor(() -> hookLog().contains("CREATE " + hex(A)));
        for (int i = 0; i < 50; i++) {
            io.deliver(packet(B, 2 + i), GWLB, GWLB_PORT); // B's flows go on meanwhile
        }
        io.awaitIdle();
        waitFor(() -> appliance.stats().toKernel() == 51);
        assertThat(appliance.stats().dropped(GwlbDropReason.KERNEL_ENDPOINT_PENDING)).as("past the few that wait")
                .isEqualTo(5);
        assertThat(device(GwlbKernelInspection.ingressName(A)).written).isEmpty();
        Files.createFile(release);
        waitFor(() -> device(GwlbKernelInspection.ingressName(A)).written.size() == KernelPath.WAITING);
        byte[] first = device(GwlbKernelInspection.ingressName(A)).written.peek();
        assertThat(first).as("in order, as received")
                .isEqualTo(ipv4(ip(10, 0, 0, 1), ip(10, 0, 0, 2), 17, GwlbWire.udp(100, 53, "q")));
        assertThat(appliance.healthy()).isTrue();
    }

    @Test
    void aFailingHookFailsItsEndpointAloneAndIsRetriedAfterItsBackOff() throws Exception {
        GwlbAppliance appliance = start("[ \"$3\" != " + hex(A) + " ]", this::device, 64);
        io.deliver(packet(A, 1), GWLB, GWLB_PORT);
        waitFor(() -> appliance.stats().dropped(GwlbDropReason.KERNEL_ENDPOINT_FAILED) == 1);
        io.deliver(packet(B, 1), GWLB, GWLB_PORT);
        io.deliver(packet(A, 2), GWLB, GWLB_PORT); // within its back-off: counted, not retried
        io.awaitIdle();
        waitFor(() -> appliance.stats().toKernel() == 1);
        assertThat(appliance.stats().dropped(GwlbDropReason.KERNEL_ENDPOINT_FAILED)).isEqualTo(2);
        assertThat(device(GwlbKernelInspection.ingressName(A)).closed).as("its devices closed").isTrue();
        assertThat(appliance.healthy()).as("the other endpoints go on").isTrue();
        assertThat(appliance.failure()).isEmpty();
        clock.addAndGet(SECOND + 1); // past the first back-off (1 s)
        io.deliver(packet(A, 3), GWLB, GWLB_PORT);
        io.awaitIdle();
        waitFor(() -> hookLog().stream().filter(l -> l.equals("CREATE " + hex(A))).count() == 2
                && appliance.stats().dropped(GwlbDropReason.KERNEL_ENDPOINT_FAILED) == 3);
        io.deliver(packet(A, 4), GWLB, GWLB_PORT);
        clock.addAndGet(SECOND + 1); // the second back-off is 2 s: not yet
        io.deliver(packet(A, 5), GWLB, GWLB_PORT);
        io.awaitIdle();
        assertThat(hookLog().stream().filter(l -> l.equals("CREATE " + hex(A))).count()).isEqualTo(2);
        assertThat(appliance.stats().dropped(GwlbDropReason.KERNEL_ENDPOINT_FAILED)).isEqualTo(5);
        assertThat(appliance.stats().kernelEndpointFailures()).isEqualTo(2);
    }

    @Test
    void runningOutOfDescriptorsFailsThatEndpointAlone() throws Exception {
        String refused = GwlbKernelInspection.egressName(A);
        GwlbAppliance appliance = start("true", name -> {
            if (name.equals(refused)) {
                throw new IOException("eventfd failed: Too many open files");
            }
            return device(name);
        }, 64);
        io.deliver(packet(A, 1), GWLB, GWLB_PORT);
        waitFor(() -> appliance.stats().dropped(GwlbDropReason.KERNEL_ENDPOINT_FAILED) == 1);
        assertThat(device(GwlbKernelInspection.ingressName(A)).closed).as("what it had opened, closed").isTrue();
        io.deliver(packet(B, 1), GWLB, GWLB_PORT);
        waitFor(() -> appliance.stats().toKernel() == 1);
        assertThat(appliance.healthy()).isTrue();
        assertThat(hookLog()).as("no hook for an endpoint without devices").containsExactly("CREATE " + hex(B));
    }

    @Test
    void anIdleEndpointIsReclaimedWithItsDestroyHookAndMadeAgainOnItsNextPacket() throws Exception {
        GwlbAppliance appliance = start("true", this::device, 1);
        io.deliver(packet(A, 1), GWLB, GWLB_PORT);
        waitFor(() -> appliance.stats().toKernel() == 1);
        clock.addAndGet(5 * SECOND);
        appliance.sweepNow();
        io.deliver(packet(B, 1), GWLB, GWLB_PORT); // the one place is A's
        io.awaitIdle();
        assertThat(appliance.stats().dropped(GwlbDropReason.KERNEL_ENDPOINT_LIMIT)).isEqualTo(1);
        clock.addAndGet(6 * SECOND); // 11 s without a packet of A's: past its idle time of 10 s
        appliance.sweepNow();
        waitFor(() -> hookLog().contains("DESTROY " + hex(A)) && appliance.stats().kernelEndpointsReclaimed() == 1);
        assertThat(appliance.stats().kernelEndpoints()).isZero();
        assertThat(device(GwlbKernelInspection.ingressName(A)).closed).isTrue();
        for (int i = 0; i < 500 && appliance.stats().kernelEndpoints() == 0; i++) {
            io.deliver(packet(B, 2), GWLB, GWLB_PORT); // its place is free once A is forgotten
            io.awaitIdle();
            Thread.sleep(10);
        }
        assertThat(appliance.stats().kernelEndpoints()).isEqualTo(1);
        assertThat(hookLog()).containsExactly("CREATE " + hex(A), "DESTROY " + hex(A), "CREATE " + hex(B));
    }
}
