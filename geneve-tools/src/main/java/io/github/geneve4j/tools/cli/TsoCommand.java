package io.github.geneve4j.tools.cli;

import io.github.geneve4j.codec.Geneve;
import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.codec.tso.MtuExceededException;
import io.github.geneve4j.codec.tso.TcpSegmenter;
import io.github.geneve4j.codec.tunnel.GeneveTunnel;
import io.github.geneve4j.pcap.CaptureReader;
import io.github.geneve4j.pcap.CapturedPacket;
import io.github.geneve4j.pcap.LinkType;
import io.github.geneve4j.pcap.PcapWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code geneve tso}: each Ethernet frame of the input (IPv4 or IPv6 TCP, up to 256 KiB and more)
 * Geneve-encapsulated and segmented, as a TSO NIC would, so every outer IP packet fits the MTU;
 * the output is a pcap Wireshark opens with every checksum valid.
 */
@Command(name = "tso", mixinStandardHelpOptions = true,
        description = {"Segment the large inner TCP frames of a pcap into Geneve frames (software TSO).",
            "Each frame is Geneve-encapsulated and cut into MTU-sized frames written to a pcap, every "
                    + "length, ID, sequence number and checksum right."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:every frame written", "2:bad usage, a file problem, or a frame that cannot be segmented"})
final class TsoCommand implements Callable<Integer> {

    @Option(names = "--in", required = true, paramLabel = "IN.pcap", description = "Input capture (Ethernet frames).")
    Path in;

    @Option(names = "--out", required = true, paramLabel = "OUT.pcap", description = "Output pcap.")
    Path out;

    @Option(names = "--vni", required = true, description = "Virtual Network Identifier.")
    int vni;

    @Option(names = "--mtu", defaultValue = "1500", description = "Outer IP MTU (default: ${DEFAULT-VALUE}).")
    int mtu;

    @Option(names = "--mss", description = "TCP segment size (default: the largest that fits the MTU).")
    Integer mss;

    @Option(names = "--option", paramLabel = "CLASS:TYPE:HEX", converter = Converters.OptionConverter.class,
            description = "Add a Geneve option to every frame. Repeatable.")
    List<GeneveOption> options = new ArrayList<>();

    @Option(names = "--outer-src", defaultValue = "192.168.203.151", description = "Outer source address (default: ${DEFAULT-VALUE}).")
    String outerSource;

    @Option(names = "--outer-dst", defaultValue = "192.168.203.149", description = "Outer destination address (default: ${DEFAULT-VALUE}).")
    String outerDestination;

    @Option(names = "--udp-checksum", defaultValue = "on", paramLabel = "on|off",
            description = "Compute the outer UDP checksum (default: ${DEFAULT-VALUE}).")
    String udpChecksum;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (vni < 0 || vni > Geneve.MAX_VNI) {
            err.println("geneve tso: --vni " + vni + " is out of range (0..16777215)");
            return 2;
        }
        if (!udpChecksum.equals("on") && !udpChecksum.equals("off")) {
            err.println("geneve tso: --udp-checksum must be on or off");
            return 2;
        }
        GeneveTunnel tunnel;
        TcpSegmenter segmenter;
        try {
            tunnel = GeneveTunnel.builder()
                    .macs(0x020000000001L, 0x020000000002L)
                    .addresses(InetAddress.getByName(outerSource), InetAddress.getByName(outerDestination))
                    .header(GeneveHeader.of(ProtocolType.ETHERNET, vni, options))
                    .udpChecksum(udpChecksum.equals("on"))
                    .build();
            segmenter = new TcpSegmenter(tunnel, mss != null ? mss : mtu, mtu);
        } catch (IllegalArgumentException | IOException e) {
            err.println("geneve tso: " + e.getMessage());
            return 2;
        }
        long inputs = 0;
        long frames = 0;
        try (CaptureReader reader = CaptureReader.open(in)) {
            try (PcapWriter writer = PcapWriter.create(out, LinkType.ETHERNET)) {
                for (CapturedPacket packet : reader) {
                    if (packet.linkType() != LinkType.ETHERNET) {
                        err.println("geneve tso: " + in + ": frame " + packet.frame() + " is not Ethernet (link type "
                                + packet.linkType() + ")");
                        return 2;
                    }
                    long timestamp = packet.timestampNanos();
                    try {
                        // an I/O error is kept by the writer and thrown by its close()
                        frames += segmenter.segment(packet.data(), 0, packet.data().byteSize(),
                                (buffer, offset, length) -> writer.tryWrite(timestamp, buffer, offset, length));
                    } catch (GeneveFormatException | MtuExceededException e) {
                        err.println("geneve tso: " + in + ": frame " + packet.frame() + ": " + e.getMessage());
                        return 2;
                    }
                    inputs++;
                }
            } catch (UncheckedIOException e) {
                throw e.getCause(); // a CaptureFormatException: the input is damaged, reported below
            } catch (NoSuchFileException e) {
                err.println("geneve tso: " + out + ": no such directory");
                return 2;
            } catch (IOException e) {
                err.println("geneve tso: " + out + ": " + e.getMessage());
                return 2;
            }
        } catch (NoSuchFileException e) {
            err.println("geneve tso: " + in + ": no such file");
            return 2;
        } catch (IOException e) {
            err.println("geneve tso: " + in + ": " + e.getMessage());
            return 2;
        }
        stdout.printf(Locale.ROOT, "%d input frame(s) -> %d Geneve frame(s), MTU %d, VNI %d -> %s%n",
                inputs, frames, mtu, vni, out);
        return 0;
    }
}
