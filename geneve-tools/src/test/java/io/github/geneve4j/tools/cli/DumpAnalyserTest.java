package io.github.geneve4j.tools.cli;

import static io.github.geneve4j.tools.cli.DumpCommandTest.INNER;
import static io.github.geneve4j.tools.cli.DumpCommandTest.OVS;
import static io.github.geneve4j.tools.cli.DumpCommandTest.concat;
import static io.github.geneve4j.tools.cli.DumpCommandTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.geneve4j.pcap.LinkType;
import io.github.geneve4j.pcap.testing.CaptureBuilder;
import io.github.geneve4j.testing.Hex;
import io.github.geneve4j.testing.UdpFrames;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code dump} as an analyser: every published option typed, several ports, several files, a summary. */
class DumpAnalyserTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The options of geneve-options' vectors/typed-options.txt (each with its source there), one per line. */
    static final String[] PUBLISHED = {
        "01 4b 81 02 0a 00 00 01 1f 90 00 00",
        "01 4b 81 05 fd 04 00 00 00 00 00 00 00 00 00 00 00 00 00 01 1f 90 00 00",
        "01 29 00 00",
        "01 29 01 01 40 00 00 00",
        "01 29 02 01 00 00 05 a8",
        "01 64 00 06 01 02 03 04 05 ea 00 01 00 00 65 a0 bc 00 07 5b cd 15 80 00 00 07 00 03",
        "01 03 01 09 20 00 02 05 90 00 00 00 00 00 00 00 00 00 00 03 00 00 00 30 00 00 00 02 00 00 00 20 00 00 00 01"
                + " 00 00 00 10",
        "01 03 02 00",
        "01 03 03 01 20 00 00 00",
        "01 00 01 01 00 0e 22 32",
        "01 62 00 02 6f 66 66 65 72 ff ff ff",
        "01 62 81 02 61 75 64 69 74 ff ff ff",
    };

    static final String[] VALUES = {
        "{\"service\":\"10.0.0.1\",\"port\":8080}",
        "{\"service\":\"fd04:0:0:0:0:0:0:1\",\"port\":8080}",
        "{}",
        "{\"replication\":\"underlay\"}",
        "{\"mss\":1448}",
        "{\"sequence\":16909060,\"originalLength\":1514,\"version\":1,\"seconds\":1705032704,\"nanoseconds\":123456789,"
                + "\"fractionalNanoseconds\":32768,\"deviceId\":7,\"portId\":3}",
        "{\"version\":2,\"discard\":false,\"maxHopCountExceeded\":false,\"mtuExceeded\":false,\"hopMetadataLength\":2,"
                + "\"remainingHopCount\":5,\"instructionBitmap\":36864,\"domainSpecificId\":0,"
                + "\"domainSpecificInstruction\":0,\"domainSpecificFlags\":0,\"hops\":[{\"words\":[3,48]},"
                + "{\"words\":[2,32]},{\"words\":[1,16]}],\"trailing\":[]}",
        "null",
        "null",
        "{\"innerProtocol\":25944,\"nestedIpv6\":false,\"nestedNetworkOffset\":14,\"nestedTransportOffset\":34,"
                + "\"nestedHeaderLength\":50}",
        "{\"message\":\"offer\"}",
        "{\"explanation\":\"audit\"}",
    };

    static final String[] NAMES = {"Cilium DSR service", "Cilium DSR service", "Oxide external",
        "Oxide multicast replication", "Oxide TCP MSS", "cPacket metadata", "INT-MD metadata", "INT-Destination", "INT-MX",
        "Linux GRO hint", "nat64.net NAT64 bypass", "nat64.net audit mirror"};

    static final String[] CLASS_NAMES = {"Cilium", "Cilium", "Oxide", "Oxide", "Oxide", "cPacket Networks",
        "In-band Network Telemetry (INT)", "In-band Network Telemetry (INT)", "In-band Network Telemetry (INT)", "Linux",
        "nat64.net", "nat64.net"};

    /** A Geneve header with {@code options} (hex, whole options), Ethernet payload. */
    static byte[] geneve(int vni, String... options) {
        byte[] opts = Hex.bytes(String.join(" ", options));
        byte[] base = {(byte) (opts.length / 4), 0, 0x65, 0x58, (byte) (vni >>> 16), (byte) (vni >>> 8), (byte) vni, 0};
        return concat(base, opts);
    }

    @Test
    void aCaptureHoldingEveryPublishedOptionPrintsEachTypedValue(@TempDir Path dir) throws IOException {
        List<byte[]> frames = new ArrayList<>();
        for (String option : PUBLISHED) {
            frames.add(UdpFrames.ipv4(1, 6081, concat(geneve(77, option), new byte[14])));
        }
        Path file = dir.resolve("published.pcap");
        Files.write(file, CaptureBuilder.pcap(ByteOrder.LITTLE_ENDIAN, false, LinkType.ETHERNET,
                frames.toArray(byte[][]::new)));
        DumpCommandTest.Run run = run("dump", file.toString());
        assertThat(run.err()).isEmpty();
        assertThat(run.out()).hasSize(PUBLISHED.length);
        for (int i = 0; i < PUBLISHED.length; i++) {
            JsonNode option = JSON.readTree(run.out().get(i)).get("options").get(0);
            assertThat(option.get("value").toString()).as(PUBLISHED[i]).isEqualTo(VALUES[i]);
            assertThat(option.get("name").asText()).as(PUBLISHED[i]).isEqualTo(NAMES[i]);
            assertThat(option.get("className").asText()).as(PUBLISHED[i]).isEqualTo(CLASS_NAMES[i]);
            assertThat(option.has("valueError")).isFalse();
        }
    }

    @Test
    void portIsRepeatableAndReplacesTheDefault(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("ports.pcap");
        Files.write(file, CaptureBuilder.pcap(ByteOrder.LITTLE_ENDIAN, false, LinkType.ETHERNET,
                UdpFrames.ipv4(1, 6081, concat(OVS, INNER)), UdpFrames.ipv4(2, 4789, concat(OVS, INNER)),
                UdpFrames.ipv4(3, 6082, concat(OVS, INNER)), UdpFrames.ipv4(4, 53, concat(OVS, INNER))));
        assertThat(run("dump", file.toString()).out()).singleElement().asString().contains("\"srcPort\":1,");
        List<String> two = run("dump", "--port", "4789", "--port", "6082", file.toString()).out();
        assertThat(two).hasSize(2);
        assertThat(two.get(0)).startsWith("{\"frame\":2,").contains("\"dstPort\":4789");
        assertThat(two.get(1)).startsWith("{\"frame\":3,").contains("\"dstPort\":6082");
        assertThat(run("dump", "--port", "6081", "--port", "53", file.toString()).out()).hasSize(2);
        DumpCommandTest.Run bad = run("dump", "--port", "70000", file.toString());
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("--port 70000 is not a UDP port");
    }

    @Test
    void severalFilesNameTheirFileAndNumberFramesPerFile(@TempDir Path dir) throws IOException {
        Path a = dir.resolve("a.pcap");
        Path b = dir.resolve("b.pcap");
        Files.write(a, CaptureBuilder.pcap(ByteOrder.LITTLE_ENDIAN, false, LinkType.ETHERNET,
                UdpFrames.ipv4(1, 53, new byte[8]), UdpFrames.ipv4(1, 6081, concat(OVS, INNER))));
        Files.write(b, CaptureBuilder.pcap(ByteOrder.BIG_ENDIAN, true, LinkType.ETHERNET,
                UdpFrames.ipv4(2, 6081, concat(OVS, INNER)), UdpFrames.ipv4(2, 6081, Hex.bytes("40 00 65 58 00 13 88 00"))));
        List<String> out = run("dump", a.toString(), b.toString()).out();
        assertThat(out).hasSize(3);
        assertThat(out.get(0)).startsWith("{\"file\":" + JSON.writeValueAsString(a.toString()) + ",\"frame\":2,");
        assertThat(out.get(1)).startsWith("{\"file\":" + JSON.writeValueAsString(b.toString()) + ",\"frame\":1,");
        assertThat(out.get(2)).startsWith("{\"file\":" + JSON.writeValueAsString(b.toString()) + ",\"frame\":2,\"error\"");
        // one file: no file field, as before
        assertThat(run("dump", b.toString()).out().get(0)).startsWith("{\"frame\":1,");
    }

    @Test
    void summaryCountsPerVniAcrossFiles(@TempDir Path dir) throws IOException {
        byte[] cookie = geneve(5000, "01 08 03 01 12 34 56 78", "ff ff 80 01 a1 b2 c3 d4", "ff ff 80 00");
        byte[] plain = Hex.bytes("00 00 08 00 00 00 07 00");
        Path a = dir.resolve("a.pcap");
        Path b = dir.resolve("b.pcap");
        Files.write(a, CaptureBuilder.pcap(ByteOrder.LITTLE_ENDIAN, false, LinkType.ETHERNET,
                UdpFrames.ipv4(1, 6081, concat(cookie, new byte[14])), UdpFrames.ipv4(1, 6081, concat(plain, INNER))));
        Files.write(b, CaptureBuilder.pcap(ByteOrder.LITTLE_ENDIAN, false, LinkType.ETHERNET,
                UdpFrames.ipv4(1, 6081, concat(cookie, new byte[14])), UdpFrames.ipv4(1, 6081, Hex.bytes("40 00"))));
        DumpCommandTest.Run run = run("dump", "--summary", a.toString(), b.toString());
        assertThat(run.code()).isZero();
        assertThat(run.out()).containsExactly(
                "{\"vni\":7,\"packets\":1,\"bytes\":28,\"protocolTypes\":[{\"protocolType\":2048,\"packets\":1}],"
                        + "\"options\":[]}",
                "{\"vni\":5000,\"packets\":2,\"bytes\":" + 2 * (cookie.length + 14) + ",\"protocolTypes\":"
                        + "[{\"protocolType\":25944,\"packets\":2}],\"options\":["
                        + "{\"class\":264,\"className\":\"Amazon\",\"type\":3,\"name\":\"AWS GWLB flow cookie\",\"count\":2},"
                        + "{\"class\":65535,\"className\":\"Experimental\",\"type\":128,\"name\":null,\"count\":4}]}",
                "{\"total\":{\"packets\":3,\"bytes\":" + (28 + 2 * (cookie.length + 14))
                        + ",\"vnis\":2,\"malformed\":1,\"untrackedPackets\":0}}");
    }
}
