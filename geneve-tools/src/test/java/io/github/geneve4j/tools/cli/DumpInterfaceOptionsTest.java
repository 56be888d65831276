package io.github.geneve4j.tools.cli;

import static io.github.geneve4j.tools.cli.DumpCommandTest.OVS;
import static io.github.geneve4j.tools.cli.DumpCommandTest.concat;
import static io.github.geneve4j.tools.cli.DumpCommandTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.linux.PacketCapture;
import io.github.geneve4j.pcap.LinkType;
import io.github.geneve4j.pcap.testing.CaptureBuilder;
import io.github.geneve4j.testing.UdpFrames;
import io.github.geneve4j.tools.cli.DumpCommandTest.Run;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dump}'s live side as far as it goes without privileges: {@code -i} or files, not both nor
 * neither; a missing interface is one line and exit 2; {@code --count} stops after N Geneve packets
 * (files too); the capture's summary line. The capture itself is {@code interop.DumpLiveTest}'s.
 */
class DumpInterfaceOptionsTest {

    @Test
    void wantsFilesOrAnInterfaceNotBothNorNeither(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("one.pcap");
        Files.write(file, CaptureBuilder.pcap(ByteOrder.LITTLE_ENDIAN, false, LinkType.ETHERNET,
                UdpFrames.ipv4(1, 6081, concat(OVS, new byte[14]))));
        for (String[] args : new String[][] {{"dump"}, {"dump", "-i", "lo", file.toString()}}) {
            Run run = run(args);
            assertThat(run.code()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(run.out()).isEmpty();
            assertThat(run.err().lines()).containsExactly("geneve dump: give capture files or -i IFACE (one of them)");
        }
    }

    @Test
    void aMissingInterfaceIsOneLineAndExit2() {
        Run run = run("dump", "-i", "g4j-nosuch0");
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.out()).isEmpty();
        assertThat(run.err().lines()).containsExactly("geneve dump: no network interface 'g4j-nosuch0'");
        run = run("dump", "--interface", "name-much-too-long");
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).startsWith("geneve dump: found interface name 'name-much-too-long'");
    }

    @Test
    void countStopsAfterNGenevePacketsNotCountingTheRest(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("four.pcap");
        Files.write(file, CaptureBuilder.pcap(ByteOrder.LITTLE_ENDIAN, false, LinkType.ETHERNET,
                UdpFrames.ipv4(1, 53, new byte[12]),
                UdpFrames.ipv4(1, 6081, concat(OVS, new byte[14])),
                UdpFrames.ipv4(1, 53, new byte[12]),
                UdpFrames.ipv4(2, 6081, concat(OVS, new byte[14])),
                UdpFrames.ipv4(3, 6081, concat(OVS, new byte[14]))));
        Run run = run("dump", "--count", "2", file.toString());
        assertThat(run.code()).isZero();
        assertThat(run.out()).hasSize(2);
        assertThat(run.out().get(1)).startsWith("{\"frame\":4,");
        assertThat(run("dump", "--count", "2", "--summary", file.toString()).out().getLast())
                .contains("\"packets\":2");
        assertThat(run("dump", "--count", "0", file.toString()).out()).as("0: all").hasSize(3);
        Run negative = run("dump", "--count", "-1", file.toString());
        assertThat(negative.code()).isEqualTo(2);
        assertThat(negative.err().lines()).containsExactly("geneve dump: --count -1 is not a number of packets (0 for all)");
    }

    @Test
    void theCaptureLineSaysPacketsSeenAndTheKernelsCounts() throws IOException {
        StringWriter text = new StringWriter();
        DumpCommand.printCapture("eth0", 12, new PacketCapture.Statistics(15, 3), new PrintWriter(text, true));
        assertThat(text.toString().strip())
                .isEqualTo("{\"capture\":{\"interface\":\"eth0\",\"packets\":12,\"kernelPackets\":15,\"kernelDrops\":3}}");
    }
}
