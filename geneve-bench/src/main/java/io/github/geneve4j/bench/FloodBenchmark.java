package io.github.geneve4j.bench;

import io.github.geneve4j.endpoint.GeneveEndpoint;
import io.github.geneve4j.endpoint.spi.DatagramSource;
import io.github.geneve4j.endpoint.spi.DatagramTransport;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The flood path of the engine: a broadcast frame from the inner side (a handler's
 * {@link GeneveEndpoint#send}) encapsulated once and sent to every peer (head-end replication),
 * through the endpoint's forwarder: the inner-side check (a frame addressed as the tunnel's BFD goes
 * nowhere), routing (a group address: flood), the BFD gate of each peer and one send per peer. The
 * transport discards what it is given (no socket): what is measured is the engine's cost per
 * flooded frame, for 2, 4 and 8 peers. Issue 28 asks for it before and after the per-peer MAC
 * shares and the inner-side BFD check: run it on both commits.
 *
 * <pre>{@code
 * java -jar geneve-bench/target/benchmarks.jar FloodBenchmark -f 1 -wi 3 -i 5
 * }</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class FloodBenchmark {

    /** Peers each broadcast frame is sent to. */
    @Param({"2", "4", "8"})
    public int peers;

    /** Bytes of the inner frame: a small one (ARP-sized, padded) and a full 1500-byte packet. */
    @Param({"64", "1514"})
    public int frameLength;

    private GeneveEndpoint endpoint;
    private MemorySegment frame;
    private DiscardTransport transport;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        transport = new DiscardTransport(new InetSocketAddress("127.0.0.1", 6081));
        GeneveEndpoint.Builder b = GeneveEndpoint.builder().transport(transport).vni(5000).handler(f -> { });
        for (int i = 0; i < peers; i++) {
            b.peer(new InetSocketAddress("127.0.1." + (i + 1), 6081));
        }
        endpoint = b.start();
        frame = Arena.ofAuto().allocate(frameLength);
        for (int i = 0; i < 6; i++) {
            frame.set(ValueLayout.JAVA_BYTE, i, (byte) 0xFF); // broadcast
        }
        frame.set(ValueLayout.JAVA_BYTE, 6, (byte) 0x02);
        frame.set(ValueLayout.JAVA_BYTE, 11, (byte) 0x01);
        frame.set(ValueLayout.JAVA_BYTE, 12, (byte) 0x08); // IPv4 (not UDP 3784: the inner-side check's cheap case)
        frame.set(ValueLayout.JAVA_BYTE, 14, (byte) 0x45);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        endpoint.close();
        if (transport.sent == 0) {
            throw new IllegalStateException("nothing was sent: the benchmark measured nothing");
        }
    }

    /** One broadcast frame flooded to every peer; whether every peer got it. */
    @Benchmark
    public boolean flood() {
        return endpoint.send(frame, 0, frameLength);
    }

    /** A transport that takes every datagram and sends nothing; its receive only waits. */
    static final class DiscardTransport implements DatagramTransport {
        private final InetSocketAddress local;
        private volatile boolean open = true;
        long sent;

        DiscardTransport(InetSocketAddress local) {
            this.local = local;
        }

        @Override
        public InetSocketAddress localAddress() {
            return local;
        }

        @Override
        public boolean send(MemorySegment buffer, long offset, long length, InetSocketAddress to) {
            sent++;
            return true;
        }

        @Override
        public int receive(MemorySegment buffer, long offset, long capacity, boolean wait, DatagramSource source)
                throws ClosedChannelException {
            if (!open) {
                throw new ClosedChannelException();
            }
            if (wait) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // as a socket's timeout: nothing came
            }
            return -1;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
        }
    }
}
