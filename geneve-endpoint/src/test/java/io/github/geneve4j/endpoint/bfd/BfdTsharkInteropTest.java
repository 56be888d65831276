package io.github.geneve4j.endpoint.bfd;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.geneve4j.codec.Geneve;
import io.github.geneve4j.testing.Pcap;
import io.github.geneve4j.testing.Tshark;
import io.github.geneve4j.testing.UdpFrames;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Wireshark's BFD dissector reads the Geneve-encapsulated packets our writer builds the way our
 * decoder does: every {@code bfd.*} field, the Geneve O bit as configured, the inner TTL and UDP
 * checksum. Skipped without tshark, except with {@code CI=true}.
 */
@Tag("system")
class BfdTsharkInteropTest {

    private static final String[] FIELDS = {
        "geneve.flags.oam", "geneve.proto_type", "geneve.vni", "ip.ttl", "udp.srcport", "udp.dstport",
        "udp.checksum.status", "bfd.version", "bfd.diag", "bfd.sta", "bfd.flags.p", "bfd.flags.f", "bfd.flags.c",
        "bfd.flags.a", "bfd.flags.d", "bfd.flags.m", "bfd.detect_time_multiplier", "bfd.message_length",
        "bfd.my_discriminator", "bfd.your_discriminator", "bfd.desired_min_tx_interval",
        "bfd.required_min_rx_interval", "bfd.required_min_echo_interval"
    };

    private long now;

    @Test
    void tsharkDissectsOurBfdInsideGeneve(@TempDir Path dir) throws Exception {
        Tshark.assumeAvailable();
        BfdSession a = BfdSession.builder().localDiscriminator(0x11223344L).timers(BfdTimers.ofMillis(300, 250, 4))
                .clock(() -> now).build();
        BfdEncapsulation rfc = BfdEncapsulation.defaults(0x02_00_00_00_00_0AL, 49152);
        BfdEncapsulation ovs = rfc.withOam(false).withUdpChecksum(false).withSourcePort(49153);
        List<byte[]> frames = new ArrayList<>();
        List<BfdControlPacket> sent = new ArrayList<>();
        List<Boolean> oam = new ArrayList<>();

        frames.add(frame(rfc, a, 5000, sent, oam));                    // Down, slow rate, Your Discriminator 0
        a.onPacket(peer(BfdState.DOWN, 0, false), now);
        a.onPacket(peer(BfdState.UP, 0x11223344L, false), now);        // Up: a Poll sequence starts
        frames.add(frame(ovs, a, 5000, sent, oam));                    // Up with Poll, OVS's encapsulation
        a.onPacket(peer(BfdState.UP, 0x11223344L, true), now);         // the peer polls us
        frames.add(frame(rfc, a, 0xABCDEF, sent, oam));                // Final
        Path pcap = dir.resolve("bfd.pcap");
        Pcap.write(pcap, frames);

        List<JsonNode> dissected = Tshark.fields(pcap, List.of("-o", "udp.check_checksum:TRUE"), FIELDS);
        assertThat(dissected).hasSize(3);
        for (int i = 0; i < 3; i++) {
            JsonNode f = dissected.get(i);
            BfdControlPacket p = sent.get(i);
            assertThat(Tshark.values(f, "geneve.flags.oam")).as("frame %d", i).containsExactly(oam.get(i) ? "1" : "0");
            assertThat(Tshark.values(f, "geneve.proto_type")).containsExactly("0x6558");
            assertThat(Tshark.values(f, "ip.ttl")).as("outer, inner").containsExactly("64", "255");
            assertThat(Tshark.values(f, "udp.dstport")).containsExactly("6081", "3784");
            assertThat(Tshark.values(f, "udp.checksum.status").get(1)).as("inner UDP checksum")
                    .isEqualTo(i == 1 ? "3" : "1");
            assertThat(Tshark.values(f, "bfd.version")).containsExactly("1");
            assertThat(Tshark.values(f, "bfd.diag")).containsExactly(hex8(p.diagnosticCode()));
            assertThat(Tshark.values(f, "bfd.sta")).containsExactly(hex8(p.state().code()));
            assertThat(Tshark.values(f, "bfd.flags.p")).containsExactly(bit(p.poll()));
            assertThat(Tshark.values(f, "bfd.flags.f")).containsExactly(bit(p.finalFlag()));
            assertThat(Tshark.values(f, "bfd.flags.c")).containsExactly("0");
            assertThat(Tshark.values(f, "bfd.flags.a")).containsExactly("0");
            assertThat(Tshark.values(f, "bfd.flags.d")).containsExactly("0");
            assertThat(Tshark.values(f, "bfd.flags.m")).containsExactly("0");
            assertThat(Tshark.values(f, "bfd.detect_time_multiplier")).containsExactly("4");
            assertThat(Tshark.values(f, "bfd.message_length")).containsExactly("24");
            assertThat(Tshark.values(f, "bfd.my_discriminator")).containsExactly(hex32(p.myDiscriminator()));
            assertThat(Tshark.values(f, "bfd.your_discriminator")).containsExactly(hex32(p.yourDiscriminator()));
            assertThat(Tshark.values(f, "bfd.desired_min_tx_interval"))
                    .containsExactly(Long.toString(p.desiredMinTxMicros()));
            assertThat(Tshark.values(f, "bfd.required_min_rx_interval"))
                    .containsExactly(Long.toString(p.requiredMinRxMicros()));
            assertThat(Tshark.values(f, "bfd.required_min_echo_interval")).containsExactly("0");
        }
        assertThat(sent.get(0).state()).isEqualTo(BfdState.DOWN);
        assertThat(sent.get(0).desiredMinTxMicros()).isEqualTo(1_000_000);
        assertThat(sent.get(1).poll()).isTrue();
        assertThat(sent.get(1).desiredMinTxMicros()).isEqualTo(300_000);
        assertThat(sent.get(2).finalFlag()).isTrue();
        assertThat(sent.get(2).yourDiscriminator()).isEqualTo(0xBEEF);
    }

    private static BfdControlView peer(BfdState state, long yours, boolean poll) {
        BfdControlPacket packet = new BfdControlPacket(0, state, poll, false, false, false, 3, 0xBEEF, yours,
                1_000_000, 1_000_000, 0);
        return new BfdControlView().wrap(MemorySegment.ofArray(packet.toBytes()), 0);
    }

    private static byte[] frame(BfdEncapsulation encap, BfdSession session, int vni, List<BfdControlPacket> sent,
            List<Boolean> oam) {
        byte[] geneve = encap.geneveHeader(vni).toBytes();
        byte[] payload = new byte[geneve.length + BfdEncapsulation.FRAME_LENGTH];
        System.arraycopy(geneve, 0, payload, 0, geneve.length);
        MemorySegment segment = MemorySegment.ofArray(payload);
        encap.writeFrame(segment, geneve.length, session);
        sent.add(BfdControlPacket.decode(segment, geneve.length + BfdEncapsulation.CONTROL_PACKET_OFFSET, 24));
        oam.add(encap.oam());
        return UdpFrames.ipv4(50_000, Geneve.UDP_PORT, payload);
    }

    private static String bit(boolean b) {
        return b ? "1" : "0";
    }

    private static String hex8(int v) {
        return String.format("0x%02x", v);
    }

    private static String hex32(long v) {
        return String.format("0x%08x", v);
    }
}
