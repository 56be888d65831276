package io.github.geneve4j.bench;

import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.GeneveOptionCursor;
import io.github.geneve4j.codec.GeneveView;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decoding a Geneve header: our view and record decoders beside two baselines measured in the same
 * run — the straightforward decoder a user would write, and a plain copy of the header's bytes.
 *
 * <p>Every method reads the same fields (VNI, protocol type, flags, each option's class, type and
 * length) and returns a value derived from them, so nothing is dead code. With {@code pollute=true}
 * the view is first driven over all four memory kinds, so C2 cannot specialise it for one.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class GeneveDecodeBenchmark {

    @Param({"BASE", "GWLB", "OPTIONS63"})
    public Packets.Layout layout;

    @Param({"HEAP_BUFFER", "DIRECT_BUFFER", "HEAP_SEGMENT", "NATIVE_SEGMENT"})
    public Packets.Kind kind;

    @Param({"false", "true"})
    public boolean pollute;

    private Packets.Placed placed;
    private ByteBuffer heapCopy;
    private GeneveView view;
    private byte[] copyTarget;
    private GeneveHeader header;
    private MemorySegment encodeTarget;

    @Setup(Level.Trial)
    public void setUp() {
        byte[] packet = Packets.packet(layout);
        placed = Packets.Placed.of(kind, packet);
        heapCopy = ByteBuffer.wrap(packet.clone());
        view = new GeneveView();
        copyTarget = new byte[layout.header().encodedLength()];
        header = layout.header();
        encodeTarget = MemorySegment.ofArray(new byte[packet.length]);
        if (pollute) {
            for (Packets.Kind other : Packets.Kind.values()) {
                Packets.Placed p = Packets.Placed.of(other, packet);
                long sink = 0;
                for (int i = 0; i < 50_000; i++) {
                    sink += read(p.buffer() != null ? view.wrap(p.buffer(), 0) : view.wrap(p.segment(), 0));
                    sink += GeneveHeader.decode(p.buffer() != null ? p.buffer() : p.segment().asByteBuffer(), 0).vni();
                }
                if (sink == 42) {
                    System.out.print("");
                }
            }
        }
    }

    private static long read(GeneveView v) {
        long sum = v.vni() + v.protocolType() + (v.critical() ? 1 : 0) + (v.oam() ? 2 : 0);
        for (GeneveOptionCursor o = v.options(); o.next(); ) {
            sum += o.optionClass() + o.type() + o.dataLength();
        }
        return sum + v.payloadOffset();
    }

    /** Ours: wrap (validate) the view and read every field, walking the options in place. */
    @Benchmark
    public long view() {
        return read(placed.buffer() != null ? view.wrap(placed.buffer(), 0) : view.wrap(placed.segment(), 0));
    }

    /** Ours: only wrap (validate) the view, reading nothing else: the cost of the receipt checks. */
    @Benchmark
    public int wrapOnly() {
        return (placed.buffer() != null ? view.wrap(placed.buffer(), 0) : view.wrap(placed.segment(), 0)).headerLength();
    }

    /** Ours: decode to the immutable record (allocates the record, its list and option arrays). */
    @Benchmark
    public long record() {
        GeneveHeader h = placed.buffer() != null
                ? GeneveHeader.decode(placed.buffer(), 0) : GeneveHeader.decode(placed.segment(), 0);
        long sum = h.vni() + h.protocolType() + (h.critical() ? 1 : 0) + (h.oam() ? 2 : 0);
        for (GeneveOption o : h.options()) {
            sum += o.optionClass() + o.type() + o.dataLength();
        }
        return sum;
    }

    /** Baseline: the straightforward decoder, over a heap buffer with the same bytes. */
    @Benchmark
    public long straightforward() {
        StraightforwardDecoder.Header h = StraightforwardDecoder.decode(heapCopy);
        long sum = h.vni() + h.protocolType() + (h.critical() ? 1 : 0) + (h.oam() ? 2 : 0);
        for (StraightforwardDecoder.Option o : h.options()) {
            sum += o.optionClass() + o.type() + o.data().length;
        }
        return sum;
    }

    /** Baseline: copying the header's bytes out of the same memory (the floor for touching them). */
    @Benchmark
    public byte[] copy() {
        if (placed.buffer() != null) {
            placed.buffer().get(0, copyTarget);
        } else {
            MemorySegment.copy(placed.segment(), ValueLayout.JAVA_BYTE, 0, copyTarget, 0, copyTarget.length);
        }
        return copyTarget;
    }

    /** Ours: encode the record into a heap segment. */
    @Benchmark
    public int encodeRecord() {
        return header.encode(encodeTarget, 0);
    }
}
