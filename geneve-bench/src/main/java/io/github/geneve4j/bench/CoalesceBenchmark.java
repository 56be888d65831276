package io.github.geneve4j.bench;

import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.codec.tso.TcpCoalescer;
import io.github.geneve4j.codec.tso.TcpSegmenter;
import io.github.geneve4j.codec.tunnel.GeneveTunnel;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.UnknownHostException;
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
 * GRO-like coalescing back: the Geneve frames of one 64 KiB or 256 KiB inner frame (segmented at MSS
 * 1448, IPv4 inside IPv4) merged by {@link TcpCoalescer} into the inner frame again (each frame
 * validated, its TCP checksum verified, its payload copied; the merged frame's checksums computed),
 * beside one plain copy of the payload.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CoalesceBenchmark {

    @Param({"65536", "262144"})
    public int payload;

    private MemorySegment frames;
    private int[] lengths;
    private int count;
    private TcpCoalescer coalescer;
    private MemorySegment merged;
    private MemorySegment frame;
    private MemorySegment copyTarget;
    private int payloadOffset;

    @Setup
    public void setUp() throws UnknownHostException {
        frame = MemorySegment.ofArray(Packets.tcpFrame(true, payload));
        payloadOffset = 14 + 20 + 20;
        GeneveTunnel tunnel = GeneveTunnel.builder()
                .macs(0x020000000001L, 0x020000000002L)
                .addresses(InetAddress.getByName("192.0.2.1"), InetAddress.getByName("192.0.2.2"))
                .header(GeneveHeader.of(ProtocolType.ETHERNET, 5000))
                .build();
        int n = payload / 1448 + 1;
        frames = MemorySegment.ofArray(new byte[n * 2000]);
        lengths = new int[n + 1];
        count = new TcpSegmenter(tunnel, 1448, 9000).segment(frame, 0, frame.byteSize(), frames, 0, lengths);
        coalescer = new TcpCoalescer(payload + 1000);
        merged = MemorySegment.ofArray(new byte[payload + 1000]);
        copyTarget = MemorySegment.ofArray(new byte[payload]);
        if (coalesce() != frame.byteSize()) {
            throw new IllegalStateException("the segments did not coalesce back into the frame");
        }
    }

    /** Ours: every segment added, then the merged inner frame written out. */
    @Benchmark
    public long coalesce() {
        long at = 0;
        for (int i = 0; i < count; i++) {
            if (!coalescer.add(frames, at, lengths[i])) {
                throw new IllegalStateException("segment " + i + " not merged");
            }
            at += lengths[i];
        }
        return coalescer.finish(merged, 0);
    }

    /** Baseline: one plain copy of the payload. */
    @Benchmark
    public MemorySegment copy() {
        MemorySegment.copy(frame, payloadOffset, copyTarget, 0, payload);
        return copyTarget;
    }
}
