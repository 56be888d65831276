package io.github.geneve4j.tools.interop;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A TCP transfer between two namespaces' kernels, checked by hash and by the TCP checksum counters. */
final class VtepTestSupport {

    private VtepTestSupport() {
    }

    /** Sends {@code bytes} from namespace {@code from} to {@code address} in {@code to}; same hash both ends. */
    static void transfer(Path dir, String from, String to, String address, long bytes) throws Exception {
        transfer(dir, from, to, address, bytes, 0);
    }

    /** As {@link #transfer(Path, String, String, String, long)}, sent at most at {@code bytesPerSecond} (0: as fast as it goes). */
    static void transfer(Path dir, String from, String to, String address, long bytes, long bytesPerSecond)
            throws Exception {
        Netns.run(10, "ip", "netns", "exec", to, "nstat", "-n");
        Path receiverLog = dir.resolve("receiver-" + to + "-" + System.nanoTime() + ".log");
        Process receiver = Netns.start(Netns.java(to, TcpProbe.class.getName(), "receive", address, "5001"), receiverLog);
        try {
            Netns.waitForLine(receiverLog, "listening", 30);
            Netns.Result sent = Netns.run(90, Netns.java(from, TcpProbe.class.getName(), "send", address, "5001",
                    String.valueOf(bytes), "42", String.valueOf(bytesPerSecond)));
            assertThat(sent.code()).as(sent.output()).isZero();
            assertThat(receiver.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String received = Files.readString(receiverLog).lines().filter(l -> !l.equals("listening"))
                    .findFirst().orElse("");
            assertThat(received).isEqualTo(sent.output().strip()).startsWith(bytes + " ");
        } finally {
            Netns.stop(receiver);
        }
        Netns.Result errors = Netns.run(10, "ip", "netns", "exec", to, "nstat", "-az", "TcpInCsumErrors");
        assertThat(errors.output()).containsPattern("TcpInCsumErrors\\s+0\\s");
    }
}
