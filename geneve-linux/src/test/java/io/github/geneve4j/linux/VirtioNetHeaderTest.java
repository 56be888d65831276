package io.github.geneve4j.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.endpoint.spi.FrameOffload;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.HexFormat;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The virtio-net header to and from {@link FrameOffload}, byte for byte: the layout is
 * {@code struct virtio_net_hdr} of Linux {@code include/uapi/linux/virtio_net.h}, little-endian on
 * the machines we run on (x86-64, aarch64).
 */
class VirtioNetHeaderTest {

    static final HexFormat HEX = HexFormat.ofDelimiter(" ");
    MemorySegment s;

    @BeforeEach
    void littleEndianHost() {
        Assumptions.assumeTrue(ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN, "a big-endian host");
        s = Arena.ofAuto().allocate(16);
    }

    void put(String hex) {
        byte[] b = HEX.parseHex(hex);
        s.fill((byte) 0xEE);
        MemorySegment.copy(b, 0, s, ValueLayout.JAVA_BYTE, 3, b.length);
    }

    String at3() {
        return HEX.formatHex(s.asSlice(3, 10).toArray(ValueLayout.JAVA_BYTE));
    }

    @Test
    void readsATcpSuperFrameWithEcnAndAPartialChecksum() {
        // NEEDS_CSUM | DATA_VALID, TCPV4 | ECN, hdr_len 66, gso_size 1448, csum_start 34, csum_offset 16
        put("03 81 42 00 a8 05 22 00 10 00");
        FrameOffload o = VirtioNetHeader.read(s, 3, new FrameOffload());
        assertThat(o.gso()).isEqualTo(FrameOffload.Gso.TCPV4);
        assertThat(o.ecn()).isTrue();
        assertThat(o.headerLength()).isEqualTo(66);
        assertThat(o.gsoSize()).isEqualTo(1448);
        assertThat(o.needsChecksum()).isTrue();
        assertThat(o.checksumStart()).isEqualTo(34);
        assertThat(o.checksumOffset()).isEqualTo(16);
        assertThat(o.checksumValid()).isTrue();
    }

    @Test
    void readsAPlainFrameAsClearedMetadata() {
        put("00 00 00 00 00 00 00 00 00 00");
        FrameOffload o = new FrameOffload().segmentation(FrameOffload.Gso.TCPV6, true, 1000, 74).partialChecksum(54, 16);
        VirtioNetHeader.read(s, 3, o);
        assertThat(o.gso()).isEqualTo(FrameOffload.Gso.NONE);
        assertThat(o.ecn()).isFalse();
        assertThat(o.gsoSize()).isZero();
        assertThat(o.needsChecksum()).isFalse();
        assertThat(o.checksumValid()).isFalse();
    }

    @Test
    void readsTcpv6AndNamesOtherKindsOther() {
        put("00 04 4a 00 a0 05 00 00 00 00");
        assertThat(VirtioNetHeader.read(s, 3, new FrameOffload()).gso()).isEqualTo(FrameOffload.Gso.TCPV6);
        put("00 03 00 00 a0 05 00 00 00 00"); // GSO_UDP (UFO)
        assertThat(VirtioNetHeader.read(s, 3, new FrameOffload()).gso()).isEqualTo(FrameOffload.Gso.OTHER);
        put("00 05 00 00 a0 05 00 00 00 00"); // GSO_UDP_L4 (USO)
        FrameOffload o = VirtioNetHeader.read(s, 3, new FrameOffload());
        assertThat(o.gso()).isEqualTo(FrameOffload.Gso.OTHER);
        assertThat(o.gsoSize()).isEqualTo(1440);
    }

    @Test
    void writesACoalescedFrameByteForByte() {
        s.fill((byte) 0xEE);
        VirtioNetHeader.write(s, 3, new FrameOffload().segmentation(FrameOffload.Gso.TCPV6, true, 1428, 86)
                .partialChecksum(54, 16));
        assertThat(at3()).isEqualTo("01 84 56 00 94 05 36 00 10 00");
        assertThat(s.get(ValueLayout.JAVA_BYTE, 2)).as("nothing before the header").isEqualTo((byte) 0xEE);
        assertThat(s.get(ValueLayout.JAVA_BYTE, 13)).as("nothing after it").isEqualTo((byte) 0xEE);
        FrameOffload back = VirtioNetHeader.read(s, 3, new FrameOffload());
        assertThat(back.toString()).isEqualTo(new FrameOffload().segmentation(FrameOffload.Gso.TCPV6, true, 1428, 86)
                .partialChecksum(54, 16).toString());
    }

    @Test
    void writesAPlainFrameAsZerosOverWhateverWasThere() {
        s.fill((byte) 0xEE);
        VirtioNetHeader.write(s, 3, new FrameOffload());
        assertThat(at3()).isEqualTo("00 00 00 00 00 00 00 00 00 00");
        VirtioNetHeader.write(s, 3, new FrameOffload().checksumValid(true));
        assertThat(at3()).isEqualTo("02 00 00 00 00 00 00 00 00 00");
    }

    @Test
    void refusesToWriteAKindVirtioNetHasNoNumberFor() {
        assertThatThrownBy(() -> VirtioNetHeader.write(s, 3,
                new FrameOffload().segmentation(FrameOffload.Gso.OTHER, false, 1000, 0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("found gso OTHER (expected: NONE, TCPV4 or TCPV6 on a frame written to a TAP)");
    }
}
