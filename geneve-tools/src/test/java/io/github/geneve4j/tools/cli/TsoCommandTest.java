package io.github.geneve4j.tools.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.geneve4j.pcap.CaptureReader;
import io.github.geneve4j.pcap.CapturedPacket;
import io.github.geneve4j.pcap.LinkType;
import io.github.geneve4j.pcap.PcapWriter;
import io.github.geneve4j.pcap.testing.CaptureBuilder;
import io.github.geneve4j.testing.Tshark;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TsoCommandTest {

    @Tag("system")
    @ParameterizedTest
    @CsvSource({"true, 60000", "false, 60000", "false, 262144"})
    void segmentsIntoMtuSizedFramesWiresharkReassembles(boolean v4, int length, @TempDir Path dir) throws Exception {
        byte[] payload = new byte[length];
        new SplittableRandom(length).nextBytes(payload);
        Path in = dir.resolve("in.pcap");
        try (PcapWriter writer = PcapWriter.create(in, LinkType.ETHERNET)) {
            writer.write(1_000_000_000L, CaptureBuilder.tcpFrame(v4, payload, 40000));
        }
        Path out = dir.resolve("out.pcap");
        StringWriter stdout = new StringWriter();
        StringWriter stderr = new StringWriter();
        int code = GeneveCommand.execute(new PrintWriter(stdout), new PrintWriter(stderr),
                "tso", "--in", in.toString(), "--out", out.toString(), "--vni", "5000", "--option", "0xffff:0x01:a1b2c3d4");
        assertThat(code).as(stderr.toString()).isZero();
        assertThat(stdout.toString()).startsWith("1 input frame(s) -> ");
        long frames = 0;
        try (CaptureReader reader = CaptureReader.open(out)) {
            for (CapturedPacket p; (p = reader.next()) != null; ) {
                frames++;
                assertThat(p.data().byteSize()).as("outer IP packet within the MTU").isLessThanOrEqualTo(14 + 1500);
            }
        }
        assertThat(frames).isGreaterThan(length / 1500);

        Tshark.assumeAvailable();
        List<JsonNode> dissected = Tshark.fields(out, List.of("-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE",
                "-o", "udp.check_checksum:TRUE"), "ip.checksum.status", "udp.checksum.status", "tcp.checksum.status", "geneve.vni");
        assertThat(dissected).hasSize((int) frames);
        for (JsonNode f : dissected) {
            assertThat(Tshark.values(f, "udp.checksum.status")).containsExactly("1");
            assertThat(Tshark.values(f, "tcp.checksum.status")).containsExactly("1");
            assertThat(Tshark.values(f, "ip.checksum.status")).allMatch(s -> s.equals("1"));
            assertThat(Tshark.values(f, "geneve.vni")).containsExactly("0x001388");
        }
        Process follow = new ProcessBuilder(Tshark.executable().toString(), "-r", out.toString(), "-q", "-z",
                "follow,tcp,raw,0").redirectErrorStream(true).start();
        String text = new String(follow.getInputStream().readAllBytes());
        assertThat(follow.waitFor(60, TimeUnit.SECONDS)).isTrue();
        ByteArrayOutputStream reassembled = new ByteArrayOutputStream();
        for (String line : text.lines().toList()) {
            if (line.matches("[0-9a-f]+") && line.length() % 2 == 0) {
                reassembled.writeBytes(HexFormat.of().parseHex(line));
            }
        }
        assertThat(reassembled.toByteArray()).isEqualTo(payload);
    }

    @Test
    void aDamagedInputIsOneLineAndExitTwo(@TempDir Path dir) throws Exception {
        byte[] frame = CaptureBuilder.tcpFrame(true, new byte[3000], 40000);
        byte[] whole = CaptureBuilder.pcap(ByteOrder.LITTLE_ENDIAN, false, LinkType.ETHERNET, frame, frame);
        Path in = dir.resolve("cut.pcap");
        Files.write(in, Arrays.copyOf(whole, whole.length - 1));
        Path out = dir.resolve("out.pcap");
        StringWriter stdout = new StringWriter();
        StringWriter stderr = new StringWriter();
        int code = GeneveCommand.execute(new PrintWriter(stdout), new PrintWriter(stderr),
                "tso", "--in", in.toString(), "--out", out.toString(), "--vni", "5000");
        assertThat(code).isEqualTo(2);
        assertThat(stderr.toString()).isEqualTo("geneve tso: " + in + ": capture cut short: frame 2 ("
                + frame.length + " captured bytes) needs " + frame.length + " bytes, " + (frame.length - 1)
                + " left (at byte " + (24 + 2 * 16 + frame.length) + " of the file)" + System.lineSeparator());
        try (CaptureReader reader = CaptureReader.open(out)) {
            long written = 0;
            for (CapturedPacket p : reader) {
                written = p.frame();
            }
            assertThat(written).as("the first frame's segments were written").isEqualTo(3);
        }
    }

    @Test
    void anUnwritableOutputIsOneLineAndExitTwo(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("in.pcap");
        Files.write(in, CaptureBuilder.pcap(ByteOrder.LITTLE_ENDIAN, false, LinkType.ETHERNET,
                CaptureBuilder.tcpFrame(true, new byte[100], 40000)));
        Path out = dir.resolve("no-such-directory").resolve("out.pcap");
        StringWriter stdout = new StringWriter();
        StringWriter stderr = new StringWriter();
        int code = GeneveCommand.execute(new PrintWriter(stdout), new PrintWriter(stderr),
                "tso", "--in", in.toString(), "--out", out.toString(), "--vni", "5000");
        assertThat(code).isEqualTo(2);
        assertThat(stderr.toString()).isEqualTo("geneve tso: " + out + ": no such directory" + System.lineSeparator());
        assertThat(stdout.toString()).isEmpty();
    }
}
