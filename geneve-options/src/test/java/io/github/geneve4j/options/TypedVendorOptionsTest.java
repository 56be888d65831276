package io.github.geneve4j.options;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.GeneveOptionCursor;
import io.github.geneve4j.codec.GeneveView;
import io.github.geneve4j.options.cilium.CiliumDsr;
import io.github.geneve4j.options.cpacket.CpacketMetadata;
import io.github.geneve4j.options.linux.GroHint;
import io.github.geneve4j.options.nat64.Nat64Options;
import io.github.geneve4j.options.oxide.OxideOptions;
import io.github.geneve4j.options.telemetry.IntOptions;
import io.github.geneve4j.testing.Hex;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The published vendor options (Cilium, Oxide, cPacket, INT, Linux, nat64.net) against the vectors of
 * {@code vectors/typed-options.txt}, each citing where its bytes or layout come from: decoded from a
 * record and from a cursor alike, re-encoded to the same bytes, and refused where the layout forbids.
 */
class TypedVendorOptionsTest {

    record Vector(String name, String source, String expect, byte[] option) {
    }

    static List<Vector> vectors() throws IOException {
        List<Vector> vectors = new ArrayList<>();
        try (InputStream in = TypedVendorOptionsTest.class.getResourceAsStream("/vectors/typed-options.txt")) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            for (String block : text.split("\n\n")) {
                Map<String, String> fields = new LinkedHashMap<>();
                for (String line : block.split("\n")) {
                    if (!line.startsWith("#") && line.contains(": ")) {
                        fields.put(line.substring(0, line.indexOf(": ")), line.substring(line.indexOf(": ") + 2));
                    }
                }
                if (fields.containsKey("name")) {
                    vectors.add(new Vector(fields.get("name"), fields.get("source"), fields.get("expect"),
                            Hex.bytes(fields.get("hex"))));
                }
            }
        }
        return vectors;
    }

    static final Map<String, Object> EXPECTED = Map.ofEntries(
            Map.entry("cilium-dsr-ipv4", new CiliumDsr(ip("10.0.0.1"), 8080)),
            Map.entry("cilium-dsr-ipv6", new CiliumDsr(ip("fd04::1"), 8080)),
            Map.entry("cilium-dsr-pad-ignored", new CiliumDsr(ip("10.0.0.1"), 8080)),
            Map.entry("oxide-external", new OxideOptions.External()),
            Map.entry("oxide-multicast-underlay", new OxideOptions.Multicast(OxideOptions.Replication.UNDERLAY)),
            Map.entry("oxide-multicast-both", new OxideOptions.Multicast(OxideOptions.Replication.BOTH)),
            Map.entry("oxide-mss", new OxideOptions.Mss(1448)),
            Map.entry("cpacket-metadata", new CpacketMetadata(0x01020304L, 1514, 1, 1705032704L, 123456789L, 0x8000,
                    7, 3)),
            Map.entry("int-md-three-hops", new IntOptions.IntMetadata(2, false, false, false, 2, 5, 0x9000, 0, 0, 0,
                    List.of(new IntOptions.Hop(List.of(3L, 0x30L)), new IntOptions.Hop(List.of(2L, 0x20L)),
                            new IntOptions.Hop(List.of(1L, 0x10L))), List.of())),
            Map.entry("linux-gro-hint-ipv4", new GroHint(0x6558, false, 14, 34, 50)),
            Map.entry("linux-gro-hint-ipv6", new GroHint(0x0800, true, 0, 40, 56)),
            Map.entry("nat64-bypass", new Nat64Options.Bypass("offer")),
            Map.entry("nat64-audit-mirror-empty", new Nat64Options.AuditMirror("")),
            Map.entry("nat64-audit-mirror-text", new Nat64Options.AuditMirror("audit")));

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal); // a literal: no lookup
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** The option of a vector inside a Geneve header, and a cursor on it. */
    private static GeneveOptionCursor cursor(byte[] option) {
        byte[] header = new byte[8 + option.length];
        header[0] = (byte) (option.length / 4);
        header[2] = 0x65;
        header[3] = 0x58;
        System.arraycopy(option, 0, header, 8, option.length);
        GeneveOptionCursor o = new GeneveView().wrap(MemorySegment.ofArray(header), 0).options();
        assertThat(o.next()).isTrue();
        return o;
    }

    @Test
    void everyVectorDecodesAsItsSourceSays() throws IOException {
        List<Vector> vectors = vectors();
        assertThat(vectors).hasSizeGreaterThanOrEqualTo(19);
        Set<String> seen = new HashSet<>();
        for (Vector v : vectors) {
            assertThat(v.source()).as(v.name()).isNotBlank();
            GeneveOption option = GeneveHeader.decode(cursorHeader(v.option())).options().get(0);
            GeneveOptionCursor cursor = cursor(v.option());
            if (v.expect().equals("ok")) {
                Object expected = EXPECTED.get(v.name());
                assertThat(expected).as("expected value of %s", v.name()).isNotNull();
                assertThat(OptionRegistry.defaults().decode(option)).as(v.name()).isEqualTo(expected);
                assertThat(OptionRegistry.defaults().decode(cursor)).as(v.name()).isEqualTo(expected);
                if (!v.name().endsWith("ignored")) {
                    assertThat(Hex.of(((TypedOption) expected).toOption().data())).as(v.name())
                            .isEqualTo(Hex.of(option.data()));
                    assertThat(((TypedOption) expected).toOption()).isEqualTo(option);
                }
                seen.add(v.name());
            } else {
                String[] error = v.expect().split(" ");
                assertThat(error[0]).isEqualTo("error");
                GeneveFormatException fromRecord = catchThrowableOfType(GeneveFormatException.class,
                        () -> OptionRegistry.defaults().decode(option));
                GeneveFormatException fromCursor = catchThrowableOfType(GeneveFormatException.class,
                        () -> OptionRegistry.defaults().decode(cursor));
                assertThat(fromRecord).as(v.name()).isNotNull();
                assertThat(fromRecord.reason().name()).as(v.name()).isEqualTo(error[1]);
                assertThat(fromRecord.offset()).as(v.name()).isEqualTo(Long.parseLong(error[2]));
                assertThat(fromCursor).as(v.name()).isNotNull();
                assertThat(fromCursor.reason()).isEqualTo(fromRecord.reason());
                assertThat(fromCursor.offset()).as(v.name()).isEqualTo(8 + fromRecord.offset());
            }
        }
        assertThat(seen).containsExactlyInAnyOrderElementsOf(EXPECTED.keySet());
    }

    private static byte[] cursorHeader(byte[] option) {
        byte[] header = new byte[8 + option.length];
        header[0] = (byte) (option.length / 4);
        header[2] = 0x65;
        header[3] = 0x58;
        System.arraycopy(option, 0, header, 8, option.length);
        return header;
    }

    @Test
    void cursorReadersMatchTheRecords() throws IOException {
        Map<String, byte[]> hex = new LinkedHashMap<>();
        for (Vector v : vectors()) {
            hex.put(v.name(), v.option());
        }
        GeneveOptionCursor v4 = cursor(hex.get("cilium-dsr-ipv4"));
        assertThat(CiliumDsr.isIpv6(v4)).isFalse();
        assertThat(CiliumDsr.ipv4(v4)).isEqualTo(0x0A000001);
        assertThat(CiliumDsr.port(v4)).isEqualTo(8080);
        GeneveOptionCursor v6 = cursor(hex.get("cilium-dsr-ipv6"));
        assertThat(CiliumDsr.isIpv6(v6)).isTrue();
        assertThat(CiliumDsr.port(v6)).isEqualTo(8080);
        assertThatThrownBy(() -> CiliumDsr.ipv4(v6)).isInstanceOfSatisfying(GeneveFormatException.class,
                e -> assertThat(e.reason()).isEqualTo(GeneveFormatException.Reason.BAD_VALUE));
        assertThat(OxideOptions.Multicast.replication(cursor(hex.get("oxide-multicast-both"))))
                .isEqualTo(OxideOptions.Replication.BOTH);
        assertThat(OxideOptions.Mss.read(cursor(hex.get("oxide-mss")))).isEqualTo(1448);
        GeneveOptionCursor cpacket = cursor(hex.get("cpacket-metadata"));
        assertThat(CpacketMetadata.sequence(cpacket)).isEqualTo(0x01020304L);
        assertThat(CpacketMetadata.seconds(cpacket)).isEqualTo(1705032704L);
        assertThat(CpacketMetadata.nanoseconds(cpacket)).isEqualTo(123456789L);
        assertThat(CpacketMetadata.deviceId(cpacket)).isEqualTo(7);
        assertThat(CpacketMetadata.portId(cpacket)).isEqualTo(3);
        GeneveOptionCursor md = cursor(hex.get("int-md-three-hops"));
        assertThat(IntOptions.hopMetadataLength(md)).isEqualTo(2);
        assertThat(IntOptions.remainingHopCount(md)).isEqualTo(5);
        assertThat(IntOptions.instructionBitmap(md)).isEqualTo(0x9000);
        assertThat(IntOptions.hopCount(md)).isEqualTo(3);
        assertThat(IntOptions.hopWord(md, 0, 0)).isEqualTo(3);
        assertThat(IntOptions.hopWord(md, 2, 1)).isEqualTo(0x10);
        assertThatThrownBy(() -> IntOptions.hopWord(md, 3, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        GeneveOptionCursor gro = cursor(hex.get("linux-gro-hint-ipv6"));
        assertThat(GroHint.innerProtocol(gro)).isEqualTo(0x0800);
        assertThat(GroHint.nestedHeaderLength(gro)).isEqualTo(56);
        assertThatThrownBy(() -> GroHint.innerProtocol(cursor(hex.get("linux-gro-hint-id-3"))))
                .isInstanceOf(GeneveFormatException.class);
        assertThat(Nat64Options.textLength(cursor(hex.get("nat64-bypass")))).isEqualTo(5);
        assertThat(Nat64Options.textLength(cursor(hex.get("nat64-audit-mirror-empty")))).isZero();
        assertThatThrownBy(() -> Nat64Options.textLength(cursor(hex.get("nat64-bypass-four-pad-bytes"))))
                .isInstanceOf(GeneveFormatException.class);
    }

    @Test
    void theNewTypesAreNamedAndTheirCriticalBitsAsPublished() {
        OptionRegistry r = OptionRegistry.defaults();
        assertThat(r.lookup(0x014B, 0x81).critical()).isTrue();
        assertThat(r.lookup(0x0162, 0x81).critical()).isTrue();
        assertThat(r.lookup(0x0162, 0x00).critical()).isFalse();
        assertThat(r.lookup(0x0103, 2).name()).isEqualTo("INT-Destination");
        assertThat(r.lookup(0x0103, 3).name()).isEqualTo("INT-MX");
        assertThat(r.lookup(0x0103, 3).isRaw()).isTrue();
        assertThat(r.lookup(0x0100, 1).name()).isEqualTo("Linux GRO hint");
        assertThat(r.lookup(0x0129, 2).name()).isEqualTo("Oxide TCP MSS");
        assertThat(r.lookup(0x0164, 0).name()).isEqualTo("cPacket metadata");
    }

    @Test
    void valuesRefuseWhatTheirLayoutCannotCarry() {
        assertThatThrownBy(() -> new CiliumDsr(ip("10.0.0.1"), 0x10000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new OxideOptions.Mss(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new OxideOptions.Mss(0x1_0000_0000L)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CpacketMetadata(0, 0, 0, 1L << 48, 0, 0, 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GroHint(0x86DD + 1, false, 0, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GroHint(0x0800, false, 256, 0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Nat64Options.Bypass("x".repeat(125))).isInstanceOf(IllegalArgumentException.class);
        assertThat(new Nat64Options.Bypass("x".repeat(124)).toOption().dataLength()).isEqualTo(124);
        assertThatThrownBy(() -> new IntOptions.IntMetadata(2, false, false, false, 1, 0, 0, 0, 0, 0,
                List.of(new IntOptions.Hop(List.of(1L, 2L))), List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new IntOptions.IntMetadata(16, false, false, false, 1, 0, 0, 0, 0, 0,
                List.of(), List.of())).isInstanceOf(IllegalArgumentException.class);
        // INT-MD flags and words beyond a whole hop round-trip
        IntOptions.IntMetadata flagged = new IntOptions.IntMetadata(2, true, true, true, 2, 0, 0xFFFF, 0xABCD, 1, 2,
                List.of(new IntOptions.Hop(List.of(0xFFFF_FFFFL, 0L))), List.of(7L));
        assertThat(IntOptions.IntMetadata.from(flagged.toOption())).isEqualTo(flagged);
        assertThat(Hex.of(flagged.toOption().data()).substring(0, 8)).isEqualTo("2e000200");
    }

    @Test
    void primitiveReadersAllocateNothing() throws IOException {
        var threads = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(threads instanceof com.sun.management.ThreadMXBean bean
                && bean.isThreadAllocatedMemorySupported(), "per-thread allocation counter unavailable");
        var bean = (com.sun.management.ThreadMXBean) threads;
        Map<String, byte[]> hex = new LinkedHashMap<>();
        for (Vector v : vectors()) {
            hex.put(v.name(), v.option());
        }
        GeneveOptionCursor dsr = cursor(hex.get("cilium-dsr-ipv4"));
        GeneveOptionCursor mcast = cursor(hex.get("oxide-multicast-underlay"));
        GeneveOptionCursor mss = cursor(hex.get("oxide-mss"));
        GeneveOptionCursor cpacket = cursor(hex.get("cpacket-metadata"));
        GeneveOptionCursor md = cursor(hex.get("int-md-three-hops"));
        GeneveOptionCursor gro = cursor(hex.get("linux-gro-hint-ipv4"));
        GeneveOptionCursor nat = cursor(hex.get("nat64-bypass"));
        long sink = 0;
        for (int round = 0; round < 2; round++) {
            long before = bean.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 100_000; i++) {
                sink += CiliumDsr.ipv4(dsr) + CiliumDsr.port(dsr) + OxideOptions.Multicast.replication(mcast).code()
                        + OxideOptions.Mss.read(mss) + CpacketMetadata.sequence(cpacket) + CpacketMetadata.seconds(cpacket)
                        + IntOptions.hopWord(md, 1, 1) + GroHint.innerProtocol(gro) + Nat64Options.textLength(nat);
            }
            long allocated = bean.getCurrentThreadAllocatedBytes() - before;
            if (round == 1) {
                assertThat(allocated).as("bytes allocated over 100,000 rounds of reads").isLessThan(50_000);
            }
        }
        assertThat(sink).isNotZero();
    }
}
