package io.github.geneve4j.tools.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code geneve gwlb --io xdp}'s refusals, before anything is attached (no privileges needed). */
class GwlbXdpCommandTest {

    private static GwlbCommandTest.Run run(String... args) {
        String[] withSource = java.util.Arrays.copyOf(args, args.length + 2);
        withSource[args.length] = "--gwlb";
        withSource[args.length + 1] = "127.0.0.1/32";
        return GwlbCommandTest.run(withSource);
    }

    @Test
    void xdpNeedsAnInterfaceAndQueuesInRangeAndTheOptionsNeedXdp() {
        GwlbCommandTest.Run noInterface = run("gwlb", "--local", "127.0.0.1", "--io", "xdp");
        assertThat(noInterface.code()).isEqualTo(2);
        assertThat(noInterface.err()).contains("--interface IFACE and --queues 1..64 with --io xdp only");
        assertThat(run("gwlb", "--local", "127.0.0.1", "--interface", "lo").code()).as("--interface without --io xdp")
                .isEqualTo(2);
        assertThat(run("gwlb", "--local", "127.0.0.1", "--io", "xdp", "--interface", "lo", "--queues", "0").code())
                .isEqualTo(2);
        assertThat(run("gwlb", "--local", "127.0.0.1", "--io", "xdp", "--interface", "lo", "--queues", "65").code())
                .isEqualTo(2);
        assertThat(run("gwlb", "--local", "127.0.0.1", "--io", "dpdk").code()).isEqualTo(2);
    }

    @Test
    void kernelModeIsRefusedOnXdp() {
        GwlbCommandTest.Run kernel = run("gwlb", "--local", "127.0.0.1", "--io", "xdp", "--interface", "lo", "--mode", "kernel");
        assertThat(kernel.code()).isEqualTo(2);
        assertThat(kernel.err()).contains("--io xdp runs in pass-through mode only");
    }

    @Test
    void aMissingDeviceIsNamed() {
        GwlbCommandTest.Run missing = run("gwlb", "--local", "127.0.0.1", "--io", "xdp", "--interface", "g4j-nosuch0");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("geneve gwlb: no device g4j-nosuch0 in this network namespace");
    }
}
