package io.github.geneve4j.codec.net;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.codec.internal.Internals;
import io.github.geneve4j.testing.Gen;
import io.github.geneve4j.testing.Property;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class InternetChecksumTest {

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    /** Byte-pair reference, written the way RFC 1071 §4.1 does it. */
    static int reference(byte[] data, int offset, int length) {
        long sum = 0;
        int i = 0;
        for (; i + 1 < length; i += 2) {
            sum += ((data[offset + i] & 0xFF) << 8) | (data[offset + i + 1] & 0xFF);
        }
        if (i < length) {
            sum += (data[offset + i] & 0xFF) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) (~sum & 0xFFFF);
    }

    @Test
    void rfc1071Section3Example() {
        // RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (one's complement), checksum 220d
        byte[] data = hex("0001f203f4f5f6f7");
        MemorySegment s = MemorySegment.ofArray(data);
        assertThat(InternetChecksum.fold(InternetChecksum.sum(s, 0, 8))).isEqualTo(0xddf2);
        assertThat(InternetChecksum.checksum(s, 0, 8)).isEqualTo(0x220d);
    }

    @Test
    void rfc1071ExampleSummedInPartsGivesTheSameSum() {
        // RFC 1071 §2(C): parallel summation; the sum of parts equals the whole
        MemorySegment s = MemorySegment.ofArray(hex("0001f203f4f5f6f7"));
        long parts = InternetChecksum.sum(s, 0, 2) + InternetChecksum.sum(s, 2, 6);
        assertThat(InternetChecksum.fold(parts)).isEqualTo(0xddf2);
    }

    @Test
    void realIpv4HeaderVerifies() {
        // A captured IPv4 header (UDP, 192.168.0.1 -> 192.168.0.199), checksum b861
        byte[] header = hex("4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7");
        MemorySegment s = MemorySegment.ofArray(header);
        assertThat(InternetChecksum.fold(InternetChecksum.sum(s, 0, 20))).isEqualTo(0xFFFF);
        header[10] = 0;
        header[11] = 0;
        assertThat(InternetChecksum.checksum(s, 0, 20)).isEqualTo(0xb861);
    }

    @Test
    void realTcpSegmentVerifiesWithPseudoHeader() {
        // IPv4 TCP SYN 10.0.0.1:40000 -> 10.0.0.2:80 with MSS/SACK/timestamp/window-scale options;
        // checksums 0a74 and 9c7a computed by an independent script and reported good by tshark 4.0
        byte[] ip = hex("4500003c1c4640004006 0a74 0a000001 0a000002"
                + "9c400050 00000001 00000000 a002faf0 9c7a 0000"
                + "020405b40402080a000000010000000001030307");
        MemorySegment s = MemorySegment.ofArray(ip);
        Ipv4View v = new Ipv4View().wrap(s, 0);
        assertThat(v.checksumValid()).isTrue();
        TcpView tcp = new TcpView().wrap(s, v.payloadOffset(), v.payloadLength());
        assertThat(tcp.checksumValid(v.pseudoHeaderSum(6, v.payloadLength()))).isTrue();
    }

    @Test
    void allZeroDataHasChecksumFfff() {
        assertThat(InternetChecksum.checksum(MemorySegment.ofArray(new byte[64]), 0, 64)).isEqualTo(0xFFFF);
        assertThat(InternetChecksum.checksum(MemorySegment.ofArray(new byte[0]), 0, 0)).isEqualTo(0xFFFF);
    }

    @Test
    void foldHandlesLargeSums() {
        assertThat(InternetChecksum.fold(-1L)).isEqualTo(0xFFFF);
        assertThat(InternetChecksum.fold(0x1_0000L)).isEqualTo(1);
        assertThat(InternetChecksum.fold(0)).isZero();
    }

    record Region(byte[] data, int offset, int length, int kind) {
        @Override
        public String toString() {
            return "Region[size=" + data.length + ", offset=" + offset + ", length=" + length + ", kind=" + kind
                    + ", data=" + HexFormat.of().formatHex(data) + "]";
        }
    }

    private static Gen<Region> regions(int maxLength) {
        return s -> {
            int length = s.between(0, maxLength);
            int offset = s.between(0, 9);
            int tail = s.between(0, 9);
            byte[] data = new byte[offset + length + tail];
            // bias towards 0xFF runs: they exercise carries hardest
            boolean ones = s.bool();
            for (int i = 0; i < data.length; i++) {
                data[i] = ones && s.bool() ? (byte) 0xFF : (byte) s.choice(256);
            }
            return new Region(data, offset, length, s.choice(4));
        };
    }

    private static int checksumOver(Region r) {
        return switch (r.kind()) {
            case 0 -> InternetChecksum.checksum(MemorySegment.ofArray(r.data()), r.offset(), r.length());
            case 1 -> {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment n = arena.allocate(r.data().length + 1, 1).asSlice(1); // unaligned native
                    n.copyFrom(MemorySegment.ofArray(r.data()));
                    yield InternetChecksum.checksum(n, r.offset(), r.length());
                }
            }
            case 2 -> InternetChecksum.checksum(ByteBuffer.wrap(r.data()).position(3 % (r.data().length + 1)),
                    r.offset(), r.length());
            default -> {
                ByteBuffer direct = ByteBuffer.allocateDirect(r.data().length);
                direct.put(r.data()).flip();
                yield InternetChecksum.checksum(direct, r.offset(), r.length());
            }
        };
    }

    @Test
    void agreesWithByteAtATimeReference() {
        Property.forAll("checksum equals byte-pair reference", 2_000, regions(300),
                r -> assertThat(checksumOver(r)).isEqualTo(reference(r.data(), r.offset(), r.length())));
    }

    @Test
    void agreesWithReferenceOnLargeRegions() {
        Property.forAll("checksum equals reference, large", 100, regions(70_000),
                r -> assertThat(checksumOver(r)).isEqualTo(reference(r.data(), r.offset(), r.length())));
    }

    @Test
    void incrementalUpdateEqualsRecomputation() {
        Gen<int[]> cases = s -> new int[] {s.between(0, 15), s.choice(1 << 16), s.choice(1 << 16)};
        Property.forAll("RFC 1624 update equals recompute", Gen.bytes(32, 32).flatMap(d -> s -> {
            int[] c = cases.generate(s);
            return new Object[] {d, c};
        }), pair -> {
            byte[] data = ((byte[]) ((Object[]) pair)[0]).clone();
            int[] c = (int[]) ((Object[]) pair)[1];
            data[31] = 1; // never all zero: then recomputation gives 0xFFFF, RFC 1624 gives 0
            MemorySegment s = MemorySegment.ofArray(data);
            int before = InternetChecksum.checksum(s, 0, 32);
            int word = c[0] * 2;
            int old = ((data[word] & 0xFF) << 8) | (data[word + 1] & 0xFF);
            data[word] = (byte) (c[1] >>> 8);
            data[word + 1] = (byte) c[1];
            int neu = c[1];
            assertThat(InternetChecksum.update(before, old, neu)).isEqualTo(InternetChecksum.checksum(s, 0, 32));
        });
    }

    @Test
    void incremental32BitUpdateEqualsRecomputation() {
        Property.forAll("RFC 1624 32-bit update", Gen.bytes(24, 24), d -> {
            byte[] data = d.clone();
            data[0] = 1;
            MemorySegment s = MemorySegment.ofArray(data);
            int before = InternetChecksum.checksum(s, 0, 24);
            long old = io.github.geneve4j.codec.internal.Wire.u32(s, 8);
            long neu = io.github.geneve4j.codec.internal.Wire.u32(s, 16);
            io.github.geneve4j.codec.internal.Wire.putU32(s, 8, neu);
            assertThat(InternetChecksum.update32(before, old, neu)).isEqualTo(InternetChecksum.checksum(s, 0, 24));
        });
    }

    @Test
    void ipv6PseudoHeaderMatchesByteLayout() {
        byte[] addrs = new byte[32];
        for (int i = 0; i < 32; i++) {
            addrs[i] = (byte) (i * 37 + 11);
        }
        // RFC 8200 §8.1 layout: src(16) dst(16) length(4) zero(3) next header(1)
        byte[] pseudo = new byte[40];
        System.arraycopy(addrs, 0, pseudo, 0, 32);
        pseudo[34] = 0x12;
        pseudo[35] = 0x34;
        pseudo[39] = 6;
        assertThat(InternetChecksum.finish(InternetChecksum.pseudoHeaderIpv6(MemorySegment.ofArray(addrs), 0, 6, 0x1234)))
                .isEqualTo(reference(pseudo, 0, 40));
    }

    @Test
    void partialSumsOfAnyLengthsAddUpAndTakeOutWordsByNegation() {
        // the loop sums in the machine's byte order and folds before swapping back: parts summed
        // separately, long and short, must still add up, and adding ~w must take a word w out
        byte[] data = new byte[9_001];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 131 + (i >>> 7));
        }
        MemorySegment s = MemorySegment.ofArray(data);
        for (int cut : new int[] {0, 2, 8, 10, 1448, 4096, 8998, 9000}) {
            long parts = InternetChecksum.sum(s, 0, cut) + InternetChecksum.sum(s, cut, data.length - cut);
            assertThat(InternetChecksum.finish(parts)).as("cut at %d", cut).isEqualTo(reference(data, 0, data.length));
        }
        int word = ((data[100] & 0xFF) << 8) | (data[101] & 0xFF);
        long without = InternetChecksum.sum(s, 0, 4096) + Internals.negate(word);
        data[100] = 0;
        data[101] = 0;
        assertThat(InternetChecksum.finish(without)).isEqualTo(reference(data, 0, 4096));
        // all ones: a non-zero sum congruent to 0, which folds to 0xFFFF, never to 0
        byte[] ones = new byte[64];
        java.util.Arrays.fill(ones, (byte) 0xFF);
        assertThat(InternetChecksum.fold(InternetChecksum.sum(MemorySegment.ofArray(ones), 0, 64))).isEqualTo(0xFFFF);
        assertThat(InternetChecksum.sum(MemorySegment.ofArray(new byte[64]), 0, 64)).isZero();
    }
}
