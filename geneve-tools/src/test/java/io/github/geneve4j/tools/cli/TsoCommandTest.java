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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TsoCommandTest {

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
}
