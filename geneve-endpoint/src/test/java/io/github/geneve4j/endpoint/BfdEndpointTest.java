package io.github.geneve4j.endpoint;

import static io.github.geneve4j.endpoint.Loopback.address;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.codec.net.Ipv4View;
import io.github.geneve4j.endpoint.bfd.BfdControlPacket;
import io.github.geneve4j.endpoint.bfd.BfdDiagnostic;
import io.github.geneve4j.endpoint.bfd.BfdEncapsulation;
import io.github.geneve4j.endpoint.bfd.BfdSessionStatus;
import io.github.geneve4j.endpoint.bfd.BfdState;
import io.github.geneve4j.endpoint.bfd.BfdTimers;
import io.github.geneve4j.endpoint.spi.ChannelTransport;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** BFD run by the engine between two endpoints with handlers on loopback (no root needed). */
@Timeout(60)
class BfdEndpointTest {

    /** 40 ms each way, multiplier 5: a detection time of 200 ms (a loaded machine must not make it flap). */
    static final BfdTimers FAST = BfdTimers.ofMillis(40, 40, 5);

    record Change(long nanos, InetSocketAddress peer, BfdState from, BfdState to, BfdDiagnostic diagnostic) {
    }

    /** Geneve datagrams an endpoint sent, as bytes. */
    static final class Sent implements GeneveEndpoint.SendObserver {
        final List<byte[]> datagrams = new CopyOnWriteArrayList<>();

        @Override
        public void sent(MemorySegment buffer, long offset, long length, InetSocketAddress to) {
            datagrams.add(buffer.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE));
        }

        /** The BFD datagrams: inner IPv4/UDP to 3784. */
        List<byte[]> bfd() {
            return datagrams.stream().filter(d -> d.length == 8 + 66 && (d[8 + 36] & 0xFF) == 0x0E
                    && (d[8 + 37] & 0xFF) == 0xC8).toList();
        }
    }

    /**
     * An endpoint's clock the test can stop and move: the real monotonic time (plus an offset) until
     * {@link #freeze()}, then what the test sets, until {@link #resume()} (which never goes back).
     */
    static final class TestClock implements LongSupplier {
        private volatile long offset;
        private volatile long frozenAt = Long.MIN_VALUE;

        @Override
        public long getAsLong() {
            long f = frozenAt;
            return f != Long.MIN_VALUE ? f : System.nanoTime() + offset;
        }

        long freeze() {
            frozenAt = System.nanoTime() + offset;
            return frozenAt;
        }

        void set(long nanos) {
            frozenAt = nanos;
        }

        void resume() {
            offset = frozenAt - System.nanoTime();
            frozenAt = Long.MIN_VALUE;
        }
    }

    private static GeneveEndpoint.Builder endpoint(ChannelTransport udp, InetSocketAddress peer, List<Change> changes,
            AtomicLong delivered, LongSupplier clock) {
        return GeneveEndpoint.builder().transport(udp).peer(peer).vni(5000).bfd(FAST).clock(clock)
                .bfdListener((p, from, to, diag) -> changes.add(new Change(clock.getAsLong(), p, from, to, diag)))
                .handler(f -> delivered.incrementAndGet());
    }

    private static GeneveEndpoint.Builder endpoint(ChannelTransport udp, InetSocketAddress peer, List<Change> changes,
            AtomicLong delivered) {
        return endpoint(udp, peer, changes, delivered, System::nanoTime);
    }

    private static BfdSessionStatus bfd(GeneveEndpoint endpoint) {
        return endpoint.stats().peers().get(0).bfd();
    }

    @Test
    void sessionsComeUpGateDataWhileThePeerIsGoneAndComeBackWithItsNewDiscriminator() throws Exception {
        List<Change> atA = new CopyOnWriteArrayList<>();
        List<Change> atB = new CopyOnWriteArrayList<>();
        AtomicLong deliveredA = new AtomicLong();
        AtomicLong deliveredB = new AtomicLong();
        Sent sentA = new Sent();
        Sent sentB = new Sent();
        ChannelTransport udpA = ChannelTransport.open(address("127.0.0.1", 0));
        ChannelTransport udpB = ChannelTransport.open(address("127.0.0.2", 0));
        InetSocketAddress addressB = udpB.localAddress();
        TestClock clockA = new TestClock();
        try (GeneveEndpoint a = endpoint(udpA, addressB, atA, deliveredA, clockA).sendObserver(sentA).start()) {
            GeneveEndpoint b = endpoint(udpB, udpA.localAddress(), atB, deliveredB).bfdOam(false).sendObserver(sentB)
                    .start();
            long started = System.nanoTime();
            long frozen;
            try {
                // the slow rate (1 s) until Up: Down -> Init on the first packets, Up on the next
                assertThat(Loopback.await(() -> bfd(a).state() == BfdState.UP && bfd(b).state() == BfdState.UP))
                        .as("%s / %s", bfd(a), bfd(b)).isTrue();
                System.out.printf("BFD up after %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
                assertThat(Loopback.await(() -> !atA.isEmpty() && atA.getLast().to() == BfdState.UP)).isTrue();
                // Down -> Init -> Up, or Down -> Up when the peer's Init came first (RFC 5880 §6.8.6)
                assertThat(atA.getFirst().from()).isEqualTo(BfdState.DOWN);
                assertThat(atA.getFirst().to()).isIn(BfdState.INIT, BfdState.UP);
                assertThat(atA).allSatisfy(c -> assertThat(c.peer()).isEqualTo(addressB));
                assertThat(bfd(a).remoteDiscriminator()).isEqualTo(bfd(b).localDiscriminator());
                // the O bit as each side was told, each side taking the other's
                assertThat(sentA.bfd()).isNotEmpty().allSatisfy(d -> assertThat(d[1] & 0x80).isEqualTo(0x80));
                assertThat(sentB.bfd()).isNotEmpty().allSatisfy(d -> assertThat(d[1] & 0x80).isZero());
                // consumed, never delivered, never counted as data or as drops
                Thread.sleep(200);
                assertThat(deliveredA.get() + deliveredB.get()).isZero();
                assertThat(a.stats().framesFromTunnel() + b.stats().framesFromTunnel()).isZero();
                assertThat(a.stats().drops()).isEmpty();
                assertThat(b.stats().drops()).isEmpty();
                assertThat(a.stats().format()).endsWith(", bfd [127.0.0.2:" + addressB.getPort() + " up diag=none ups="
                        + bfd(a).upTransitions() + "]");
                assertThat(a.send(ByteBuffer.wrap(Loopback.frame(100, 1)))).isTrue();
                assertThat(Loopback.await(() -> deliveredB.get() == 1)).isTrue();
                // A's time stops: B's last packet reaches A at `frozen` at the latest
                frozen = clockA.freeze();
            } finally {
                b.close();
            }
            int before = atA.size();
            // B is gone, but on A's clock no time has passed: nothing is detected, however long the machine takes
            Thread.sleep(300);
            assertThat(bfd(a).state()).isEqualTo(BfdState.UP);
            // A's clock passes B's last packet + the detection time (5 x 40 ms): Down, diagnostic 1, by then
            clockA.set(frozen + TimeUnit.MILLISECONDS.toNanos(200) + 1);
            assertThat(Loopback.await(() -> atA.size() > before)).as("%s", bfd(a)).isTrue();
            Change down = atA.get(before);
            assertThat(down.from()).isEqualTo(BfdState.UP);
            assertThat(down.to()).isEqualTo(BfdState.DOWN);
            assertThat(down.diagnostic()).isEqualTo(BfdDiagnostic.CONTROL_DETECTION_TIME_EXPIRED);
            assertThat(down.nanos()).as("told on A's clock").isEqualTo(frozen + TimeUnit.MILLISECONDS.toNanos(200) + 1);
            clockA.resume();
            assertThat(bfd(a).remoteDiscriminator()).isZero(); // RFC 5880 §6.8.1
            // data to B stops, counted
            assertThat(a.send(ByteBuffer.wrap(Loopback.frame(100, 2)))).isFalse();
            assertThat(a.stats().drops(DropReason.PEER_DOWN)).isEqualTo(1);
            assertThat(a.stats().peers().get(0).framesSent()).isEqualTo(1);

            // B again, a new session (a new discriminator): A takes it in
            ChannelTransport udpB2 = ChannelTransport.open(addressB);
            AtomicLong delivered2 = new AtomicLong();
            try (GeneveEndpoint b2 = endpoint(udpB2, udpA.localAddress(), new CopyOnWriteArrayList<>(), delivered2)
                    .start()) {
                assertThat(Loopback.await(() -> bfd(a).state() == BfdState.UP && bfd(b2).state() == BfdState.UP))
                        .as("%s / %s", bfd(a), bfd(b2)).isTrue();
                assertThat(bfd(a).remoteDiscriminator()).isEqualTo(bfd(b2).localDiscriminator());
                assertThat(bfd(a).upTransitions()).isGreaterThanOrEqualTo(2);
                assertThat(a.send(ByteBuffer.wrap(Loopback.frame(100, 3)))).isTrue();
                assertThat(Loopback.await(() -> delivered2.get() == 1)).isTrue();
            }
        }
    }

    @Test
    void bfdFramesThatAreNotAcceptableAreConsumedAndCountedByReason() throws Exception {
        AtomicLong delivered = new AtomicLong();
        try (DatagramChannel peer = Loopback.socket("127.0.0.2");
             GeneveEndpoint endpoint = GeneveEndpoint.builder().local(address("127.0.0.1", 0))
                     .peer((InetSocketAddress) peer.getLocalAddress()).vni(5000).bfd(FAST)
                     .handler(f -> delivered.incrementAndGet()).start();
             DatagramChannel stranger = Loopback.socket("127.0.0.3")) {
            InetSocketAddress to = endpoint.localAddress();
            long ours = bfd(endpoint).localDiscriminator();
            long wrong = ours == 0xFFFF_FFFFL ? 1 : ours + 1;
            peer.send(ByteBuffer.wrap(bfdDatagram(BfdState.UP, 7, wrong, 255, true)), to);
            peer.send(ByteBuffer.wrap(bfdDatagram(BfdState.DOWN, 7, 0, 254, true)), to);
            byte[] badChecksum = bfdDatagram(BfdState.DOWN, 7, 0, 255, false);
            badChecksum[8 + 14 + 10] ^= 1;
            peer.send(ByteBuffer.wrap(badChecksum), to);
            byte[] badVersion = bfdDatagram(BfdState.DOWN, 7, 0, 255, false);
            badVersion[8 + BfdEncapsulation.CONTROL_PACKET_OFFSET] = (byte) 0x41; // version 2
            peer.send(ByteBuffer.wrap(badVersion), to);
            peer.send(Loopback.datagram(5000, Loopback.frame(80, 1)), to); // data still goes through
            assertThat(Loopback.await(() -> endpoint.stats().drops(DropReason.BFD_DISCARDED) == 1
                    && endpoint.stats().drops(DropReason.BFD_TTL_NOT_255) == 1
                    && endpoint.stats().drops(DropReason.BFD_MALFORMED) == 2 && delivered.get() == 1))
                    .as("%s", endpoint.stats()).isTrue();
            assertThat(bfd(endpoint).state()).isEqualTo(BfdState.DOWN);
            assertThat(bfd(endpoint).packetsAccepted()).isZero();
        }
    }

    /**
     * A Geneve datagram (VNI 5000, O bit set) with a BFD control packet from discriminator
     * {@code mine} to {@code yours}, inner TTL {@code ttl}.
     */
    static byte[] bfdDatagram(BfdState state, long mine, long yours, int ttl, boolean oam) {
        byte[] bytes = new byte[8 + BfdEncapsulation.FRAME_LENGTH];
        MemorySegment segment = MemorySegment.ofArray(bytes);
        BfdEncapsulation encap = BfdEncapsulation.defaults(0x02_00_00_00_00_02L, 49152).withOam(oam);
        MemorySegment.copy(encap.geneveHeader(5000).toBytes(), 0, segment, ValueLayout.JAVA_BYTE, 0, 8);
        new BfdControlPacket(0, state, false, false, false, false, 3, mine, yours, 40_000, 40_000, 0)
                .encode(segment, 8 + BfdEncapsulation.CONTROL_PACKET_OFFSET);
        encap.writeHeaders(segment, 8);
        if (ttl != 255) {
            // the UDP checksum does not cover the TTL: only the IPv4 one changes
            new Ipv4View().wrap(segment, 8 + 14, 52).ttl(ttl).updateChecksum();
        }
        return bytes;
    }

    @Test
    void aPeerAddedAtRunTimeGetsASessionAndOneRemovedLosesIt() throws Exception {
        List<Change> atA = new CopyOnWriteArrayList<>();
        AtomicLong delivered = new AtomicLong();
        ChannelTransport udpA = ChannelTransport.open(address("127.0.0.1", 0));
        ChannelTransport udpB = ChannelTransport.open(address("127.0.0.2", 0));
        try (DatagramChannel silent = DatagramChannel.open().bind(address("127.0.0.3", 0));
                GeneveEndpoint a = endpoint(udpA, (InetSocketAddress) silent.getLocalAddress(), atA, delivered).start();
                GeneveEndpoint b = endpoint(udpB, udpA.localAddress(), new CopyOnWriteArrayList<>(), delivered).start()) {
            assertThat(a.addPeer(udpB.localAddress())).isTrue();
            assertThat(a.peers()).hasSize(2);
            java.util.function.Supplier<BfdSessionStatus> toB = () -> a.stats().peers().get(1).bfd();
            assertThat(Loopback.await(() -> toB.get().state() == BfdState.UP && bfd(b).state() == BfdState.UP))
                    .as("%s / %s", toB.get(), bfd(b)).isTrue();
            assertThat(bfd(a).state()).as("the silent peer").isNotEqualTo(BfdState.UP);
            assertThat(atA).anySatisfy(c -> {
                assertThat(c.peer()).isEqualTo(udpB.localAddress());
                assertThat(c.to()).isEqualTo(BfdState.UP);
            });
            assertThat(a.removePeer(udpB.localAddress())).isTrue();
            // B stops hearing A: its session goes down within its detection time
            assertThat(Loopback.await(() -> bfd(b).state() == BfdState.DOWN)).as("%s", bfd(b)).isTrue();
            assertThat(a.stats().peers()).hasSize(1);
        }
    }
}
