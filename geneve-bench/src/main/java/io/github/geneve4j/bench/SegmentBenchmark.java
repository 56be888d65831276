package io.github.geneve4j.bench;

import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.codec.tso.TcpSegmenter;
import io.github.geneve4j.codec.tunnel.GeneveTunnel;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Software TSO: one inner Ethernet/IP/TCP frame with a 64 KiB or 256 KiB payload segmented at MSS
 * 1448 into Geneve frames (every length and checksum computed, outer UDP checksum on) written back
 * to back into a buffer, beside one plain copy of the payload.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SegmentBenchmark {

    @Param({"65536", "262144"})
    public int payload;

    @Param({"IPV4", "IPV6"})
    public String ip;

    @Param({"false", "true"})
    public boolean options;

    private MemorySegment frame;
    private MemorySegment target;
    private MemorySegment copyTarget;
    private TcpSegmenter segmenter;
    private int[] lengths;
    private int payloadOffset;

    @Setup
    public void setUp() throws UnknownHostException {
        boolean v4 = ip.equals("IPV4");
        byte[] data = new byte[payload];
        new SplittableRandom(payload).nextBytes(data);
        int ipLength = v4 ? 20 : 40;
        ByteBuffer b = ByteBuffer.allocate(14 + ipLength + 20 + payload);
        b.put(new byte[] {2, 0, 10, 0, 0, 2, 2, 0, 10, 0, 0, 1}).putShort((short) (v4 ? 0x0800 : 0x86DD));
        if (v4) {
            // BIG TCP when the payload is larger than Total Length can state
            int total = 40 + payload;
            b.put((byte) 0x45).put((byte) 0).putShort((short) (total > 0xFFFF ? 0 : total)).putShort((short) 1)
                    .putShort((short) 0x4000).put((byte) 64).put((byte) 6).putShort((short) 0)
                    .put(new byte[] {10, 0, 0, 1}).put(new byte[] {10, 0, 0, 2});
        } else {
            int plen = 20 + payload;
            b.putInt(0x6000_0000).putShort((short) (plen > 0xFFFF ? 0 : plen)).put((byte) 6).put((byte) 64)
                    .put(new byte[16]).put(new byte[16]);
            b.put(14 + 8 + 15, (byte) 1).put(14 + 24 + 15, (byte) 2);
        }
        b.putShort((short) 40000).putShort((short) 5001).putInt(1).putInt(1).put((byte) 0x50).put((byte) 0x18)
                .putShort((short) 65535).putInt(0);
        payloadOffset = b.position();
        b.put(data);
        frame = MemorySegment.ofArray(b.array());
        GeneveHeader header = options
                ? GeneveHeader.of(ProtocolType.ETHERNET, 5000, new GeneveOption(0x0108, 1, new byte[8]),
                        new GeneveOption(0x0108, 2, new byte[8]), new GeneveOption(0x0108, 3, new byte[4]))
                : GeneveHeader.of(ProtocolType.ETHERNET, 5000);
        GeneveTunnel tunnel = GeneveTunnel.builder()
                .macs(0x020000000001L, 0x020000000002L)
                .addresses(InetAddress.getByName(v4 ? "192.0.2.1" : "2001:db8::1"),
                        InetAddress.getByName(v4 ? "192.0.2.2" : "2001:db8::2"))
                .header(header)
                .build();
        // an underlay MTU of 9000, so that the MSS of 1448 is used as given, options or not
        segmenter = new TcpSegmenter(tunnel, 1448, 9000);
        int frames = payload / 1448 + 1;
        target = MemorySegment.ofArray(new byte[frames * 2000]);
        lengths = new int[frames + 1];
        copyTarget = MemorySegment.ofArray(new byte[payload]);
    }

    /** Ours: all frames, every checksum, written back to back. */
    @Benchmark
    public int segment() {
        return segmenter.segment(frame, 0, frame.byteSize(), target, 0, lengths);
    }

    /** Baseline: one plain copy of the payload. */
    @Benchmark
    public MemorySegment copy() {
        MemorySegment.copy(frame, payloadOffset, copyTarget, 0, payload);
        return copyTarget;
    }
}
