package io.github.geneve4j.bench;

import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.codec.net.InternetChecksum;
import io.github.geneve4j.codec.tso.SegmentCursor;
import io.github.geneve4j.codec.tso.TcpSegmenter;
import io.github.geneve4j.codec.tunnel.GeneveTunnel;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
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
 * to back into a buffer (copy mode), or walked in gather mode (headers in a small buffer, the payload
 * left in place, as the two {@code ByteBuffer}s a gathering write takes), beside two baselines: one
 * plain copy of the payload and one checksum pass over it. {@code copySumChunks} is the floor of
 * copy mode without any header work: the payload copied and summed in MSS-sized pieces.
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
        frame = MemorySegment.ofArray(Packets.tcpFrame(v4, payload));
        payloadOffset = 14 + (v4 ? 20 : 40) + 20;
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

    /** Gather mode: every segment's headers written and its payload summed in place, no copy. */
    @Benchmark
    public long gather() {
        long bytes = 0;
        for (SegmentCursor s = segmenter.gather(frame, 0, frame.byteSize()); s.next(); ) {
            ByteBuffer[] buffers = s.buffers();
            bytes += buffers[0].remaining() + buffers[1].remaining();
        }
        return bytes;
    }

    /** Decomposition: the payload copied and summed MSS by MSS, no headers (copy mode's floor). */
    @Benchmark
    public long copySumChunks() {
        long sum = 0;
        long at = 0;
        for (long from = 0; from < payload; from += 1448) {
            int length = (int) Math.min(1448, payload - from);
            MemorySegment.copy(frame, payloadOffset + from, target, at + 120, length);
            sum += InternetChecksum.sum(frame, payloadOffset + from, length);
            at += 120 + length;
        }
        return sum;
    }

    /** Baseline: one checksum pass over the payload. */
    @Benchmark
    public long checksumPass() {
        return InternetChecksum.sum(frame, payloadOffset, payload);
    }

    /** Baseline: one plain copy of the payload. */
    @Benchmark
    public MemorySegment copy() {
        MemorySegment.copy(frame, payloadOffset, copyTarget, 0, payload);
        return copyTarget;
    }
}
