package io.github.geneve4j.endpoint;

import static io.github.geneve4j.endpoint.Loopback.address;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.endpoint.spi.DatagramSource;
import io.github.geneve4j.endpoint.testing.MemoryTransport;
import io.github.geneve4j.options.ReceivePolicy;
import io.github.geneve4j.options.Verdict;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Fuzzing the endpoint's receive path with what a network can send it: datagram bytes (one, or a
 * GRO batch of one segment size) and the source they came from (the peer, at any port, or a
 * stranger). The contract, checked on every input against an oracle that decodes with the record
 * codec ({@link GeneveHeader#decode}) and the receive policy's record form, not the view the engine
 * uses: only datagrams from the peer that are valid Geneve (RFC 8926 §3.4), on the endpoint's VNI,
 * carrying Ethernet, accepted by the policy and at least an Ethernet header long reach the handler,
 * byte for byte and in order; everything else is counted as a drop under one reason; nothing
 * throws. Regression inputs in {@code ReceivePathFuzzTestInputs/}.
 */
class ReceivePathFuzzTest {

    private static final int VNI = 5000;
    private static final InetSocketAddress PEER = address("127.0.0.2", 6081);
    /** What one receive takes at most: a UDP GRO batch, one IP packet's worth. */
    private static final int CAPACITY = 65_536;

    // one endpoint for every input: starting one per input (its threads and native buffers) made a
    // campaign slow and its memory grow faster than the collector freed the buffers
    private static final List<byte[]> DELIVERED = new CopyOnWriteArrayList<>();
    private static final GeneveOption OURS = new GeneveOption(0xFFFF, 0x80, new byte[] {1, 2, 3, 4});
    private static final ReceivePolicy POLICY = GeneveEndpoint.defaultPolicy(List.of(OURS));
    private static GeneveEndpoint endpoint;
    private static MemoryTransport transport;

    /** The endpoint and its transport in memory: the inputs go through the SPI, on the endpoint's own receive thread. */
    private static synchronized void setUp() throws IOException {
        if (endpoint == null) {
            transport = new MemoryTransport(address("127.0.0.1", 6081));
            endpoint = GeneveEndpoint.builder().transport(transport).peer(PEER).vni(VNI).options(List.of(OURS))
                    .handler(f -> DELIVERED.add(f.toByteArray())).start();
        }
    }

    @FuzzTest(maxDuration = "10m")
    void receivePathDeliversOnlyValidDatagramsFromPeers(byte[] bytes) throws Exception {
        setUp();
        DELIVERED.clear();
        EndpointStats before = endpoint.stats();
        List<byte[]> expected = new ArrayList<>();
        long datagrams = 0;
        int at = 0;
        for (int round = 0; round < 16 && at < bytes.length; round++) {
            int control = bytes[at++] & 0xFF;
            int length = at + 1 < bytes.length ? ((bytes[at] & 0xFF) << 8 | (bytes[at + 1] & 0xFF)) : 0;
            at += 2;
            byte[] batch = Arrays.copyOfRange(bytes, Math.min(at, bytes.length), Math.min(at + length, bytes.length));
            at += length;
            boolean fromPeer = (control & 1) == 0;
            int size = (control & 2) != 0 && batch.length > 0 ? 1 + (control >>> 2) * batch.length / 64 : 0;
            DatagramSource from = new DatagramSource()
                    .ipv4(fromPeer ? 0x7f000002 : 0x7f000003, 1024 + control) // any source port: still the peer
                    .segmentSize(size);
            transport.inject(Arrays.copyOf(batch, Math.min(batch.length, CAPACITY)), from);
            transport.awaitCaughtUp();
            int step = size > 0 ? Math.min(size, Math.max(batch.length, 1)) : Math.max(batch.length, 1);
            for (int d = 0; d < Math.max(batch.length, 1); d += step) {
                datagrams++;
                byte[] one = Arrays.copyOfRange(batch, Math.min(d, batch.length), Math.min(d + step, batch.length));
                if (fromPeer && accepted(one)) {
                    expected.add(Arrays.copyOfRange(one, headerLength(one), one.length));
                }
            }
        }
        assertThat(DELIVERED).usingElementComparator(Arrays::compare).containsExactlyElementsOf(expected);
        EndpointStats stats = endpoint.stats();
        long delivered = stats.framesFromTunnel() - before.framesFromTunnel();
        long dropped = stats.totalDrops() - before.totalDrops();
        assertThat(delivered).isEqualTo(expected.size());
        assertThat(delivered + dropped).as(stats.toString()).isEqualTo(datagrams);
    }

    private static int headerLength(byte[] datagram) {
        return 8 + 4 * (datagram[0] & 0x3F);
    }

    /** The oracle: the record codec and the policy's record form. */
    private static boolean accepted(byte[] datagram) {
        GeneveHeader header;
        try {
            header = GeneveHeader.decode(ByteBuffer.wrap(datagram), 0);
        } catch (GeneveFormatException malformed) {
            return false;
        }
        return header.vni() == VNI && header.protocolType() == ProtocolType.ETHERNET
                && POLICY.evaluate(header).kind() == Verdict.Kind.ACCEPT
                && datagram.length - headerLength(datagram) >= 14;
    }
}
