package io.github.geneve4j.linux.xdp;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.endpoint.spi.DatagramBatch;
import io.github.geneve4j.testing.Gen;
import io.github.geneve4j.testing.GwlbWire;
import io.github.geneve4j.testing.Property;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The in-place reply of {@link XdpBatchIo} over byte arrays (no kernel): which frames reach a slot,
 * and what the reply is — compared with the headers the socket path writes
 * ({@link DatagramBatch#writeIpv4Udp}) for the same datagram, and with checksums computed here
 * independently ({@link GwlbWire#sum}).
 */
class XdpBatchIoTest {

    private static final byte[] GWLB_MAC = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
    private static final byte[] OUR_MAC = {0x02, (byte) 0xaa, (byte) 0xbb, (byte) 0xcc, (byte) 0xdd, (byte) 0xee};
    private static final int GWLB = GwlbWire.ip(10, 77, 0, 1);
    private static final int LOCAL = GwlbWire.ip(10, 77, 0, 2);
    private static final int GWLB_PORT = 40001;
    private static final int PORT = 6081;

    /** A GWLB datagram around an inner UDP packet: what GWLB sends to 6081. */
    private static byte[] geneve() {
        return GwlbWire.datagram(0x2b8ee1d4db0c51c4L, 0x11, 0x01020304, GwlbWire.IPV4, true,
                GwlbWire.ipv4(GwlbWire.ip(10, 0, 0, 1), GwlbWire.ip(10, 0, 0, 2), 17, GwlbWire.udp(5353, 53, "query")));
    }

    /**
     * An Ethernet frame of IPv4 (TTL 55, DF, identification 0x4321, {@code options} bytes of IPv4
     * options) and UDP from GWLB to the local address and port, the UDP checksum as a sender with
     * {@code CHECKSUM_PARTIAL} leaves it (the pseudo-header's sum only), {@code padding} bytes after it.
     */
    private static byte[] frame(byte[] payload, int options, int padding) {
        int ihl = 20 + options;
        int udpLength = 8 + payload.length;
        ByteBuffer b = ByteBuffer.allocate(14 + ihl + udpLength + padding);
        b.put(OUR_MAC).put(GWLB_MAC).putShort((short) 0x0800);
        b.put((byte) (0x40 | ihl / 4)).put((byte) 0x20).putShort((short) (ihl + udpLength)).putShort((short) 0x4321)
                .putShort((short) 0x4000).put((byte) 55).put((byte) 17).putShort((short) 0).putInt(GWLB).putInt(LOCAL);
        for (int i = 0; i < options; i++) {
            b.put((byte) 1); // NOP
        }
        long pseudo = (GWLB >>> 16) + (GWLB & 0xFFFF) + (LOCAL >>> 16) + (LOCAL & 0xFFFF) + 17 + udpLength;
        b.putShort((short) GWLB_PORT).putShort((short) PORT).putShort((short) udpLength)
                .putShort((short) GwlbWire.sum(new byte[0], 0, 0, pseudo)).put(payload);
        byte[] f = b.array();
        int h = ~GwlbWire.sum(f, 14, 14 + ihl, 0) & 0xFFFF;
        f[24] = (byte) (h >>> 8);
        f[25] = (byte) h;
        return f;
    }

    private static int u16(byte[] b, int at) {
        return (b[at] & 0xFF) << 8 | (b[at + 1] & 0xFF);
    }

    private static XdpBatchIo.DropReason check(byte[] frame) {
        return XdpBatchIo.check(MemorySegment.ofArray(frame), 0, frame.length, LOCAL, PORT);
    }

    @Test
    void aGwlbFrameBecomesItsReplyInPlaceWithTheSocketPathsUdpHeaderAndPayload() {
        byte[] payload = geneve();
        byte[] frame = frame(payload, 0, 0);
        byte[] received = frame.clone();
        assertThat(check(frame)).isNull();
        int length = XdpBatchIo.reply(MemorySegment.ofArray(frame), 0, false);
        assertThat(length).isEqualTo(frame.length);
        // Ethernet: back to the hop it came from
        assertThat(Arrays.copyOfRange(frame, 0, 6)).isEqualTo(GWLB_MAC);
        assertThat(Arrays.copyOfRange(frame, 6, 12)).isEqualTo(OUR_MAC);
        assertThat(u16(frame, 12)).isEqualTo(0x0800);
        // IPv4: addresses swapped, TTL 64, the rest as received, the header checksum valid
        assertThat(Arrays.copyOfRange(frame, 26, 30)).isEqualTo(Arrays.copyOfRange(received, 30, 34));
        assertThat(Arrays.copyOfRange(frame, 30, 34)).isEqualTo(Arrays.copyOfRange(received, 26, 30));
        assertThat(frame[22]).isEqualTo((byte) 64);
        assertThat(Arrays.copyOfRange(frame, 14, 22)).isEqualTo(Arrays.copyOfRange(received, 14, 22));
        assertThat(frame[23]).isEqualTo((byte) 17);
        assertThat(GwlbWire.sum(frame, 14, 34, 0)).as("IPv4 header checksum").isEqualTo(0xFFFF);
        // UDP and payload: what the socket path writes, but the checksum 0 (nothing changed)
        byte[] socketPath = socketPathUdp(payload);
        assertThat(Arrays.copyOfRange(frame, 34, 40)).isEqualTo(Arrays.copyOfRange(socketPath, 0, 6));
        assertThat(u16(frame, 40)).as("UDP checksum").isZero();
        assertThat(Arrays.copyOfRange(frame, 42, frame.length)).isEqualTo(payload);
    }

    @Test
    void aChangedPayloadGetsTheUdpChecksumTheSocketPathComputes() {
        byte[] payload = geneve();
        byte[] frame = frame(payload, 0, 0);
        frame[frame.length - 1] ^= 0x5a; // the inspector rewrote a byte of the inner packet
        payload[payload.length - 1] ^= 0x5a;
        int length = XdpBatchIo.reply(MemorySegment.ofArray(frame), 0, true);
        assertThat(length).isEqualTo(frame.length);
        byte[] socketPath = socketPathUdp(payload);
        assertThat(Arrays.copyOfRange(frame, 34, frame.length)).isEqualTo(socketPath);
        long pseudo = (LOCAL >>> 16) + (LOCAL & 0xFFFF) + (GWLB >>> 16) + (GWLB & 0xFFFF) + 17 + (8 + payload.length);
        assertThat(GwlbWire.sum(frame, 34, frame.length, pseudo)).as("UDP checksum, computed here").isEqualTo(0xFFFF);
    }

    @Test
    void ipv4OptionsAndEthernetPaddingAreHandled() {
        byte[] payload = geneve();
        byte[] frame = frame(payload, 8, 6);
        assertThat(check(frame)).isNull();
        int length = XdpBatchIo.reply(MemorySegment.ofArray(frame), 0, true);
        assertThat(length).as("padding dropped").isEqualTo(frame.length - 6);
        assertThat(GwlbWire.sum(frame, 14, 42, 0)).as("IPv4 header checksum with options").isEqualTo(0xFFFF);
        assertThat(Arrays.copyOfRange(frame, 42, length)).isEqualTo(socketPathUdp(payload));
    }

    @Test
    void aTtlOf64LeavesTheHeaderChecksumAsItWas() {
        byte[] frame = frame(geneve(), 0, 0);
        frame[22] = 64;
        frame[24] = 0;
        frame[25] = 0;
        int h = ~GwlbWire.sum(frame, 14, 34, 0) & 0xFFFF;
        frame[24] = (byte) (h >>> 8);
        frame[25] = (byte) h;
        XdpBatchIo.reply(MemorySegment.ofArray(frame), 0, false);
        assertThat(u16(frame, 24)).isEqualTo(h);
    }

    /** The UDP header and payload of the socket path's reply to {@code payload} from GWLB ({@link DatagramBatch#writeIpv4Udp}). */
    private static byte[] socketPathUdp(byte[] payload) {
        byte[] buffer = new byte[28 + payload.length];
        System.arraycopy(payload, 0, buffer, 28, payload.length);
        DatagramBatch.writeIpv4Udp(MemorySegment.ofArray(buffer), 28, payload.length, LOCAL, GWLB_PORT, GWLB, PORT);
        return Arrays.copyOfRange(buffer, 20, buffer.length);
    }

    @Test
    void framesThatAreNotWholeIpv4UdpToTheLocalPortAreDroppedByReason() {
        byte[] good = frame(geneve(), 0, 0);
        assertThat(check(Arrays.copyOf(good, 41))).isEqualTo(XdpBatchIo.DropReason.NOT_IPV4_UDP);
        assertThat(check(with(good, 12, 0x86))).as("IPv6 ethertype").isEqualTo(XdpBatchIo.DropReason.NOT_IPV4_UDP);
        assertThat(check(with(good, 14, 0x65))).as("version 6").isEqualTo(XdpBatchIo.DropReason.NOT_IPV4_UDP);
        assertThat(check(with(good, 14, 0x44))).as("IHL 4").isEqualTo(XdpBatchIo.DropReason.NOT_IPV4_UDP);
        assertThat(check(with(good, 23, 6))).as("TCP").isEqualTo(XdpBatchIo.DropReason.NOT_IPV4_UDP);
        assertThat(check(Arrays.copyOf(good, good.length - 1))).as("shorter than its total length")
                .isEqualTo(XdpBatchIo.DropReason.MALFORMED);
        assertThat(check(with(good, 39, good[39] + 1))).as("UDP length one more").isEqualTo(XdpBatchIo.DropReason.MALFORMED);
        assertThat(check(with(good, 39, good[39] - 1))).as("UDP length one less").isEqualTo(XdpBatchIo.DropReason.MALFORMED);
        assertThat(check(with(good, 14, 0x4f))).as("IHL 15, past the UDP header").isEqualTo(XdpBatchIo.DropReason.MALFORMED);
        assertThat(check(with(good, 24, good[24] + 1))).as("header checksum one off")
                .isEqualTo(XdpBatchIo.DropReason.BAD_HEADER_CHECKSUM);
        assertThat(check(ipv4Checksum(with(good, 20, 0x60)))).as("DF and more fragments").isEqualTo(XdpBatchIo.DropReason.FRAGMENT);
        assertThat(check(ipv4Checksum(with(good, 21, 1)))).as("fragment offset 8").isEqualTo(XdpBatchIo.DropReason.FRAGMENT);
        assertThat(check(ipv4Checksum(with(good, 33, 3)))).as("another address").isEqualTo(XdpBatchIo.DropReason.NOT_LOCAL);
        assertThat(check(with(good, 37, 0xc2))).as("port 6082").isEqualTo(XdpBatchIo.DropReason.NOT_LOCAL);
        assertThat(check(good)).isNull();
    }

    /** {@code frame} with its IPv4 header checksum set right (no options). */
    private static byte[] ipv4Checksum(byte[] frame) {
        frame[24] = 0;
        frame[25] = 0;
        int h = ~GwlbWire.sum(frame, 14, 34, 0) & 0xFFFF;
        frame[24] = (byte) (h >>> 8);
        frame[25] = (byte) h;
        return frame;
    }

    private static byte[] with(byte[] frame, int at, int value) {
        byte[] copy = frame.clone();
        copy[at] = (byte) value;
        return copy;
    }

    @Test
    void anyBytesAreCheckedWithoutAnExceptionAndWhatPassesGetsAValidReply() {
        byte[] template = frame(geneve(), 0, 0);
        // a valid frame with a few bytes of its headers replaced, and cut or padded: most fail one check, some pass
        Gen<byte[]> frames = s -> {
            byte[] f = Arrays.copyOf(template, s.between(0, template.length + 16));
            for (int i = f.length == 0 ? 0 : s.between(0, 4); i > 0; i--) {
                f[s.between(0, Math.min(f.length, 44) - 1)] = (byte) s.between(0, 255);
            }
            return f;
        };
        Property.forAll("check never throws; a passing frame's reply has valid checksums", frames, f -> {
            if (f.length == 0) {
                return;
            }
            XdpBatchIo.DropReason reason = check(f);
            if (reason == null) {
                int length = XdpBatchIo.reply(MemorySegment.ofArray(f), 0, true);
                assertThat(length).isBetween(42, f.length);
                int ihl = (f[14] & 0x0F) * 4;
                assertThat(GwlbWire.sum(f, 14, 14 + ihl, 0)).isEqualTo(0xFFFF);
                assertThat(GwlbWire.ipv4ChecksumsValid(Arrays.copyOf(f, length), 14)).isTrue();
            }
        });
    }
}
