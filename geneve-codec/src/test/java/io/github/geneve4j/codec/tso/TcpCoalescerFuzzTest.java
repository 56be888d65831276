package io.github.geneve4j.codec.tso;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.codec.internal.Wire;
import io.github.geneve4j.codec.net.EtherType;
import io.github.geneve4j.codec.net.EthernetView;
import io.github.geneve4j.codec.net.Ipv4View;
import io.github.geneve4j.codec.net.Ipv6View;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.TcpView;
import io.github.geneve4j.codec.tunnel.GeneveFrameView;
import io.github.geneve4j.codec.tunnel.GeneveTunnel;
import io.github.geneve4j.testing.PcapTestWriter;
import io.github.geneve4j.testing.TestFrames;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Fuzzing {@link TcpCoalescer} with frame sequences. The contract, checked on every input:
 *
 * <ul>
 *   <li>{@code add} returns or throws {@link GeneveFormatException}, nothing else; {@code finish}
 *       throws {@link IllegalArgumentException} exactly when the target is smaller than the frame held;
 *   <li>an {@code add} that returns false or throws changes nothing: a twin coalescer fed only the
 *       accepted frames accepts each of them and finishes to the same bytes;
 *   <li>the merged frame is the first accepted frame's inner headers (lengths, IPv4 header checksum,
 *       FIN/PSH of the last and TCP checksum rewritten) followed by the accepted frames' payloads in
 *       order; its IPv4 header checksum and its TCP checksum verify; every accepted frame continued
 *       the sequence space and followed no FIN or PSH (the GRO rules);
 *   <li>a refused frame is accepted by an emptied coalescer unless it exceeds the capacity;
 *   <li>{@link TcpSegmenter}'s output added in order, untouched, gives back the segmented frame.
 * </ul>
 *
 * <p>The input is read front to back by {@link Input}. Its first byte picks the mode: even, the
 * frames are the input's own bytes (records of a control byte, a 16-bit length and the frame; the
 * seeds are real segmenter output); odd, the input chooses a frame (IPv4 or IPv6 inside and out,
 * VLAN, TCP and Geneve options, flags, sequence number, payload size), an MSS and an MTU, segments it
 * and then drops, reorders, duplicates, corrupts, rewrites (flags, sequence, IPv4 ID, with checksums
 * fixed) or interleaves with a second flow's segments as the following bytes say. Regression inputs in
 * {@code TcpCoalescerFuzzTestInputs/}.
 */
class TcpCoalescerFuzzTest {

    private static final int MAX_FRAMES = 64;
    private static final int MAX_OPS = 256;

    @FuzzTest(maxDuration = "10m")
    void coalescingKeepsItsContract(byte[] bytes) throws Exception {
        Input in = new Input(bytes);
        if ((in.u8() & 1) == 0) {
            fromFrames(in);
        } else {
            fromSegmenter(in);
        }
    }

    /** Mode 0: frames straight from the input. */
    private static void fromFrames(Input in) {
        Harness h = new Harness(in.between(0, 200_000));
        byte[] previous = null;
        for (int ops = 0; !in.exhausted() && ops < MAX_OPS; ops++) {
            switch (in.u8() & 3) {
                case 0, 1 -> {
                    byte[] frame = in.bytes(in.u16());
                    h.offer(frame, frame.length);
                    previous = frame;
                }
                case 2 -> {
                    if (previous != null) {
                        h.offer(previous, previous.length);
                    }
                }
                default -> h.flush(in.bool());
            }
        }
        h.flush(false);
    }

    /** Mode 1: the segmenter's output, then manipulated. */
    private static void fromSegmenter(Input in) throws Exception {
        Flow flow = Flow.choose(in);
        // a second flow differing in one respect the coalescer must notice
        Flow other = flow.variant(in.between(0, 4));
        List<byte[]> frames = flow.segments();
        List<byte[]> others = other.segments();
        int capacity = in.bool() ? 300_000 : in.between(0, flow.inner.length + 100);
        Harness h = new Harness(capacity);

        boolean pristine = true;
        int next = 0;
        int nextOther = 0;
        for (int ops = 0; !in.exhausted() && ops < MAX_OPS && next < frames.size(); ops++) {
            int op = in.u8() % 12;
            pristine &= op <= 1;
            switch (op) {
                case 0, 1 -> h.offer(frames.get(next++));
                case 2 -> next++;                                          // dropped on the way
                case 3 -> {                                                // reordered
                    if (next + 1 < frames.size()) {
                        h.offer(frames.get(next + 1));
                        h.offer(frames.get(next));
                        next += 2;
                    }
                }
                case 4 -> h.offer(frames.get(Math.max(0, next - 1)));       // duplicated
                case 5 -> {                                                // a corrupted byte
                    byte[] f = frames.get(next++).clone();
                    f[in.between(0, f.length - 1)] ^= (byte) Math.max(1, in.u8());
                    h.offer(f);
                }
                case 6 -> {                                                // cut short
                    byte[] f = frames.get(next++);
                    h.offer(f, in.between(0, f.length));
                }
                case 7 -> h.offer(rewrite(frames.get(next++), in));        // valid, but breaking a rule
                case 8 -> {                                                // another flow in between
                    if (nextOther < others.size()) {
                        h.offer(others.get(nextOther++));
                    }
                }
                case 9 -> h.flush(in.bool());
                case 10 -> {                                               // a frame's length padded
                    byte[] f = frames.get(next++);
                    h.offer(Arrays.copyOf(f, f.length + in.between(1, 8)));
                }
                default -> h.offer(in.bytes(in.between(0, 200)));          // garbage
            }
        }
        while (next < frames.size()) {
            h.offer(frames.get(next++));
        }
        if (pristine && h.accepted == frames.size() && h.flushes == 0) {
            // untouched, in order and all held at once: the inverse of segmentation
            assertThat(h.finishToBytes()).as("coalesce(segment(frame)) == frame").isEqualTo(flow.inner);
        } else if (pristine && capacity >= flow.inner.length && (flow.flags & CLOSING_FIRST) == 0) {
            throw new AssertionError("in-order segments of one flow were not all merged: " + h.accepted
                    + " of " + frames.size() + " accepted, " + h.flushes + " flushes");
        }
        h.flush(false);
    }

    /** Flags on a first segment after which Linux's GRO merges nothing more. */
    private static final int CLOSING_FIRST = TcpView.SYN | TcpView.RST | TcpView.URG;

    /** One inner field changed, checksums made good again: still a valid frame, maybe not mergeable. */
    private static byte[] rewrite(byte[] frame, Input in) {
        byte[] f = frame.clone();
        Parsed p = Parsed.of(f, f.length);
        MemorySegment s = MemorySegment.ofArray(f);
        switch (in.u8() % 5) {
            case 0 -> Wire.putU8(s, p.tcp + 13, in.u8());                         // flags
            case 1 -> Wire.putU32(s, p.tcp + 4, Wire.u32(s, p.tcp + 4) + in.between(-3, 3)); // sequence
            case 2 -> Wire.putU16(s, p.tcp + 14, in.u16());                       // window
            case 3 -> Wire.putU32(s, p.tcp + 8, in.u16());                        // acknowledgment
            default -> {
                if (p.v4) {
                    Wire.putU16(s, p.ip + 4, in.u16());                           // IPv4 ID
                    new Ipv4View().wrap(s, p.ip, p.tcp - p.ip + p.tcpLength).updateChecksum();
                } else {
                    Wire.putU8(s, p.ip + 7, in.u8());                             // hop limit
                }
            }
        }
        TcpView tcp = new TcpView().wrap(s, p.tcp, p.tcpLength);
        tcp.updateChecksum(p.pseudo(s));
        // the outer UDP checksum is left stale: TcpCoalescer verifies only the inner TCP checksum
        return f;
    }

    /** The coalescer under test, its twin, and the model of what it holds. */
    private static final class Harness {
        final int capacity;
        final TcpCoalescer gro;
        final TcpCoalescer twin;
        final List<Parsed> held = new ArrayList<>();
        int accepted;
        int flushes;

        Harness(int capacity) {
            this.capacity = capacity;
            this.gro = new TcpCoalescer(capacity);
            this.twin = new TcpCoalescer(capacity);
        }

        void offer(byte[] frame) {
            offer(frame, frame.length);
        }

        void offer(byte[] frame, int length) {
            int before = gro.frameCount();
            MemorySegment s = MemorySegment.ofArray(frame);
            boolean merged;
            try {
                merged = gro.add(s, 0, length);
            } catch (GeneveFormatException refused) {
                assertThat(gro.frameCount()).as("a refused frame changes nothing").isEqualTo(before);
                return;
            }
            Parsed p = Parsed.of(frame, length);
            if (!merged) {
                assertThat(gro.frameCount()).as("an add that returns false changes nothing").isEqualTo(before);
                if (before == 0) {
                    assertThat(p.headers + p.payloadLength).as("an empty coalescer refuses only what exceeds"
                            + " its capacity").isGreaterThan(capacity);
                    return;
                }
                flush(false);
                merged = gro.add(s, 0, length);
                assertThat(merged).as("a valid frame on an emptied coalescer (%d bytes, capacity %d)",
                        p.headers + p.payloadLength, capacity).isEqualTo(p.headers + p.payloadLength <= capacity);
                if (!merged) {
                    return;
                }
            }
            accept(p);
            assertThat(twin.add(MemorySegment.ofArray(frame), 0, length)).as("the twin takes what was accepted").isTrue();
            assertThat(gro.frameCount()).isEqualTo(held.size());
        }

        private void accept(Parsed p) {
            if (!held.isEmpty()) {
                Parsed first = held.getFirst();
                Parsed last = held.getLast();
                // what Linux's udp_gro_receive / tcp_gro_receive require before merging
                assertThat(last.flags & (TcpView.FIN | TcpView.PSH)).as("nothing merged after FIN or PSH").isZero();
                assertThat(first.flags & (TcpView.SYN | TcpView.RST | TcpView.URG)).isZero();
                assertThat(p.sequence).as("sequence follows on").isEqualTo(last.sequence + last.payloadLength & 0xFFFF_FFFFL);
                assertThat(p.flags & TcpView.CWR).as("no CWR after the first").isZero();
                assertThat(p.flags & ~(TcpView.FIN | TcpView.PSH)).isEqualTo(first.flags & ~(TcpView.FIN | TcpView.PSH | TcpView.CWR));
                assertThat(p.geneve).as("Geneve header and options equal").isEqualTo(first.geneve);
                assertThat(p.ports).isEqualTo(first.ports);
                assertThat(last.payloadLength).as("only the last may be shorter").isGreaterThanOrEqualTo(first.payloadLength);
                // tcp_gro_receive flushes on a segment without payload or longer than the first
                assertThat(first.payloadLength).as("nothing merged with a segment without payload").isPositive();
                assertThat(p.payloadLength).as("no merge of a segment without payload or longer than the first")
                        .isPositive().isLessThanOrEqualTo(first.payloadLength);
                assertThat(p.headers).isEqualTo(first.headers);
                byte[] a = first.comparableHeaders();
                byte[] b = p.comparableHeaders();
                assertThat(b).as("inner headers equal but for lengths, IDs, sequence, flags, checksums").isEqualTo(a);
                if (p.v4) {
                    assertThat(p.ipId).as("IPv4 ID increments").isEqualTo(first.ipId + held.size() & 0xFFFF);
                }
            }
            held.add(p);
            accepted++;
        }

        /** Finishes both coalescers and checks the merged frame against the model. */
        void flush(boolean tryTooSmall) {
            if (held.isEmpty()) {
                assertThat(gro.finish(MemorySegment.ofArray(new byte[0]), 0)).isZero();
                assertThat(twin.finish(MemorySegment.ofArray(new byte[0]), 0)).isZero();
                return;
            }
            Parsed first = held.getFirst();
            ByteArrayOutputStream payload = new ByteArrayOutputStream();
            for (Parsed p : held) {
                payload.write(p.frame, p.headersAt + p.headers, (int) p.payloadLength);
            }
            int length = first.headers + payload.size();
            if (tryTooSmall) {
                assertThatThrownBy(() -> gro.finish(MemorySegment.ofArray(new byte[length - 1]), 0))
                        .isInstanceOf(IllegalArgumentException.class);
                assertThat(gro.frameCount()).isEqualTo(held.size());
            }
            byte[] out = new byte[length + 3];
            byte[] twinOut = new byte[length + 3];
            assertThat(gro.finish(MemorySegment.ofArray(out), 3)).isEqualTo(length);
            assertThat(twin.finish(MemorySegment.ofArray(twinOut), 3)).isEqualTo(length);
            assertThat(out).as("rejected adds changed nothing: the twin agrees").isEqualTo(twinOut);
            assertThat(gro.frameCount()).isZero();
            verify(Arrays.copyOfRange(out, 3, out.length), payload.toByteArray());
            held.clear();
            flushes++;
        }

        byte[] finishToBytes() {
            Parsed first = held.getFirst();
            long length = first.headers + held.stream().mapToLong(p -> p.payloadLength).sum();
            byte[] out = new byte[(int) length];
            byte[] twinOut = new byte[(int) length];
            assertThat(gro.finish(MemorySegment.ofArray(out), 0)).isEqualTo(length);
            assertThat(twin.finish(MemorySegment.ofArray(twinOut), 0)).isEqualTo(length);
            assertThat(out).isEqualTo(twinOut);
            held.clear();
            return out;
        }

        private void verify(byte[] merged, byte[] payload) {
            Parsed first = held.getFirst();
            Parsed last = held.getLast();
            MemorySegment s = MemorySegment.ofArray(merged);
            EthernetView eth = new EthernetView().wrap(s, 0);
            long tcpAt;
            long tcpLength;
            long pseudo;
            if (first.v4) {
                Ipv4View ip = new Ipv4View().wrap(s, eth.payloadOffset(), eth.payloadLength());
                assertThat(ip.checksumValid()).as("merged IPv4 header checksum").isTrue();
                assertThat(ip.identification()).as("the first segment's IPv4 ID").isEqualTo(first.ipId);
                long ipLength = merged.length - eth.headerLength();
                assertThat(ip.totalLength()).as("Total Length, 0 beyond 65535 (BIG TCP)")
                        .isEqualTo(ipLength > 0xFFFF ? 0 : ipLength);
                tcpAt = ip.payloadOffset();
                tcpLength = ip.payloadLength();
                pseudo = ip.pseudoHeaderSum(EtherType.PROTOCOL_TCP, tcpLength);
            } else {
                Ipv6View ip = new Ipv6View().wrap(s, eth.payloadOffset(), eth.payloadLength());
                long payloadLength = merged.length - eth.headerLength() - Ipv6View.HEADER_LENGTH;
                assertThat(ip.payloadLengthField()).as("Payload Length, 0 beyond 65535 (BIG TCP)")
                        .isEqualTo(payloadLength > 0xFFFF ? 0 : payloadLength);
                tcpAt = ip.upperLayerOffset();
                tcpLength = ip.upperLayerLength();
                pseudo = ip.pseudoHeaderSum(EtherType.PROTOCOL_TCP, tcpLength);
            }
            TcpView tcp = new TcpView().wrap(s, tcpAt, tcpLength);
            assertThat(tcp.checksumValid(pseudo)).as("merged TCP checksum verifies").isTrue();
            assertThat(tcp.sequence()).isEqualTo(first.sequence);
            assertThat(tcp.flags()).as("first segment's flags with FIN/PSH of the last")
                    .isEqualTo(first.flags | (last.flags & (TcpView.FIN | TcpView.PSH)));
            assertThat(Arrays.copyOfRange(merged, (int) tcp.payloadOffset(), merged.length))
                    .as("payload is the accepted payloads in order").isEqualTo(payload);
            byte[] mergedHeaders = Parsed.comparable(merged, 0, first);
            assertThat(mergedHeaders).as("the first frame's inner headers").isEqualTo(first.comparableHeaders());
        }
    }

    /** A frame the coalescer accepted, parsed by the views (tested on their own in ViewsTest). */
    private record Parsed(byte[] frame, int headersAt, boolean v4, int l3, int ip, int tcp, int tcpLength,
            int headers, long payloadLength, long sequence, int flags, int ipId, int ports, byte[] geneve) {

        static Parsed of(byte[] frame, int length) {
            MemorySegment s = MemorySegment.ofArray(frame);
            GeneveFrameView view = new GeneveFrameView().wrap(s, 0, length);
            byte[] geneve = PcapTestWriter.bytes(s, view.geneve().offset(), view.geneve().headerLength());
            int inner = (int) view.innerOffset();
            EthernetView eth = new EthernetView().wrap(s, inner, view.innerLength());
            boolean v4 = eth.etherType() == EtherType.IPV4;
            long tcpAt;
            long tcpLength;
            int id = -1;
            if (v4) {
                Ipv4View ip = new Ipv4View().wrap(s, eth.payloadOffset(), eth.payloadLength());
                tcpAt = ip.payloadOffset();
                tcpLength = ip.payloadLength();
                id = ip.identification();
            } else {
                Ipv6View ip = new Ipv6View().wrap(s, eth.payloadOffset(), eth.payloadLength());
                tcpAt = ip.upperLayerOffset();
                tcpLength = ip.upperLayerLength();
            }
            TcpView tcp = new TcpView().wrap(s, tcpAt, tcpLength);
            int ports = (view.udp().sourcePort() << 16) | view.udp().destinationPort();
            return new Parsed(frame, inner, v4, eth.headerLength(), (int) eth.payloadOffset(), (int) tcpAt,
                    (int) tcpLength, (int) (tcp.payloadOffset() - inner), tcp.payloadLength(), tcp.sequence(),
                    tcp.flags(), id, ports, geneve);
        }

        long pseudo(MemorySegment s) {
            return v4 ? new Ipv4View().wrap(s, ip, tcp - ip + tcpLength).pseudoHeaderSum(EtherType.PROTOCOL_TCP, tcpLength)
                    : new Ipv6View().wrap(s, ip, tcp - ip + tcpLength).pseudoHeaderSum(EtherType.PROTOCOL_TCP, tcpLength);
        }

        /** The inner headers with the fields a merge may change zeroed. */
        byte[] comparableHeaders() {
            return comparable(frame, headersAt, this);
        }

        static byte[] comparable(byte[] bytes, int at, Parsed layout) {
            byte[] h = Arrays.copyOfRange(bytes, at, at + layout.headers);
            int l3 = layout.l3;
            int t = layout.tcp - layout.headersAt;
            int[] zero = layout.v4
                    ? new int[] {l3 + 2, l3 + 3, l3 + 4, l3 + 5, l3 + 10, l3 + 11}
                    : new int[] {l3 + 4, l3 + 5};
            for (int i : zero) {
                h[i] = 0;
            }
            for (int i : new int[] {t + 4, t + 5, t + 6, t + 7, t + 13, t + 16, t + 17}) {
                h[i] = 0;
            }
            return h;
        }
    }

    /** A TCP frame, the tunnel it goes through and how it is segmented, all chosen by the input. */
    private record Flow(IpVersion outer, IpVersion innerVersion, boolean vlan, int tcpOptions, int geneveOptions,
            int vni, boolean udpChecksum, int payload, int flags, long sequence, int ipId, int mss, int mtu,
            byte[] inner) {

        static Flow choose(Input in) {
            IpVersion outer = in.bool() ? IpVersion.IPV6 : IpVersion.IPV4;
            IpVersion innerVersion = in.bool() ? IpVersion.IPV6 : IpVersion.IPV4;
            boolean vlan = in.bool();
            int tcpOptions = in.between(0, 10) * 4;
            int geneveOptions = in.between(0, 3);
            boolean udpChecksum = !in.bool();
            int payload = in.bool() ? in.between(0, 3000) : in.between(0, 70_000);
            int flags = TcpView.ACK | in.u8() & (in.bool() ? 0xFF : TcpView.FIN | TcpView.PSH | TcpView.CWR | TcpView.ECE);
            long sequence = in.u32();
            int ipId = in.u16();
            int mss = in.between(1, 9000);
            int mtu = in.between(576, 9000);
            return new Flow(outer, innerVersion, vlan, tcpOptions, geneveOptions, 5000, udpChecksum, payload, flags,
                    sequence, ipId, mss, mtu, null).build();
        }

        Flow build() {
            byte[] frame = TestFrames.tcp(innerVersion, vlan, tcpOptions, TestFrames.payload(payload, (int) sequence),
                    flags, sequence, ipId);
            int headers = frame.length - payload;
            int ipOverhead = outer.headerLength() + 8 + 8 + geneveOptions * 8;
            // at most MAX_FRAMES segments, and room for at least one byte of payload
            int room = Math.max(mtu, ipOverhead + headers + 1) - ipOverhead - headers;
            int size = Math.min(mss, room);
            int fixedMss = mss;
            int fixedMtu = Math.max(mtu, ipOverhead + headers + 1);
            if (payload > (long) size * MAX_FRAMES) {
                fixedMss = Math.min(0xFFFF, (payload + MAX_FRAMES - 1) / MAX_FRAMES);
                fixedMtu = Math.min(0xFFFF, Math.max(fixedMtu, ipOverhead + headers + fixedMss));
            }
            return new Flow(outer, innerVersion, vlan, tcpOptions, geneveOptions, vni, udpChecksum, payload, flags,
                    sequence, ipId, fixedMss, fixedMtu, frame);
        }

        /** The same flow but for one thing: VNI, a Geneve option, the TCP port, or the sequence space. */
        Flow variant(int which) {
            return switch (which) {
                case 0 -> new Flow(outer, innerVersion, vlan, tcpOptions, geneveOptions, vni + 1, udpChecksum, payload,
                        flags, sequence, ipId, mss, mtu, null).build();
                case 1 -> new Flow(outer, innerVersion, vlan, tcpOptions, (geneveOptions + 1) % 4, vni, udpChecksum,
                        payload, flags, sequence, ipId, mss, mtu, null).build();
                case 2 -> {
                    Flow f = new Flow(outer, innerVersion, vlan, tcpOptions, geneveOptions, vni, udpChecksum, payload,
                            flags, sequence, ipId, mss, mtu, null).build();
                    // another destination port: a different flow with the same addresses
                    MemorySegment s = MemorySegment.ofArray(f.inner);
                    int tcpAt = (vlan ? 18 : 14) + innerVersion.headerLength();
                    Wire.putU16(s, tcpAt + 2, 5202);
                    int checksum = Wire.u16(s, tcpAt + 16);
                    Wire.putU16(s, tcpAt + 16, io.github.geneve4j.codec.net.InternetChecksum.update(checksum, 5201, 5202));
                    yield f;
                }
                case 3 -> new Flow(outer, innerVersion, vlan, tcpOptions, geneveOptions, vni, udpChecksum, payload,
                        flags, sequence + 0x8000_0000L & 0xFFFF_FFFFL, ipId, mss, mtu, null).build();
                default -> new Flow(outer, innerVersion == IpVersion.IPV4 ? IpVersion.IPV6 : IpVersion.IPV4, vlan,
                        tcpOptions, geneveOptions, vni, udpChecksum, payload, flags, sequence, ipId, mss, mtu, null).build();
            };
        }

        List<byte[]> segments() throws UnknownHostException {
            GeneveOption[] options = new GeneveOption[geneveOptions];
            for (int i = 0; i < options.length; i++) {
                options[i] = new GeneveOption(0x0108, i + 1, new byte[] {(byte) i, 2, 3, 4});
            }
            GeneveTunnel tunnel = GeneveTunnel.builder()
                    .addresses(InetAddress.getByName(outer == IpVersion.IPV4 ? "192.0.2.1" : "2001:db8::1"),
                            InetAddress.getByName(outer == IpVersion.IPV4 ? "192.0.2.2" : "2001:db8::2"))
                    .udpChecksum(udpChecksum)
                    .header(GeneveHeader.of(ProtocolType.ETHERNET, vni, options))
                    .build();
            List<byte[]> frames = new ArrayList<>();
            new TcpSegmenter(tunnel, mss, mtu).segment(MemorySegment.ofArray(inner), 0, inner.length,
                    (b, o, l) -> frames.add(PcapTestWriter.bytes(b, o, l)));
            return frames;
        }
    }

    /** Reads the fuzzer's bytes front to back; past the end every read gives 0. */
    static final class Input {
        private final byte[] bytes;
        private int at;

        Input(byte[] bytes) {
            this.bytes = bytes;
        }

        boolean exhausted() {
            return at >= bytes.length;
        }

        int u8() {
            return at < bytes.length ? bytes[at++] & 0xFF : 0;
        }

        boolean bool() {
            return (u8() & 1) != 0;
        }

        int u16() {
            return (u8() << 8) | u8();
        }

        long u32() {
            return ((long) u16() << 16) | u16();
        }

        /** A value in {@code [min, max]}: the lowest for exhausted input. */
        int between(int min, int max) {
            long range = (long) max - min + 1;
            long v = range <= 0x100 ? u8() : range <= 0x1_0000 ? u16() : u32();
            return (int) (min + v % range);
        }

        byte[] bytes(int n) {
            int k = Math.min(n, bytes.length - at);
            byte[] b = Arrays.copyOfRange(bytes, at, at + k);
            at += k;
            return b;
        }
    }
}
