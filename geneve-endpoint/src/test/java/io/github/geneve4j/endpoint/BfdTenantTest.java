package io.github.geneve4j.endpoint;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.endpoint.bfd.BfdControlPacket;
import io.github.geneve4j.endpoint.bfd.BfdEncapsulation;
import io.github.geneve4j.endpoint.bfd.BfdSessionStatus;
import io.github.geneve4j.endpoint.bfd.BfdState;
import io.github.geneve4j.endpoint.bfd.BfdTimers;
import io.github.geneve4j.endpoint.testing.MemoryDevice;
import io.github.geneve4j.endpoint.testing.MemoryTransport;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 28 item 6: BFD from a tenant. A tenant behind B sent BFD-looking frames (state Down, Your
 * Discriminator 0, to the tunnel's BFD MAC and address) from B's TAP; B carried them to A, whose
 * session took them: A flapped and its remote discriminator became the tenant's. Two endpoints on
 * transports in memory (B with a device, A with a handler), BFD between them.
 */
@Timeout(60)
class BfdTenantTest {

    /** Slow enough that a loaded machine does not make the sessions flap (detection 3 s). */
    private static final BfdTimers TIMERS = BfdTimers.ofMillis(100, 100, 30);
    private static final int VNI = 5000;
    private static final InetSocketAddress A = new InetSocketAddress("127.0.0.1", 6081);
    private static final InetSocketAddress B = new InetSocketAddress("127.0.0.2", 6081);
    private static final long TENANT_MAC = 0x02_00_00_00_00_77L;
    private static final long OTHER_TENANT_MAC = 0x02_00_00_00_00_78L;
    private static final long FORGED_DISCRIMINATOR = 0x7E7E_7E7EL;
    /** A tenant's own BFD between its hosts (RFC 5881): its MACs, 10.0.0.1 to 10.0.0.2, port 3784, TTL 255. */
    private static final BfdEncapsulation TENANT_BFD = BfdEncapsulation.defaults(TENANT_MAC, 49152)
            .withDestinationMac(OTHER_TENANT_MAC).withAddresses(0x0A00_0001L, 0x0A00_0002L);

    /** A 66-byte inner frame with a control packet from {@code mine} to {@code yours}, addressed as {@code encap}. */
    static byte[] bfdFrame(BfdEncapsulation encap, BfdState state, long mine, long yours) {
        byte[] bytes = new byte[BfdEncapsulation.FRAME_LENGTH];
        MemorySegment segment = MemorySegment.ofArray(bytes);
        new BfdControlPacket(0, state, false, false, false, false, 3, mine, yours, 100_000, 100_000, 0)
                .encode(segment, BfdEncapsulation.CONTROL_PACKET_OFFSET);
        encap.writeHeaders(segment, 0);
        return bytes;
    }

    /** The same frame in a Geneve datagram of {@link #VNI}, the O bit as {@code encap} says. */
    static byte[] bfdDatagram(BfdEncapsulation encap, BfdState state, long mine, long yours) {
        return bfdDatagram(VNI, encap, state, mine, yours);
    }

    static byte[] bfdDatagram(int vni, BfdEncapsulation encap, BfdState state, long mine, long yours) {
        byte[] geneve = encap.geneveHeader(vni).toBytes();
        return ByteBuffer.allocate(geneve.length + BfdEncapsulation.FRAME_LENGTH).put(geneve)
                .put(bfdFrame(encap, state, mine, yours)).array();
    }

    /** A data frame from the tenant's host to one unknown MAC (flooded to every peer). */
    private static byte[] marker(int seed) {
        byte[] f = Loopback.frame(80, seed);
        f[0] = 0x02;
        return f;
    }

    private static BfdSessionStatus bfd(GeneveEndpoint e) {
        return e.stats().peers().get(0).bfd();
    }

    /** Whether one of the datagrams holds a BFD packet with My Discriminator {@code discriminator}. */
    private static boolean carries(List<MemoryTransport.Sent> sent, long discriminator) {
        int at = 8 + BfdEncapsulation.CONTROL_PACKET_OFFSET + 4;
        return sent.stream().map(MemoryTransport.Sent::bytes).anyMatch(d -> d.length >= at + 4
                && (ByteBuffer.wrap(d, at, 4).getInt() & 0xFFFF_FFFFL) == discriminator);
    }

    @Test
    void aTenantsBfdLookingFramesThroughBMoveNoSessionAtAWhileItsOwnBfdPassesBothWays() throws Exception {
        MemoryTransport ta = new MemoryTransport(A);
        MemoryTransport tb = new MemoryTransport(B);
        ta.connect(tb);
        MemoryDevice deviceB = new MemoryDevice(false);
        List<byte[]> deliveredA = new CopyOnWriteArrayList<>();
        BfdEncapsulation tunnelBfd = BfdEncapsulation.defaults(TENANT_MAC, 49152);
        byte[] forged = bfdFrame(tunnelBfd, BfdState.DOWN, FORGED_DISCRIMINATOR, 0);
        AtomicReference<Boolean> replied = new AtomicReference<>();
        try (GeneveEndpoint a = GeneveEndpoint.builder().transport(ta).peer(B).vni(VNI).bfd(TIMERS)
                .handler(f -> {
                    byte[] bytes = f.toByteArray();
                    deliveredA.add(bytes);
                    if (Arrays.equals(bytes, marker(2))) {
                        replied.set(f.reply(ByteBuffer.wrap(forged))); // a handler's reply is inner side too
                    }
                }).start();
             GeneveEndpoint b = GeneveEndpoint.builder().transport(tb).peer(A).vni(VNI).bfd(TIMERS).device(deviceB)
                     .start()) {
            assertThat(Loopback.await(() -> bfd(a).state() == BfdState.UP && bfd(b).state() == BfdState.UP))
                    .as("%s / %s", bfd(a), bfd(b)).isTrue();
            BfdSessionStatus before = bfd(a);

            // the attack: from B's device, frames addressed as the tunnel's BFD, then a data frame
            int attacks = 20;
            for (int i = 0; i < attacks; i++) {
                deviceB.inject(forged);
            }
            deviceB.inject(marker(1));
            // A handles what B sent in order: once the data frame is delivered, so is anything before it
            assertThat(Loopback.await(() -> deliveredA.stream().anyMatch(d -> Arrays.equals(d, marker(1)))))
                    .as("%s", b.stats()).isTrue();
            assertThat(b.stats().drops(DropReason.BFD_FROM_INNER_SIDE)).isEqualTo(attacks);
            assertThat(carries(tb.sent(), FORGED_DISCRIMINATOR)).as("never sent to a peer").isFalse();
            BfdSessionStatus after = bfd(a);
            assertThat(after.state()).isEqualTo(BfdState.UP);
            assertThat(after.upTransitions()).isEqualTo(before.upTransitions());
            assertThat(after.remoteDiscriminator()).isEqualTo(bfd(b).localDiscriminator());
            assertThat(a.stats().drops()).isEmpty();

            // a handler's send and reply addressed as the tunnel's BFD: dropped, counted, not sent
            assertThat(a.send(ByteBuffer.wrap(forged))).isFalse();
            deviceB.inject(marker(2));
            assertThat(Loopback.await(() -> replied.get() != null)).isTrue();
            assertThat(replied.get()).isFalse();
            assertThat(a.stats().drops(DropReason.BFD_FROM_INNER_SIDE)).isEqualTo(2);
            assertThat(carries(ta.sent(), FORGED_DISCRIMINATOR)).isFalse();

            // a tenant's own RFC 5881 BFD between its hosts is data, both ways
            byte[] tenant = bfdFrame(TENANT_BFD, BfdState.DOWN, 0x1234, 0);
            deviceB.inject(tenant);
            assertThat(Loopback.await(() -> deliveredA.stream().anyMatch(d -> Arrays.equals(d, tenant))))
                    .as("%s", a.stats()).isTrue();
            byte[] back = bfdFrame(TENANT_BFD.withDestinationMac(TENANT_MAC).withAddresses(0x0A00_0002L, 0x0A00_0001L),
                    BfdState.INIT, 0x5678, 0x1234);
            assertThat(a.send(ByteBuffer.wrap(back))).isTrue();
            assertThat(Loopback.await(() -> deviceB.written().stream().anyMatch(w -> Arrays.equals(w.bytes(), back))))
                    .isTrue();
            assertThat(bfd(a).state()).isEqualTo(BfdState.UP);
            assertThat(bfd(a).upTransitions()).isEqualTo(before.upTransitions());
            assertThat(b.stats().drops(DropReason.BFD_FROM_INNER_SIDE)).isEqualTo(attacks);
        }
    }

    /** One endpoint with BFD towards B (no endpoint there: the test speaks for B), on a transport in memory. */
    private static GeneveEndpoint endpoint(MemoryTransport t, GeneveEndpoint.Builder builder) throws Exception {
        return builder.transport(t).peer(B).vni(VNI).bfd(TIMERS).handler(f -> { }).start();
    }

    private static void fromB(MemoryTransport t, byte[] datagram) throws InterruptedException {
        t.inject(datagram, new InetSocketAddress(B.getAddress(), 49_999));
        t.awaitCaughtUp();
    }

    @Test
    void withRequireOamAPacketWithoutTheOBitIsDroppedAndCounted() throws Exception {
        MemoryTransport t = new MemoryTransport(A);
        try (GeneveEndpoint a = endpoint(t, GeneveEndpoint.builder().bfdRequireOam(true))) {
            BfdEncapsulation ovs = BfdEncapsulation.defaults(0x02_00_00_00_00_0BL, 49152);
            fromB(t, bfdDatagram(ovs.withOam(false), BfdState.DOWN, 7, 0));
            assertThat(a.stats().drops(DropReason.BFD_NOT_OAM)).isEqualTo(1);
            assertThat(bfd(a).packetsAccepted()).isZero();
            fromB(t, bfdDatagram(ovs.withOam(true), BfdState.DOWN, 7, 0));
            assertThat(bfd(a).packetsAccepted()).isEqualTo(1);
            assertThat(a.stats().drops(DropReason.BFD_NOT_OAM)).isEqualTo(1);
        }
        // by default, either is taken (OVS clears the O bit unless bfd:oam=true)
        MemoryTransport t2 = new MemoryTransport(A);
        try (GeneveEndpoint a = endpoint(t2, GeneveEndpoint.builder())) {
            fromB(t2, bfdDatagram(BfdEncapsulation.defaults(0x02_00_00_00_00_0BL, 49152).withOam(false), BfdState.DOWN, 7, 0));
            assertThat(bfd(a).packetsAccepted()).isEqualTo(1);
            assertThat(a.stats().drops()).isEmpty();
        }
    }

    @Test
    void anExplicitInnerSourceIsCheckedAndTheDestinationAlways() throws Exception {
        Inet4Address source = (Inet4Address) InetAddress.getByName("169.254.1.1");
        Inet4Address destination = (Inet4Address) InetAddress.getByName("169.254.1.0");
        BfdEncapsulation ovs = BfdEncapsulation.defaults(0x02_00_00_00_00_0BL, 49152);
        BfdEncapsulation elsewhere = ovs.withAddresses(0xA9FE_0105L, BfdEncapsulation.OVS_DESTINATION_ADDRESS);
        MemoryTransport t = new MemoryTransport(A);
        try (GeneveEndpoint a = endpoint(t, GeneveEndpoint.builder().bfdInnerAddresses(source, destination))) {
            fromB(t, bfdDatagram(elsewhere, BfdState.DOWN, 7, 0));
            assertThat(a.stats().drops(DropReason.BFD_WRONG_SOURCE)).isEqualTo(1);
            assertThat(bfd(a).packetsAccepted()).isZero();
            fromB(t, bfdDatagram(ovs, BfdState.DOWN, 7, 0));
            assertThat(bfd(a).packetsAccepted()).isEqualTo(1);
        }
        // the destination alone given: any source, but only that destination (others are data)
        List<byte[]> delivered = new CopyOnWriteArrayList<>();
        MemoryTransport t2 = new MemoryTransport(A);
        try (GeneveEndpoint a = GeneveEndpoint.builder().transport(t2).peer(B).vni(VNI).bfd(TIMERS)
                .bfdInnerDestination((Inet4Address) InetAddress.getByName("169.254.9.9"))
                .handler(f -> delivered.add(f.toByteArray())).start()) {
            // without the O bit (an O-bit packet's payload is never data, RFC 8926 §3.4)
            fromB(t2, bfdDatagram(ovs.withOam(false), BfdState.DOWN, 7, 0));
            assertThat(delivered).as("to 169.254.1.0: not this tunnel's BFD, data").hasSize(1);
            assertThat(bfd(a).packetsAccepted()).isZero();
            fromB(t2, bfdDatagram(elsewhere.withAddresses(0xA9FE_0105L, 0xA9FE_0909L), BfdState.DOWN, 7, 0));
            assertThat(bfd(a).packetsAccepted()).isEqualTo(1);
            assertThat(a.stats().drops()).isEmpty();
        }
    }

    @Test
    void bfdIsTakenOnTheSessionsVniAloneOnAnotherItIsThatVnisData() throws Exception {
        MemoryTransport t = new MemoryTransport(A);
        MemoryDevice first = new MemoryDevice(false);
        MemoryDevice second = new MemoryDevice(false);
        BfdEncapsulation ovs = BfdEncapsulation.defaults(0x02_00_00_00_00_0BL, 49152).withOam(false);
        try (GeneveEndpoint a = GeneveEndpoint.builder().transport(t).peer(B).bfd(TIMERS)
                .network(VNI, first).network(VNI + 1, second).start()) {
            byte[] other = bfdDatagram(VNI + 1, ovs, BfdState.DOWN, 7, 0);
            fromB(t, other);
            assertThat(bfd(a).packetsAccepted()).as("the sessions run on VNI %d", VNI).isZero();
            assertThat(Loopback.await(() -> second.writtenCount() == 1)).isTrue();
            assertThat(second.written().get(0).bytes()).isEqualTo(Arrays.copyOfRange(other, 8, other.length));
            fromB(t, bfdDatagram(VNI, ovs, BfdState.DOWN, 7, 0));
            assertThat(bfd(a).packetsAccepted()).isEqualTo(1);
            assertThat(first.writtenCount()).isZero();
            assertThat(a.stats().drops()).isEmpty();
        }
    }
}
