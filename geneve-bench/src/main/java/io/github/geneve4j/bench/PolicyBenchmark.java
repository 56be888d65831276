package io.github.geneve4j.bench;

import io.github.geneve4j.codec.GeneveView;
import io.github.geneve4j.options.OptionRegistry;
import io.github.geneve4j.options.ReceivePolicy;
import io.github.geneve4j.options.Verdict;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The receive-policy verdict on the accept path: wrap the AWS GWLB header (three known options)
 * and decide, beside a plain copy of the same header bytes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PolicyBenchmark {

    private ReceivePolicy policy;
    private GeneveView view;
    private MemorySegment gwlb;
    private Verdict verdict;
    private byte[] copyTarget;

    @Setup
    public void setUp() {
        policy = ReceivePolicy.strict(OptionRegistry.defaults());
        view = new GeneveView();
        verdict = new Verdict();
        gwlb = MemorySegment.ofArray(Packets.packet(Packets.Layout.GWLB));
        copyTarget = new byte[Packets.Layout.GWLB.header().encodedLength()];
    }

    /** Ours: wrap (validate) and decide. */
    @Benchmark
    public Verdict.Kind verdict() {
        return policy.evaluate(view.wrap(gwlb, 0), verdict);
    }

    /** Baseline: copying the header's bytes. */
    @Benchmark
    public byte[] copy() {
        MemorySegment.copy(gwlb, ValueLayout.JAVA_BYTE, 0, copyTarget, 0, copyTarget.length);
        return copyTarget;
    }
}
