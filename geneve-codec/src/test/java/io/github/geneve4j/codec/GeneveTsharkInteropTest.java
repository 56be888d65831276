package io.github.geneve4j.codec;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.geneve4j.testing.GeneveGenerators;
import io.github.geneve4j.testing.Hex;
import io.github.geneve4j.testing.Pcap;
import io.github.geneve4j.testing.Property;
import io.github.geneve4j.testing.Tshark;
import io.github.geneve4j.testing.UdpFrames;
import io.github.geneve4j.testing.Vectors.Vector;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interop with Wireshark's Geneve dissector: what we encode, tshark reads the same way.
 *
 * <p>Every valid golden vector and a few dozen generated headers go into one pcap (Ethernet, IPv4,
 * UDP to 6081, a small inner frame after the header: tshark does not dissect a Geneve packet with
 * an empty payload). tshark's fields must match our decoder's field by field.
 */
@Tag("system")
class GeneveTsharkInteropTest {

    private static final byte[] INNER = Hex.bytes("02 00 00 00 00 02 02 00 00 00 00 01 08 00"
            + " 45 00 00 14 00 01 00 00 40 11 00 00 0a 00 00 01 0a 00 00 02");

    private static final String[] FIELDS = {
        "geneve.version", "geneve.flags.oam", "geneve.flags.critical", "geneve.proto_type", "geneve.vni",
        "geneve.option.class", "geneve.option.type", "geneve.option.type.critical", "geneve.option.length",
        "geneve.option.unknown.data"
    };

    @Test
    void tsharkReadsWhatWeEncode(@TempDir Path dir) throws Exception {
        Tshark.assumeAvailable();
        List<GeneveHeader> headers = new ArrayList<>();
        for (Vector vector : GoldenVectorsTest.VECTORS) {
            if (vector.get("expect").startsWith("ok")) {
                headers.add(GeneveHeader.decode(vector.bytes()));
            }
        }
        Property.forAll("collect generated headers", 60, GeneveGenerators.headers(), headers::add);

        List<byte[]> frames = new ArrayList<>();
        for (GeneveHeader header : headers) {
            byte[] header8 = header.toBytes();
            byte[] payload = new byte[header8.length + INNER.length];
            System.arraycopy(header8, 0, payload, 0, header8.length);
            System.arraycopy(INNER, 0, payload, header8.length, INNER.length);
            frames.add(UdpFrames.ipv4(50_000, Geneve.UDP_PORT, payload));
        }
        Path pcap = dir.resolve("geneve.pcap");
        Pcap.write(pcap, frames);

        List<JsonNode> dissected = Tshark.fields(pcap, List.of(), FIELDS);
        assertThat(dissected).hasSameSizeAs(headers);
        for (int i = 0; i < headers.size(); i++) {
            GeneveHeader h = headers.get(i);
            JsonNode frame = dissected.get(i);
            String what = "frame " + (i + 1) + ": " + h;
            // tshark dissects the outer Geneve first; inner values (if any) come after it
            assertThat(first(frame, "geneve.version")).as(what).isEqualTo(String.valueOf(h.version()));
            assertThat(first(frame, "geneve.flags.oam")).as(what).isEqualTo(h.oam() ? "1" : "0");
            assertThat(first(frame, "geneve.flags.critical")).as(what).isEqualTo(h.critical() ? "1" : "0");
            assertThat(first(frame, "geneve.proto_type")).as(what).isEqualTo(String.format("0x%04x", h.protocolType()));
            assertThat(first(frame, "geneve.vni")).as(what).isEqualTo(String.format("0x%06x", h.vni()));

            List<String> classes = new ArrayList<>();
            List<String> types = new ArrayList<>();
            List<String> criticals = new ArrayList<>();
            List<String> lengths = new ArrayList<>(List.of(String.valueOf(h.optionsLength())));
            List<String> data = new ArrayList<>();
            for (GeneveOption o : h.options()) {
                classes.add(String.format("0x%04x", o.optionClass()));
                types.add(String.format("0x%02x", o.type()));
                criticals.add(o.critical() ? "1" : "0");
                lengths.add(String.valueOf(o.encodedLength()));
                // tshark 4.0 shows an option without data as "<MISSING>"
                data.add(o.dataLength() > 0 ? Hex.of(o.data()) : "<MISSING>");
            }
            int n = h.options().size();
            assertThat(head(Tshark.values(frame, "geneve.option.class"), n)).as(what).isEqualTo(classes);
            assertThat(head(Tshark.values(frame, "geneve.option.type"), n)).as(what).isEqualTo(types);
            assertThat(head(Tshark.values(frame, "geneve.option.type.critical"), n)).as(what).isEqualTo(criticals);
            assertThat(head(Tshark.values(frame, "geneve.option.length"), n + 1)).as(what).isEqualTo(lengths);
            assertThat(head(Tshark.values(frame, "geneve.option.unknown.data"), data.size())).as(what).isEqualTo(data);
        }
    }

    private static String first(JsonNode frame, String field) {
        List<String> values = Tshark.values(frame, field);
        return values.isEmpty() ? "<absent>" : values.get(0);
    }

    private static List<String> head(List<String> values, int n) {
        return values.subList(0, Math.min(n, values.size()));
    }
}
