package io.github.geneve4j.endpoint;

import static io.github.geneve4j.endpoint.Loopback.address;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.endpoint.spi.ChannelTransport;
import io.github.geneve4j.endpoint.testing.MemoryTransport;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The engine over the JDK transport with in-process handlers, on loopback (no root needed). */
@Timeout(60)
class GeneveEndpointTest {

    @Test
    void carriesFramesBothWaysAndCountsThemExactly() throws Exception {
        List<byte[]> atB = Collections.synchronizedList(new ArrayList<>());
        List<byte[]> atA = Collections.synchronizedList(new ArrayList<>());
        ChannelTransport udpA = ChannelTransport.open(address("127.0.0.1", 0));
        ChannelTransport udpB = ChannelTransport.open(address("127.0.0.2", 0));
        try (GeneveEndpoint a = GeneveEndpoint.builder().transport(udpA).peer(udpB.localAddress()).vni(5000)
                .handler(f -> atA.add(f.toByteArray())).start();
             GeneveEndpoint endB = GeneveEndpoint.builder().transport(udpB).peer(udpA.localAddress()).vni(5000)
                .handler(f -> {
                    atB.add(f.toByteArray());
                    assertThat(f.peer()).isEqualTo(udpA.localAddress());
                    assertThat(f.vni()).isEqualTo(5000);
                    f.reply(f.segment(), f.offset(), f.length()); // echo, through the frame
                }).start()) {
            long bytes = 0;
            List<byte[]> sent = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                byte[] frame = Loopback.frame(60 + 137 * i, i);
                sent.add(frame);
                bytes += frame.length;
                if (i % 2 == 0) {
                    assertThat(a.send(ByteBuffer.wrap(frame))).isTrue();
                } else {
                    assertThat(a.send(java.lang.foreign.MemorySegment.ofArray(frame), 0, frame.length)).isTrue();
                }
                int expected = i + 1;
                assertThat(Loopback.await(() -> atA.size() == expected)).isTrue(); // in order, one at a time
            }
            assertThat(atB).usingElementComparator(java.util.Arrays::compare).containsExactlyElementsOf(sent);
            assertThat(atA).usingElementComparator(java.util.Arrays::compare).containsExactlyElementsOf(sent);
            // a sender counts once its send returns, which may be after the datagram arrived
            assertThat(Loopback.await(() -> endB.stats().framesToTunnel() == 10 && a.stats().framesToTunnel() == 10))
                    .isTrue();
            EndpointStats sa = a.stats();
            EndpointStats sb = endB.stats();
            assertThat(sa.framesToTunnel()).isEqualTo(10);
            assertThat(sa.bytesToTunnel()).isEqualTo(bytes);
            assertThat(sa.framesFromTunnel()).isEqualTo(10);
            assertThat(sa.bytesFromTunnel()).isEqualTo(bytes);
            assertThat(sa.sends()).isEqualTo(10);
            assertThat(sa.receives()).isEqualTo(10);
            assertThat(sb.framesFromTunnel()).isEqualTo(10);
            assertThat(sb.framesToTunnel()).isEqualTo(10);
            assertThat(sa.drops()).isEmpty();
            assertThat(sb.drops()).isEmpty();
            assertThat(sa.peers()).containsExactly(new PeerStats(udpB.localAddress(), 10, bytes, 10, bytes, 10, 10));
            assertThat(sb.peers()).containsExactly(new PeerStats(udpA.localAddress(), 10, bytes, 10, bytes, 0, 10));
            assertThat(sa.superFrames() + sa.segments() + sa.coalescedWrites() + sa.coalescedDatagrams()).isZero();
        }
    }

    @Test
    void closeEndsItsThreadAndReleasesItsSocket() throws Exception {
        InetSocketAddress local = address("127.0.0.1", 0);
        GeneveEndpoint endpoint = GeneveEndpoint.builder().local(local).peer(address("127.0.0.2", 6081))
                .handler(f -> { }).start();
        InetSocketAddress bound = endpoint.localAddress();
        assertThat(Loopback.workers(endpoint)).hasSize(1);
        assertThat(endpoint.isRunning()).isTrue();
        endpoint.close();
        assertThat(endpoint.isRunning()).isFalse();
        assertThat(Loopback.workers(endpoint)).isEmpty();
        assertThat(endpoint.failure()).isEmpty();
        try (DatagramChannel again = DatagramChannel.open()) {
            again.bind(bound); // the port is free again
        }
        endpoint.close(); // idempotent
        assertThat(endpoint.send(ByteBuffer.wrap(Loopback.frame(60, 1)))).isFalse();
    }

    @Test
    void aHandlerThatThrowsStopsTheEndpointWithThatFailure() throws Exception {
        IllegalStateException boom = new IllegalStateException("boom");
        AtomicReference<Throwable> reported = new AtomicReference<>();
        try (DatagramChannel peer = Loopback.socket("127.0.0.2")) {
            GeneveEndpoint endpoint = GeneveEndpoint.builder().local(address("127.0.0.1", 0))
                    .peer((InetSocketAddress) peer.getLocalAddress()).vni(7)
                    .handler(f -> {
                        throw boom;
                    }).onFailure(reported::set).start();
            peer.send(Loopback.datagram(7, Loopback.frame(64, 3)), endpoint.localAddress());
            assertThat(endpoint.awaitStop(Duration.ofSeconds(10))).isTrue();
            assertThat(endpoint.isRunning()).isFalse();
            assertThat(endpoint.failure()).containsSame(boom);
            assertThat(reported.get()).isSameAs(boom);
            assertThatThrownBy(endpoint::close).isInstanceOf(EndpointFailedException.class).hasCause(boom)
                    .hasMessageContaining("boom");
            assertThat(Loopback.workers(endpoint)).isEmpty();
        }
    }

    @Test
    void aDatagramFromANonPeerNeverReachesTheHandlerAndIsCounted() throws Exception {
        List<byte[]> delivered = Collections.synchronizedList(new ArrayList<>());
        try (DatagramChannel peer = Loopback.socket("127.0.0.2");
             DatagramChannel stranger = Loopback.socket("127.0.0.3");
             GeneveEndpoint endpoint = GeneveEndpoint.builder().local(address("127.0.0.1", 0))
                     .peer(address("127.0.0.2", ((InetSocketAddress) peer.getLocalAddress()).getPort())).vni(5000)
                     .handler(f -> delivered.add(f.toByteArray())).start()) {
            for (int i = 0; i < 25; i++) {
                stranger.send(Loopback.datagram(5000, Loopback.frame(64, i)), endpoint.localAddress());
            }
            assertThat(Loopback.await(() -> endpoint.stats().drops(DropReason.NOT_A_PEER) == 25)).isTrue();
            // the peer's own datagram, from another source port than the one configured, is accepted
            try (DatagramChannel peerOtherPort = Loopback.socket("127.0.0.2")) {
                peerOtherPort.send(Loopback.datagram(5000, Loopback.frame(64, 99)), endpoint.localAddress());
            }
            assertThat(Loopback.await(() -> delivered.size() == 1)).isTrue();
            assertThat(delivered.get(0)).isEqualTo(Loopback.frame(64, 99));
            EndpointStats stats = endpoint.stats();
            assertThat(stats.drops()).containsOnlyKeys(DropReason.NOT_A_PEER);
            assertThat(stats.drops(DropReason.NOT_A_PEER)).isEqualTo(25);
            assertThat(stats.framesFromTunnel()).isEqualTo(1);
            assertThat(stats.receives()).isEqualTo(26);
        }
    }

    @Test
    void eachReceiveCheckDropsUnderItsOwnReason() throws Exception {
        List<byte[]> delivered = Collections.synchronizedList(new ArrayList<>());
        try (DatagramChannel peer = Loopback.socket("127.0.0.2");
             GeneveEndpoint endpoint = GeneveEndpoint.builder().local(address("127.0.0.1", 0))
                     .peer((InetSocketAddress) peer.getLocalAddress()).vni(5000)
                     .handler(f -> delivered.add(f.toByteArray())).start()) {
            InetSocketAddress to = endpoint.localAddress();
            peer.send(Loopback.datagram(5001, Loopback.frame(64, 1)), to);                       // WRONG_VNI
            peer.send(ByteBuffer.wrap(new byte[] {(byte) 0x40, 0, 0x65, 0x58, 0, 0x13, (byte) 0x88, 0}), to); // version 1
            peer.send(ByteBuffer.wrap(new byte[] {0, 0, 0x65}), to);                              // truncated
            ByteBuffer ipv4 = Loopback.datagram(5000, Loopback.frame(64, 2));
            ipv4.put(2, (byte) 0x08).put(3, (byte) 0x00);                                         // WRONG_PROTOCOL
            peer.send(ipv4, to);
            ByteBuffer oam = Loopback.datagram(5000, Loopback.frame(64, 3));
            oam.put(1, (byte) 0x80);                                                             // CONTROL
            peer.send(oam, to);
            peer.send(Loopback.datagram(5000, Loopback.frame(64, 4),
                    new GeneveOption(0xFFFF, 0x80, new byte[4])), to);                            // UNKNOWN_CRITICAL_OPTION
            peer.send(Loopback.datagram(5000, new byte[13]), to);                                 // RUNT_FRAME
            peer.send(Loopback.datagram(5000, Loopback.frame(64, 5),
                    new GeneveOption(0xFFFF, 0x10, new byte[4])), to);                            // unknown, not critical: kept
            assertThat(Loopback.await(() -> delivered.size() == 1 && endpoint.stats().totalDrops() == 7)).isTrue();
            assertThat(delivered.get(0)).isEqualTo(Loopback.frame(64, 5));
            assertThat(endpoint.stats().drops()).containsExactlyInAnyOrderEntriesOf(java.util.Map.of(
                    DropReason.WRONG_VNI, 1L, DropReason.MALFORMED, 2L, DropReason.WRONG_PROTOCOL, 1L,
                    DropReason.CONTROL, 1L, DropReason.UNKNOWN_CRITICAL_OPTION, 1L, DropReason.RUNT_FRAME, 1L));
        }
    }

    @Test
    void aTestToolThatAcceptsAnySourceRepliesToEachSendersAddressAtTheReplyPortNotItsSourcePort() throws Exception {
        try (DatagramChannel replies4 = Loopback.socket("127.0.0.4");
             DatagramChannel replies5 = Loopback.socket("127.0.0.5")) {
            int replyPort = ((InetSocketAddress) replies4.getLocalAddress()).getPort();
            replies5.close();
            try (DatagramChannel listen5 = DatagramChannel.open()) {
                listen5.bind(address("127.0.0.5", replyPort));
                try (GeneveEndpoint responder = GeneveEndpoint.builder().local(address("127.0.0.1", 0))
                        .acceptAnySource(true).replyPort(replyPort).vni(9)
                        .handler(f -> f.reply(f.segment(), f.offset(), f.length())).start();
                     DatagramChannel client4 = Loopback.socket("127.0.0.4");
                     DatagramChannel client5 = Loopback.socket("127.0.0.5")) {
                    client4.send(Loopback.datagram(9, Loopback.frame(70, 4)), responder.localAddress());
                    ByteBuffer got = ByteBuffer.allocate(2048);
                    replies4.receive(got);
                    assertThat(got.flip().remaining()).isEqualTo(8 + 70);
                    client5.send(Loopback.datagram(9, Loopback.frame(80, 5)), responder.localAddress());
                    got.clear();
                    listen5.receive(got); // the second sender's reply went to it, not to the first
                    assertThat(got.flip().remaining()).isEqualTo(8 + 80);
                    assertThat(responder.stats().peers()).isEmpty();
                    // counted once the send returns, which may be after the reply arrived
                    assertThat(Loopback.await(() -> responder.stats().framesToTunnel() == 2)).isTrue();
                }
            }
        }
    }

    @Test
    void aKernelFilterIsAskedForThePeersAddressesAndItsAbsenceIsSaid() throws Exception {
        List<String> warnings = Collections.synchronizedList(new ArrayList<>());
        // the JDK's channel cannot filter in the kernel: said once, and the endpoint still drops strangers
        try (GeneveEndpoint endpoint = GeneveEndpoint.builder().local(address("127.0.0.1", 0))
                .peer(address("127.0.0.2", 6081)).peer(address("127.0.0.3", 6082)).kernelFilter(true)
                .onWarning(warnings::add).handler(f -> { }).start()) {
            assertThat(warnings).containsExactly("the transport cannot drop non-peers in the kernel; the endpoint drops them");
        }
        // a transport that can: it is asked once, with each peer's address
        MemoryTransport filtering = new MemoryTransport(address("127.0.0.1", 6081));
        filtering.filtersSources(true);
        warnings.clear();
        try (GeneveEndpoint endpoint = GeneveEndpoint.builder().transport(filtering).peer(address("127.0.0.2", 6081))
                .peer(address("127.0.0.3", 6081)).kernelFilter(true)
                .onWarning(warnings::add).handler(f -> { }).start()) {
            assertThat(filtering.sourcesAsked()).hasSize(1);
            assertThat(filtering.sourcesAsked().get(0)).containsExactly(java.net.InetAddress.getByName("127.0.0.2"),
                    java.net.InetAddress.getByName("127.0.0.3"));
            assertThat(warnings).isEmpty();
            // the kernel's list follows the peers at run time
            endpoint.addPeer(address("127.0.0.4", 6081));
            endpoint.removePeer(address("127.0.0.2", 6081));
            assertThat(filtering.sourcesAsked()).hasSize(3);
            assertThat(filtering.sourcesAsked().get(2)).containsExactly(java.net.InetAddress.getByName("127.0.0.3"),
                    java.net.InetAddress.getByName("127.0.0.4"));
        }
    }

    /**
     * Issue 28 item 7: a transport whose kernel filter cannot take the peer set any more (a BPF
     * program past its size, detached) says so by returning false; the endpoint ignored it, and a
     * peer added at run time was dropped in silence. Now it warns, once.
     */
    @Test
    void aKernelFilterThatStopsFilteringAfterAPeerChangeIsSaidOnce() throws Exception {
        List<String> warnings = Collections.synchronizedList(new ArrayList<>());
        MemoryTransport filtering = new MemoryTransport(address("127.0.0.1", 6081));
        filtering.filtersSources(true);
        try (GeneveEndpoint endpoint = GeneveEndpoint.builder().transport(filtering).peer(address("127.0.0.2", 6081))
                .kernelFilter(true).onWarning(warnings::add).handler(f -> { }).start()) {
            endpoint.addPeer(address("127.0.0.3", 6081));
            assertThat(warnings).isEmpty();
            filtering.filtersSources(false); // the next list is too long for it: the filter is off
            endpoint.addPeer(address("127.0.0.4", 6081));
            assertThat(warnings).singleElement().asString()
                    .contains("kernel source filter cannot hold 3 peers", "not-a-peer");
            endpoint.addPeer(address("127.0.0.5", 6081));
            endpoint.removePeer(address("127.0.0.2", 6081));
            assertThat(warnings).as("once").hasSize(1);
            assertThat(filtering.sourcesAsked()).hasSize(5);
        }
    }

    /**
     * Issue 28 item 9: receive matches a datagram's source by address alone (the source port is flow
     * entropy, RFC 8926 §3.3), so a second peer on one address would never be told apart from the
     * first: everything from it was attributed to the first, and its BFD session never heard it.
     */
    @Test
    void twoPeersOnOneAddressAreRefusedWithTheReason() throws Exception {
        InetSocketAddress first = address("127.0.0.2", 6081);
        InetSocketAddress second = address("127.0.0.2", 6082);
        assertThatThrownBy(() -> GeneveEndpoint.builder().peer(first).peer(second))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("127.0.0.2").hasMessageContaining("by address alone");
        try (GeneveEndpoint endpoint = GeneveEndpoint.builder().local(address("127.0.0.1", 0)).peer(first)
                .handler(f -> { }).start()) {
            assertThatThrownBy(() -> endpoint.addPeer(second))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("by address alone");
            assertThat(endpoint.peers()).containsExactly(first);
        }
    }

    @Test
    void refusesAnIncompleteOrInconsistentDescription() throws Exception {
        InetSocketAddress local = address("127.0.0.1", 0);
        InetSocketAddress peer = address("127.0.0.2", 6081);
        assertThatThrownBy(() -> GeneveEndpoint.builder().local(local).peer(peer).start())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("a device, devices by VNI, or a handler");
        assertThatThrownBy(() -> GeneveEndpoint.builder().peer(peer).handler(f -> { }).start())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("local address or a transport");
        assertThatThrownBy(() -> GeneveEndpoint.builder().local(local).handler(f -> { }).start())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("at least one peer");
        assertThatThrownBy(() -> GeneveEndpoint.builder().local(local).peer(address("::1", 6081)).handler(f -> { })
                .start()).isInstanceOf(IllegalStateException.class).hasMessageContaining("not of one IP version");
        assertThatThrownBy(() -> GeneveEndpoint.builder().local(local).peer(peer).handler(f -> { }).offload(true)
                .start()).isInstanceOf(IllegalStateException.class).hasMessageContaining("offload needs a device");
        assertThatThrownBy(() -> GeneveEndpoint.builder().vni(1 << 24))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0..16777215");
        assertThatThrownBy(() -> GeneveEndpoint.builder().peer(peer).peer(peer))
                .hasMessageContaining("given twice");
        assertThatThrownBy(() -> GeneveEndpoint.builder().peer(address("127.0.0.2", 0)))
                .hasMessageContaining("a port");
        assertThatThrownBy(() -> GeneveEndpoint.builder().mtu(100)).hasMessageContaining("576..65535");
        try (GeneveEndpoint endpoint = GeneveEndpoint.builder().local(local).peer(peer).handler(f -> { }).start()) {
            assertThatThrownBy(() -> endpoint.send(ByteBuffer.allocate(13)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("frame of 13 bytes");
            assertThat(endpoint.innerMtu()).isEqualTo(1500 - 20 - 8 - 8 - 14);
        }
        try (DatagramChannel taken = DatagramChannel.open()) {
            taken.bind(address("127.0.0.1", 0));
            assertThatThrownBy(() -> GeneveEndpoint.builder().local((InetSocketAddress) taken.getLocalAddress())
                    .peer(peer).handler(f -> { }).start())
                    .isInstanceOf(java.net.BindException.class).hasMessageContaining("cannot bind UDP 127.0.0.1:");
        }
    }
}
