package io.github.geneve4j.bench;

import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.ProtocolType;
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
 * Encoding in place: the outer Ethernet, IPv4, UDP and Geneve headers (GWLB-like options) written in
 * the headroom in front of an inner frame already in the buffer ({@link GeneveTunnel#encapsulate}
 * with the UDP checksum on, one pass over the inner frame, or off), and the Geneve header alone
 * encoded at an offset ({@link GeneveHeader#encode}), beside a plain copy of the inner frame.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class EncapsulateBenchmark {

    @Param({"1500", "9000"})
    public int size;

    private static final int HEADROOM = 128;
    private MemorySegment buffer;
    private MemorySegment copyTarget;
    private GeneveTunnel withChecksum;
    private GeneveTunnel withoutChecksum;
    private GeneveHeader header;
    private int innerLength;

    @Setup
    public void setUp() throws UnknownHostException {
        byte[] inner = Packets.tcpFrame(true, size - 54);
        innerLength = inner.length;
        buffer = MemorySegment.ofArray(new byte[HEADROOM + innerLength]);
        MemorySegment.copy(MemorySegment.ofArray(inner), 0, buffer, HEADROOM, innerLength);
        copyTarget = MemorySegment.ofArray(new byte[innerLength]);
        header = GeneveHeader.of(ProtocolType.ETHERNET, 5000, Packets.Layout.GWLB.header().options());
        GeneveTunnel.Builder b = GeneveTunnel.builder()
                .macs(0x020000000001L, 0x020000000002L)
                .addresses(InetAddress.getByName("192.0.2.1"), InetAddress.getByName("192.0.2.2"))
                .header(header);
        withChecksum = b.udpChecksum(true).build();
        withoutChecksum = b.udpChecksum(false).build();
    }

    /** Ours: outer headers in front of the inner frame, UDP checksum over it. */
    @Benchmark
    public long encapsulate() {
        return withChecksum.encapsulate(buffer, HEADROOM, innerLength);
    }

    /** Ours: outer headers in front of the inner frame, UDP checksum 0 (IPv4, RFC 8926 §3.3). */
    @Benchmark
    public long encapsulateNoChecksum() {
        return withoutChecksum.encapsulate(buffer, HEADROOM, innerLength);
    }

    /** Ours: the Geneve header and its options alone, encoded at an offset. */
    @Benchmark
    public int encodeHeader() {
        return header.encode(buffer, HEADROOM - header.encodedLength());
    }

    /** Baseline: a plain copy of the inner frame. */
    @Benchmark
    public MemorySegment copy() {
        MemorySegment.copy(buffer, HEADROOM, copyTarget, 0, innerLength);
        return copyTarget;
    }
}
