package io.github.geneve4j.bench;

import io.github.geneve4j.codec.net.InternetChecksum;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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

/** The Internet checksum (RFC 1071) over a buffer, beside {@code MemorySegment.copy} of the same bytes. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ChecksumBenchmark {

    @Param({"64", "1500", "9000", "65536"})
    public int size;

    @Param({"HEAP", "NATIVE"})
    public String memory;

    private MemorySegment data;
    private MemorySegment target;

    @Setup
    public void setUp() {
        byte[] bytes = new byte[size];
        new SplittableRandom(size).nextBytes(bytes);
        data = memory.equals("HEAP") ? MemorySegment.ofArray(bytes) : Arena.ofAuto().allocate(size, 64).copyFrom(MemorySegment.ofArray(bytes));
        target = memory.equals("HEAP") ? MemorySegment.ofArray(new byte[size]) : Arena.ofAuto().allocate(size, 64);
    }

    /** Ours. */
    @Benchmark
    public int checksum() {
        return InternetChecksum.checksum(data, 0, size);
    }

    /** Baseline: a plain copy of the same bytes. */
    @Benchmark
    public MemorySegment copy() {
        MemorySegment.copy(data, 0, target, 0, size);
        return target;
    }
}
