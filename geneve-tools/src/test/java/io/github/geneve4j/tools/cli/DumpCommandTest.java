package io.github.geneve4j.tools.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.geneve4j.pcap.LinkType;
import io.github.geneve4j.pcap.testing.CaptureBuilder;
import io.github.geneve4j.testing.Hex;
import io.github.geneve4j.testing.Tshark;
import io.github.geneve4j.testing.UdpFrames;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DumpCommandTest {

    static final byte[] GWLB = Hex.bytes("08 00 08 00 00 00 00 00 | 01 08 01 02 11 22 33 44 55 66 77 88"
            + " | 01 08 02 02 99 aa bb cc dd ee ff 00 | 01 08 03 01 12 34 56 78");
    static final byte[] INNER = Hex.bytes("45 00 00 14 00 01 00 00 40 01 00 00 0a 00 00 01 0a 00 00 02");
    static final byte[] OVS = Hex.bytes("02 40 65 58 00 13 88 00 | ff ff 80 01 a1 b2 c3 d4");

    record Run(int code, List<String> out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = GeneveCommand.execute(new PrintWriter(out), new PrintWriter(err), args);
        List<String> lines = out.toString().lines().toList();
        return new Run(code, lines, err.toString());
    }

    static byte[] concat(byte[]... parts) {
        return CaptureBuilder.concat(parts);
    }

    static byte[] ipv6Udp(int srcPort, int dstPort, byte[] payload) {
        // Ethernet, IPv6 with a hop-by-hop extension header, UDP
        ByteBuffer b = ByteBuffer.allocate(14 + 40 + 8 + 8 + payload.length);
        b.put(Hex.bytes("02 00 00 00 00 02 02 00 00 00 00 01 86 dd"));
        b.putInt(0x6000_0000).putShort((short) (16 + payload.length)).put((byte) 0).put((byte) 64);
        b.put(Hex.bytes("fd00 0000 0000 0000 0000 0000 0000 0001 fd00 0000 0000 0000 0000 0000 0000 0002"));
        b.put((byte) 17).put((byte) 0).put(new byte[6]); // hop-by-hop: next UDP, 8 bytes
        b.putShort((short) srcPort).putShort((short) dstPort).putShort((short) (8 + payload.length)).putShort((short) 0);
        b.put(payload);
        return b.array();
    }

    static byte[] vlan(byte[] ethernetFrame) {
        byte[] tagged = new byte[ethernetFrame.length + 4];
        System.arraycopy(ethernetFrame, 0, tagged, 0, 12);
        tagged[12] = (byte) 0x81;
        tagged[13] = 0;
        tagged[14] = 0;
        tagged[15] = 100;
        System.arraycopy(ethernetFrame, 12, tagged, 16, ethernetFrame.length - 12);
        return tagged;
    }

    @Test
    void printsOneJsonLinePerGenevePacketAndSkipsTheRest(@TempDir Path dir) throws IOException {
        byte[] dns = UdpFrames.ipv4(40000, 53, new byte[12]);
        byte[] tcp = UdpFrames.ipv4(40000, 6081, new byte[8]);
        tcp[14 + 9] = 6; // protocol TCP: skipped even on port 6081
        Path file = dir.resolve("mixed.pcap");
        Files.write(file, CaptureBuilder.pcap(ByteOrder.LITTLE_ENDIAN, false, LinkType.ETHERNET,
                UdpFrames.ipv4(50123, 6081, concat(GWLB, INNER)),
                dns,
                tcp,
                vlan(UdpFrames.ipv4(1234, 6081, concat(OVS, new byte[14]))),
                ipv6Udp(999, 6081, OVS),
                UdpFrames.ipv4(1, 6081, Hex.bytes("00 00 65 58 00 13 88")),
                UdpFrames.ipv4(1, 6081, Hex.bytes("40 00 65 58 00 13 88 00")),
                UdpFrames.ipv4(1, 6081, Hex.bytes("01 00 65 58 00 13 88 00 ff ff 01 01 00 00 00 00"))));
        Run run = run("dump", file.toString());
        assertThat(run.err()).isEmpty();
        assertThat(run.code()).isZero();
        assertThat(run.out()).containsExactly(
                "{\"frame\":1,\"outer\":{\"src\":\"172.31.0.1\",\"dst\":\"172.31.0.2\",\"srcPort\":50123,\"dstPort\":6081},"
                        + "\"vni\":0,\"protocolType\":2048,\"oam\":false,\"critical\":false,\"optionsLength\":32,\"options\":["
                        + option(264, 1, false, 8, "1122334455667788", 1) + ","
                        + option(264, 2, false, 8, "99aabbccddeeff00", 2) + ","
                        + option(264, 3, false, 4, "12345678", 3) + "],\"payloadLength\":20}",
                "{\"frame\":4,\"outer\":{\"src\":\"172.31.0.1\",\"dst\":\"172.31.0.2\",\"srcPort\":1234,\"dstPort\":6081},"
                        + "\"vni\":5000,\"protocolType\":25944,\"oam\":false,\"critical\":true,\"optionsLength\":8,\"options\":["
                        + option(65535, 128, true, 4, "a1b2c3d4", 0) + "],\"payloadLength\":14}",
                "{\"frame\":5,\"outer\":{\"src\":\"fd00::1\",\"dst\":\"fd00::2\",\"srcPort\":999,\"dstPort\":6081},"
                        + "\"vni\":5000,\"protocolType\":25944,\"oam\":false,\"critical\":true,\"optionsLength\":8,\"options\":["
                        + option(65535, 128, true, 4, "a1b2c3d4", 0) + "],\"payloadLength\":0}",
                "{\"frame\":6,\"error\":\"TRUNCATED\",\"offset\":7,\"message\":\"Geneve header truncated: 7 bytes (expected: at least 8 bytes)\"}",
                "{\"frame\":7,\"error\":\"UNSUPPORTED_VERSION\",\"offset\":0,\"message\":\"Geneve version 1 (expected: 0)\"}",
                "{\"frame\":8,\"error\":\"OPTION_OVERRUN\",\"offset\":8,\"message\":\"option at offset 8 with 4 bytes of data ends at offset 16 (expected: at most 12, the end of the options)\"}");
    }

    /** An option object as dump prints it; {@code gwlbType} 1..3 names the AWS option (its value from {@code data}), 0 none. */
    static String option(int cls, int type, boolean critical, int length, String data, int gwlbType) {
        String className = OptionNames.className(cls);
        String name = OptionNames.name(cls, type);
        String value = switch (gwlbType) {
            case 1, 2 -> "{\"id\":\"0x" + data + "\"}";
            case 3 -> "{\"cookie\":\"0x" + data + "\"}";
            default -> "null";
        };
        return "{\"class\":" + cls + ",\"className\":\"" + className + "\",\"type\":" + type + ",\"critical\":" + critical
                + ",\"length\":" + length + ",\"data\":\"" + data + "\",\"name\":"
                + (name == null ? "null" : "\"" + name + "\"") + ",\"value\":" + value + "}";
    }

    @Test
    void decodesEveryKnownOptionBesideItsHex(@TempDir Path dir) throws IOException {
        // OVN port keys (0x0102/0x80: ingress 0x0005, egress 0x0007), GCP VNID (0x0132/1: VNID 4660,
        // direction bit set), a GCP profile ID, and a GWLB cookie of the wrong length (a layout error)
        byte[] header = Hex.bytes("0a 00 65 58 00 13 88 00 | 01 02 80 01 00 05 00 07 | 01 32 01 01 00 01 23 41"
                + " | 01 32 03 02 00 00 00 00 00 00 00 2a | 01 08 03 02 00 00 00 01 00 00 00 02");
        Path file = dir.resolve("known.pcap");
        Files.write(file, CaptureBuilder.pcap(ByteOrder.LITTLE_ENDIAN, false, LinkType.ETHERNET,
                UdpFrames.ipv4(1, 6081, concat(header, new byte[14]))));
        Run run = run("dump", file.toString());
        assertThat(run.code()).isZero();
        JsonNode options = new ObjectMapper().readTree(run.out().get(0)).get("options");
        assertThat(options.get(0).get("value").toString()).isEqualTo("{\"ingress\":5,\"egress\":7}");
        assertThat(options.get(1).get("value").toString()).isEqualTo("{\"vnid\":4660,\"direction\":true}");
        assertThat(options.get(2).get("value").toString()).isEqualTo("{\"id\":\"0x000000000000002a\"}");
        assertThat(options.get(3).get("value").isNull()).isTrue();
        assertThat(options.get(3).get("valueError").asText()).isNotBlank();
        assertThat(options.get(3).get("data").asText()).isEqualTo("0000000100000002");
    }

    @Test
    void readsEveryLinkTypeAndTheConfiguredPort(@TempDir Path dir) throws IOException {
        byte[] ethernet = UdpFrames.ipv4(7, 4789, concat(OVS, INNER));
        byte[] ip = Arrays.copyOfRange(ethernet, 14, ethernet.length);
        byte[] sll = concat(Hex.bytes("0000 0001 0006 020000000001 0000 0800"), ip);
        byte[] sll2 = concat(Hex.bytes("0800 0000 00000002 0001 00 06 020000000001 0000"), ip);
        for (Object[] c : new Object[][] {{LinkType.ETHERNET, ethernet}, {LinkType.RAW, ip},
                {LinkType.LINUX_SLL, sll}, {LinkType.LINUX_SLL2, sll2}}) {
            Path file = dir.resolve("link" + c[0] + ".pcap");
            Files.write(file, CaptureBuilder.pcap(ByteOrder.BIG_ENDIAN, true, (int) c[0], (byte[]) c[1]));
            assertThat(run("dump", file.toString()).out()).as("link type %s, port 6081", c[0]).isEmpty();
            Run run = run("dump", "--port", "4789", file.toString());
            assertThat(run.out()).as("link type %s", c[0]).hasSize(1);
            assertThat(run.out().get(0)).startsWith("{\"frame\":1,\"outer\":{\"src\":\"172.31.0.1\"").contains("\"vni\":5000");
        }
    }

    @Test
    void aFileCutMidRecordPrintsWhatItCouldThenOneErrorLineAndExits2(@TempDir Path dir) throws IOException {
        byte[] whole = CaptureBuilder.pcap(ByteOrder.LITTLE_ENDIAN, false, LinkType.ETHERNET,
                UdpFrames.ipv4(1, 6081, concat(OVS, INNER)), UdpFrames.ipv4(2, 6081, concat(OVS, INNER)));
        Path file = dir.resolve("cut.pcap");
        Files.write(file, Arrays.copyOf(whole, whole.length - 10));
        Run run = run("dump", file.toString());
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.out()).hasSize(1);
        assertThat(run.err().lines()).singleElement().asString()
                .startsWith("geneve dump: " + file + ": capture cut short").doesNotContain("Exception");
    }

    @Test
    void notACaptureAndMissingFilesAreOneLineErrors(@TempDir Path dir) throws IOException {
        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "this is not a capture\n");
        Run run = run("dump", text.toString(), dir.resolve("missing.pcap").toString());
        assertThat(run.code()).isEqualTo(2);
        assertThat(run.out()).isEmpty();
        assertThat(run.err().lines()).containsExactly(
                "geneve dump: " + text + ": not a pcap or pcapng capture: magic number 0x74686973 (at byte 0 of the file)",
                "geneve dump: " + dir.resolve("missing.pcap") + ": no such file");
    }

    @Tag("system")
    @Test
    void pcapngWrittenByEditcapReadsTheSameAsPcap(@TempDir Path dir) throws Exception {
        Tshark.assumeAvailable();
        Path pcap = dir.resolve("in.pcap");
        Files.write(pcap, CaptureBuilder.pcap(ByteOrder.LITTLE_ENDIAN, false, LinkType.ETHERNET,
                UdpFrames.ipv4(50123, 6081, concat(GWLB, INNER)), UdpFrames.ipv4(1, 6081, concat(OVS, INNER)),
                UdpFrames.ipv4(1, 6081, Hex.bytes("40 00 65 58 00 13 88 00"))));
        Path pcapng = dir.resolve("out.pcapng");
        Process editcap = new ProcessBuilder("editcap", "-F", "pcapng", pcap.toString(), pcapng.toString())
                .redirectErrorStream(true).start();
        assertThat(editcap.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(editcap.exitValue()).as(new String(editcap.getInputStream().readAllBytes())).isZero();
        assertThat(Files.readAllBytes(pcapng)).startsWith(0x0A, 0x0D, 0x0D, 0x0A);
        Run fromPcap = run("dump", pcap.toString());
        Run fromPcapng = run("dump", pcapng.toString());
        assertThat(fromPcap.out()).hasSize(3);
        assertThat(fromPcapng.out()).isEqualTo(fromPcap.out());
        assertThat(fromPcapng.code()).isZero();
    }

    @Tag("system")
    @Test
    void fieldsAgreeWithTshark(@TempDir Path dir) throws Exception {
        Tshark.assumeAvailable();
        List<byte[]> frames = new ArrayList<>();
        frames.add(UdpFrames.ipv4(50123, 6081, concat(GWLB, INNER)));
        frames.add(UdpFrames.ipv4(1, 6081, concat(OVS, INNER)));
        frames.add(ipv6Udp(999, 6081, concat(Hex.bytes("01 80 86 dd 00 00 2a 00 | 01 02 80 00"), INNER)));
        frames.add(vlan(UdpFrames.ipv4(1234, 6081, concat(Hex.bytes("00 00 08 00 ff ff ff 00"), INNER))));
        Path file = dir.resolve("x.pcap");
        Files.write(file, CaptureBuilder.pcap(ByteOrder.LITTLE_ENDIAN, false, LinkType.ETHERNET, frames.toArray(byte[][]::new)));
        List<JsonNode> tshark = Tshark.fields(file, List.of(), "geneve.vni", "geneve.proto_type", "geneve.flags.oam",
                "geneve.flags.critical", "geneve.option.class", "geneve.option.type", "udp.srcport", "ip.src", "ipv6.src");
        Run run = run("dump", file.toString());
        ObjectMapper mapper = new ObjectMapper();
        assertThat(run.out()).hasSize(frames.size());
        for (int i = 0; i < frames.size(); i++) {
            JsonNode ours = mapper.readTree(run.out().get(i));
            JsonNode theirs = tshark.get(i);
            String what = "frame " + (i + 1);
            assertThat(ours.get("frame").asInt()).isEqualTo(i + 1);
            assertThat(String.format("0x%06x", ours.get("vni").asInt())).as(what).isEqualTo(Tshark.values(theirs, "geneve.vni").get(0));
            assertThat(String.format("0x%04x", ours.get("protocolType").asInt())).as(what)
                    .isEqualTo(Tshark.values(theirs, "geneve.proto_type").get(0));
            assertThat(ours.get("oam").asBoolean() ? "1" : "0").isEqualTo(Tshark.values(theirs, "geneve.flags.oam").get(0));
            assertThat(ours.get("critical").asBoolean() ? "1" : "0").isEqualTo(Tshark.values(theirs, "geneve.flags.critical").get(0));
            List<String> classes = new ArrayList<>();
            List<String> types = new ArrayList<>();
            for (JsonNode o : ours.get("options")) {
                classes.add(String.format("0x%04x", o.get("class").asInt()));
                types.add(String.format("0x%02x", o.get("type").asInt()));
            }
            assertThat(Tshark.values(theirs, "geneve.option.class")).as(what).isEqualTo(classes);
            assertThat(Tshark.values(theirs, "geneve.option.type")).as(what).isEqualTo(types);
            assertThat(String.valueOf(ours.at("/outer/srcPort").asInt())).isEqualTo(Tshark.values(theirs, "udp.srcport").get(0));
            List<String> src = new ArrayList<>(Tshark.values(theirs, "ip.src"));
            src.addAll(Tshark.values(theirs, "ipv6.src"));
            assertThat(src.get(0)).as(what).isEqualTo(ours.at("/outer/src").asText());
        }
    }
}
