package io.github.geneve4j.endpoint;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.endpoint.testing.MemoryDevice;
import io.github.geneve4j.endpoint.testing.MemoryTransport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One endpoint among several peers (127.0.0.2..5, on a transport in memory: each datagram from a
 * peer is handled before the test goes on, each send is seen when it returns, time is the test's):
 * learning per VNI, unicast to the learned peer alone, floods to every peer, moves, aging with a test
 * clock, the table's bound under a flood of source MACs, split horizon, peers added and removed at
 * run time, static entries, several VNIs on one socket.
 */
class MeshEndpointTest {

    private static final int VNI = 5000;
    private static final long M1 = 0x0200_0000_0011L;
    private static final long M2 = 0x0200_0000_0022L;
    private static final long OURS = 0x0200_0000_00AAL;
    private static final long BROADCAST = 0xFFFF_FFFF_FFFFL;

    private final List<InetSocketAddress> peers = new ArrayList<>();
    private final List<byte[]> delivered = new CopyOnWriteArrayList<>();
    private final long[] clock = {1_000_000_000L};
    private final MemoryTransport transport = new MemoryTransport(new InetSocketAddress("127.0.0.1", 6081));
    /** How many of the transport's sends {@link #received()} has counted already. */
    private int counted;
    private GeneveEndpoint endpoint;

    @BeforeEach
    void peers() {
        for (int i = 2; i <= 5; i++) {
            peers.add(new InetSocketAddress("127.0.0." + i, 6081));
        }
    }

    @AfterEach
    void close() throws Exception {
        if (endpoint != null) {
            endpoint.close();
        }
    }

    private InetSocketAddress peer(int i) {
        return peers.get(i);
    }

    /** An endpoint with a handler and peers 0..count-1, on a transport in memory, timed by the test's clock. */
    private GeneveEndpoint start(int count, GeneveEndpoint.Builder b) throws IOException {
        b.transport(transport).vni(VNI).handler(f -> delivered.add(f.toByteArray())).clock(() -> clock[0]);
        for (int i = 0; i < count; i++) {
            b.peer(peer(i));
        }
        endpoint = b.start();
        return endpoint;
    }

    static byte[] frame(long dst, long src, int seed) {
        ByteBuffer f = ByteBuffer.allocate(60);
        f.putShort((short) (dst >>> 32)).putInt((int) dst).putShort((short) (src >>> 32)).putInt((int) src);
        f.putShort((short) 0x88B5);
        for (int i = 14; i < 60; i++) {
            f.put(i, (byte) (seed + i));
        }
        return f.array();
    }

    /** Peer {@code i} sends a frame in Geneve to the endpoint (from any port: flow entropy); the endpoint handles it before this returns. */
    private void fromPeer(int i, int vni, byte[] frame) throws InterruptedException {
        byte[] header = GeneveHeader.of(ProtocolType.ETHERNET, vni, List.of()).toBytes();
        ByteBuffer d = ByteBuffer.allocate(header.length + frame.length).put(header).put(frame);
        transport.inject(d.array(), new InetSocketAddress(peer(i).getAddress(), 40_000 + i));
        transport.awaitCaughtUp();
    }

    /** The datagrams each peer got since the last call (a send is done when {@code send} returns). */
    private int[] received() {
        List<MemoryTransport.Sent> sent = transport.sent();
        int[] counts = new int[peers.size()];
        for (MemoryTransport.Sent s : sent.subList(counted, sent.size())) {
            counts[peers.indexOf(s.to())]++;
        }
        counted = sent.size();
        return counts;
    }

    private void awaitDelivered(int n) {
        assertThat(delivered).as("%d delivered", n).hasSizeGreaterThanOrEqualTo(n);
    }

    private PeerStats stats(int i) throws IOException {
        InetSocketAddress a = peer(i);
        return endpoint.stats().peers().stream().filter(p -> p.address().equals(a)).findFirst().orElseThrow();
    }

    @Test
    void unicastGoesToTheLearnedPeerAloneAndTheRestIsFloodedToEveryPeer() throws Exception {
        start(3, GeneveEndpoint.builder());
        assertThat(endpoint.send(ByteBuffer.wrap(frame(M1, OURS, 1)))).isTrue();
        assertThat(received()).as("unknown unicast: one copy per peer").containsExactly(1, 1, 1, 0);
        fromPeer(1, VNI, frame(OURS, M1, 2));
        awaitDelivered(1);
        assertThat(endpoint.macPeer(VNI, M1)).contains(peer(1));
        for (int i = 0; i < 5; i++) {
            endpoint.send(ByteBuffer.wrap(frame(M1, OURS, 3)));
        }
        assertThat(received()).as("learned behind peer 1").containsExactly(0, 5, 0, 0);
        endpoint.send(ByteBuffer.wrap(frame(BROADCAST, OURS, 4)));
        endpoint.send(ByteBuffer.wrap(frame(0x0100_5E00_0001L, OURS, 5)));
        assertThat(received()).as("broadcast and multicast").containsExactly(2, 2, 2, 0);
        EndpointStats s = endpoint.stats();
        assertThat(s.floods()).isEqualTo(3);
        assertThat(stats(1).floods()).isEqualTo(3);
        assertThat(stats(1).framesSent()).isEqualTo(8);
        assertThat(stats(1).macs()).isEqualTo(1);
        assertThat(stats(0).macs()).isZero();
        assertThat(s.macTables()).singleElement().satisfies(t -> {
            assertThat(t.vni()).isEqualTo(VNI);
            assertThat(t.entries()).isEqualTo(1);
            assertThat(t.learned()).isEqualTo(1);
        });
        assertThat(s.formatMesh()).contains("flood=3 macs=1", "vni 5000 entries=1/65536 learned=1");
    }

    @Test
    void splitHorizonAFrameFromAPeerIsNeverSentToAnotherPeer() throws Exception {
        start(3, GeneveEndpoint.builder());
        fromPeer(0, VNI, frame(BROADCAST, M1, 1));
        fromPeer(0, VNI, frame(M2, M1, 2)); // unknown unicast
        fromPeer(1, VNI, frame(M1, M2, 3)); // known unicast, to a MAC behind another peer
        awaitDelivered(3);
        assertThat(received()).containsExactly(0, 0, 0, 0);
        assertThat(endpoint.stats().framesToTunnel()).isZero();
        assertThat(endpoint.stats().framesFromTunnel()).isEqualTo(3);
    }

    @Test
    void aMacThatShowsUpBehindAnotherPeerMoves() throws Exception {
        start(3, GeneveEndpoint.builder());
        fromPeer(0, VNI, frame(OURS, M1, 1));
        awaitDelivered(1);
        endpoint.send(ByteBuffer.wrap(frame(M1, OURS, 2)));
        assertThat(received()).containsExactly(1, 0, 0, 0);
        fromPeer(2, VNI, frame(OURS, M1, 3)); // the VM migrated
        awaitDelivered(2);
        endpoint.send(ByteBuffer.wrap(frame(M1, OURS, 4)));
        assertThat(received()).containsExactly(0, 0, 1, 0);
        assertThat(endpoint.stats().macTables().get(0).moves()).isEqualTo(1);
        assertThat(stats(2).macs()).isEqualTo(1);
        assertThat(stats(0).macs()).isZero();
    }

    @Test
    void entriesAgeOutAndTheFrameIsFloodedAgain() throws Exception {
        start(2, GeneveEndpoint.builder().macTable(1024, Duration.ofSeconds(300)));
        fromPeer(0, VNI, frame(OURS, M1, 1));
        awaitDelivered(1);
        clock[0] += Duration.ofSeconds(299).toNanos();
        fromPeer(1, VNI, frame(OURS, M2, 2)); // a receive: the tables' time is now 299 s
        endpoint.send(ByteBuffer.wrap(frame(M1, OURS, 3)));
        assertThat(received()).as("299 s").containsExactly(1, 0, 0, 0);
        clock[0] += Duration.ofSeconds(2).toNanos();
        fromPeer(1, VNI, frame(OURS, M2, 4)); // 301 s
        assertThat(endpoint.macPeer(VNI, M1)).as("aged by that receive's tick").isEmpty();
        endpoint.send(ByteBuffer.wrap(frame(M1, OURS, 5)));
        assertThat(received()).as("301 s: aged, flooded").containsExactly(1, 1, 0, 0);
        assertThat(endpoint.macPeer(VNI, M1)).isEmpty();
    }

    @Test
    void aFloodOfSourceMacsStaysWithinTheBoundAndCountsEvictions() throws Exception {
        // a share of the whole table: one peer may fill it (by default it holds half)
        start(2, GeneveEndpoint.builder().macTable(64, Duration.ofSeconds(300)).macMaxPerPeer(64));
        int macs = 2_000;
        for (int i = 0; i < macs; i++) {
            fromPeer(0, VNI, frame(OURS, 0x0200_0000_0000L | (i * 7919L + 1), i));
        }
        awaitDelivered(macs);
        MacTableStats t = endpoint.stats().macTables().get(0);
        assertThat(t.entries()).isEqualTo(64);
        assertThat(t.learned()).isEqualTo(macs);
        assertThat(t.evictions()).isEqualTo(macs - 64);
        assertThat(stats(0).macs()).isEqualTo(64);
    }

    /**
     * Issue 28 item 8: one peer sending random source MACs evicted every entry of the other peers
     * (200k MACs against 1,000 entries on this machine), whose unicast was then flooded to every
     * peer, the attacker included. With the default share (half the table per peer), the flood
     * replaces the attacker's own entries and leaves the other peer's.
     */
    @Test
    void onePeerFloodingSourceMacsLeavesAnotherPeersEntries() throws Exception {
        start(2, GeneveEndpoint.builder().macTable(1024, Duration.ofSeconds(300)));
        int hosts = 100;
        for (int i = 0; i < hosts; i++) {
            fromPeer(1, VNI, frame(OURS, 0x0200_0001_0000L | i, i));
        }
        clock[0] += 1_000_000_000L; // a second later: the hosts' entries are the least recently seen
        // the attacker: 20,000 random unicast source MACs (seeded), queued at once, handled in order
        java.util.SplittableRandom random = new java.util.SplittableRandom(28);
        byte[] header = GeneveHeader.of(ProtocolType.ETHERNET, VNI, List.of()).toBytes();
        int flood = 20_000;
        for (int i = 0; i < flood; i++) {
            long mac = (random.nextLong() & 0xFEFF_FFFF_FFFFL) | 0x0200_0000_0000L;
            byte[] f = frame(OURS, mac, i);
            transport.inject(ByteBuffer.allocate(header.length + f.length).put(header).put(f).array(),
                    new InetSocketAddress(peer(0).getAddress(), 40_000));
        }
        transport.awaitCaughtUp();
        awaitDelivered(hosts + flood);
        MacTableStats t = endpoint.stats().macTables().get(0);
        assertThat(stats(1).macs()).as("%s", t).isEqualTo(hosts);
        assertThat(stats(0).macs()).as("the attacker within its share").isLessThanOrEqualTo(512);
        assertThat(t.shareRefusals() + t.evictions()).isPositive();
        received();
        for (int i = 0; i < hosts; i++) {
            assertThat(endpoint.macPeer(VNI, 0x0200_0001_0000L | i)).contains(peer(1));
            assertThat(endpoint.send(ByteBuffer.wrap(frame(0x0200_0001_0000L | i, OURS, i)))).isTrue();
        }
        assertThat(received()).as("unicast to the other peer's hosts: to it alone, never flooded")
                .containsExactly(0, hosts, 0, 0);
        assertThat(endpoint.stats().floods()).isZero();
    }

    @Test
    void aShareAboveTheTableOrBelowOneIsRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> start(2, GeneveEndpoint.builder()
                .macTable(64, Duration.ofSeconds(300)).macMaxPerPeer(65)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("MAC share of 65 entries per peer");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> GeneveEndpoint.builder().macMaxPerPeer(0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void peersAddedAndRemovedAtRunTime() throws Exception {
        start(2, GeneveEndpoint.builder());
        fromPeer(1, VNI, frame(OURS, M1, 1));
        awaitDelivered(1);
        assertThat(endpoint.removePeer(peer(1))).isTrue();
        assertThat(endpoint.removePeer(peer(1))).isFalse();
        assertThat(endpoint.macPeer(VNI, M1)).as("forgotten with its peer").isEmpty();
        endpoint.send(ByteBuffer.wrap(frame(M1, OURS, 2)));
        assertThat(received()).containsExactly(1, 0, 0, 0);
        fromPeer(1, VNI, frame(OURS, M1, 3));
        assertThat(endpoint.stats().drops(DropReason.NOT_A_PEER)).isEqualTo(1);
        assertThat(endpoint.addPeer(peer(3))).isTrue();
        assertThat(endpoint.addPeer(peer(3))).isFalse();
        assertThat(endpoint.peers()).containsExactly(peer(0), peer(3));
        endpoint.send(ByteBuffer.wrap(frame(BROADCAST, OURS, 4)));
        assertThat(received()).containsExactly(1, 0, 0, 1);
        fromPeer(3, VNI, frame(OURS, M2, 5));
        awaitDelivered(2);
        assertThat(endpoint.macPeer(VNI, M2)).contains(peer(3));
    }

    @Test
    void staticEntriesSendToTheirPeerAndDoNotMove() throws Exception {
        start(3, GeneveEndpoint.builder());
        assertThat(endpoint.addStaticMac(VNI, M2, peer(2))).isTrue();
        fromPeer(0, VNI, frame(OURS, M2, 1)); // the same MAC seen elsewhere: the static entry stays
        awaitDelivered(1);
        endpoint.send(ByteBuffer.wrap(frame(M2, OURS, 2)));
        assertThat(received()).containsExactly(0, 0, 1, 0);
        assertThat(endpoint.removeMac(VNI, M2)).isTrue();
        endpoint.send(ByteBuffer.wrap(frame(M2, OURS, 3)));
        assertThat(received()).containsExactly(1, 1, 1, 0);
    }

    @Test
    void severalVnisShareOneSocketEachWithItsDevice() throws Exception {
        MemoryDevice red = new MemoryDevice(false);
        MemoryDevice blue = new MemoryDevice(false);
        endpoint = GeneveEndpoint.builder().transport(transport).peer(peer(0)).peer(peer(1))
                .network(5000, red).network(5001, blue).start();
        assertThat(endpoint.vnis()).containsExactly(5000, 5001);
        fromPeer(0, 5001, frame(OURS, M1, 1));
        fromPeer(0, 5000, frame(OURS, M2, 2));
        fromPeer(0, 5002, frame(OURS, M2, 3));
        assertThat(red.writtenCount()).isEqualTo(1);
        assertThat(blue.writtenCount()).isEqualTo(1);
        assertThat(endpoint.stats().drops(DropReason.WRONG_VNI)).isEqualTo(1);
        assertThat(blue.written().get(0).bytes()).isEqualTo(frame(OURS, M1, 1));
        assertThat(endpoint.macPeer(5001, M1)).contains(peer(0));
        assertThat(endpoint.macPeer(5000, M1)).as("learned per VNI").isEmpty();
        blue.inject(frame(M1, OURS, 4));
        assertThat(Loopback.await(() -> transport.sent().size() == 1)).isTrue(); // read on blue's send thread
        assertThat(GeneveHeader.decode(transport.sent().get(0).bytes()).vni()).as("blue's frames go out with blue's VNI")
                .isEqualTo(5001);
        assertThat(received()).as("to the learned peer alone").containsExactly(1, 0, 0, 0);
        assertThat(endpoint.stats().macTables()).extracting(MacTableStats::vni).containsExactly(5000, 5001);
    }
}
