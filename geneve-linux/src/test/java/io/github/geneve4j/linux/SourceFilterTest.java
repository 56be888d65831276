package io.github.geneve4j.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.endpoint.spi.DatagramSource;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The kernel source filter ({@link UdpSocket#restrictSources}, a classic BPF socket filter) over
 * loopback: datagrams from the listed sources arrive, from any other address the kernel drops them
 * before a receive sees them.
 */
class SourceFilterTest {

    /** Sends {@code count} datagrams from each socket, then receives what came: the first byte of each is its sender's tag. */
    static List<Integer> exchange(UdpSocket receiving, List<UdpSocket> senders, int count) throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(100);
            for (int s = 0; s < senders.size(); s++) {
                data.fill((byte) s);
                for (int i = 0; i < count; i++) {
                    assertThat(senders.get(s).send(data, 0, 100, receiving.localAddress())).isTrue();
                }
            }
            MemorySegment buffer = arena.allocate(70_000);
            DatagramSource source = new DatagramSource();
            List<Integer> got = new ArrayList<>();
            for (int n; (n = receiving.receive(buffer, 0, buffer.byteSize(), got.isEmpty(), source)) >= 0; ) {
                for (int at = 0; at < n; at += source.segmentSize()) {
                    got.add((int) buffer.get(java.lang.foreign.ValueLayout.JAVA_BYTE, at));
                }
            }
            return got;
        }
    }

    @Test
    void onlyTheListedIpv4SourcesReachTheSocket() throws Exception {
        try (UdpSocket receiving = UdpSocket.open(new InetSocketAddress("127.0.0.1", 0), 1 << 20);
             UdpSocket peer = UdpSocket.open(new InetSocketAddress("127.0.0.2", 0), 1 << 20);
             UdpSocket stranger = UdpSocket.open(new InetSocketAddress("127.0.0.3", 0), 1 << 20);
             UdpSocket other = UdpSocket.open(new InetSocketAddress("127.0.0.4", 0), 1 << 20)) {
            assertThat(exchange(receiving, List.of(peer, stranger), 5)).as("no filter yet").hasSize(10);
            assertThat(receiving.restrictSources(List.of(InetAddress.getByName("127.0.0.2"),
                    InetAddress.getByName("127.0.0.4")))).isTrue();
            List<Integer> got = exchange(receiving, List.of(peer, stranger, other), 20);
            assertThat(got).hasSize(40).containsOnly(0, 2); // the peer's and the other listed one's
            // a new filter replaces the old one; an empty list lets nothing through
            assertThat(receiving.restrictSources(List.of(InetAddress.getByName("127.0.0.3")))).isTrue();
            assertThat(exchange(receiving, List.of(peer, stranger), 5)).containsOnly(1).hasSize(5);
            assertThat(receiving.restrictSources(List.of())).isTrue();
            assertThat(exchange(receiving, List.of(peer, stranger), 5)).isEmpty();
        }
    }

    @Test
    void ipv6SourcesAreComparedWordByWord() throws Exception {
        UdpSocketTest.assumeIpv6Loopback();
        try (UdpSocket receiving = UdpSocket.open(new InetSocketAddress("::1", 0), 1 << 20);
             UdpSocket sending = UdpSocket.open(new InetSocketAddress("::1", 0), 1 << 20)) {
            // addresses that differ from ::1 in one word each, and ::1 last: only a whole match passes
            List<InetAddress> near = List.of(InetAddress.getByName("1::1"), InetAddress.getByName("0:0:1::1"),
                    InetAddress.getByName("::1:0:0:1"), InetAddress.getByName("::2"));
            assertThat(receiving.restrictSources(near)).isTrue();
            assertThat(exchange(receiving, List.of(sending), 5)).isEmpty();
            List<InetAddress> withLoopback = new ArrayList<>(near);
            withLoopback.add(InetAddress.getByName("::1"));
            assertThat(receiving.restrictSources(withLoopback)).isTrue();
            assertThat(exchange(receiving, List.of(sending), 5)).hasSize(5);
        }
    }

    @Test
    void saysWhenItCannotFilter() throws Exception {
        try (UdpSocket wildcard6 = UdpSocket.open(new InetSocketAddress("::", 0), 1 << 16);
             UdpSocket v4 = UdpSocket.open(new InetSocketAddress("127.0.0.1", 0), 1 << 16)) {
            assertThat(wildcard6.restrictSources(List.of(InetAddress.getByName("::1"))))
                    .as("a dual-stack socket also receives IPv4").isFalse();
            List<InetAddress> many = new ArrayList<>();
            for (int i = 0; i < 5_000; i++) {
                many.add(InetAddress.getByAddress(new byte[] {10, 0, (byte) (i >>> 8), (byte) i}));
            }
            assertThat(v4.restrictSources(many)).as("5,000 addresses do not fit 4,096 instructions").isFalse();
            assertThat(v4.restrictSources(many.subList(0, 2_000))).isTrue();
            assertThatThrownBy(() -> v4.restrictSources(List.of(InetAddress.getByName("::1"))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected: an IPv4 address");
        }
    }

    /** {@code 127.x.y.z} number {@code i} of a list: Linux answers for all of 127.0.0.0/8 on lo. */
    static InetAddress loopback(int i) throws Exception {
        return InetAddress.getByAddress(new byte[] {127, (byte) (1 + i / 65_536), (byte) (i >>> 8), (byte) i});
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0} peers")
    @org.junit.jupiter.params.provider.ValueSource(ints = {1_000, 2_000})
    void thousandsOfIpv4PeersOnLoopbackPassTheKernelAndStrangersDoNot(int n) throws Exception {
        List<InetAddress> peers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            peers.add(loopback(3 * i)); // every third: the ones between are strangers
        }
        java.util.Collections.shuffle(peers, new java.util.Random(n));
        try (UdpSocket receiving = UdpSocket.open(new InetSocketAddress("127.0.0.1", 0), 1 << 20)) {
            assertThat(receiving.restrictSources(peers)).isTrue();
            // senders from across the sorted list (both ends, around the middle) and strangers next to them
            int[] picks = {0, 1, 7, 8, 9, n / 4, n / 2 - 1, n / 2, n / 2 + 1, 3 * n / 4, n - 2, n - 1};
            List<UdpSocket> senders = new ArrayList<>();
            try {
                for (int pick : picks) {
                    senders.add(UdpSocket.open(new InetSocketAddress(loopback(3 * pick), 0), 1 << 16));
                    senders.add(UdpSocket.open(new InetSocketAddress(loopback(3 * pick + 1), 0), 1 << 16));
                }
                List<Integer> got = exchange(receiving, senders, 2);
                List<Integer> expected = new ArrayList<>();
                for (int s = 0; s < senders.size(); s += 2) {
                    expected.add(s);
                    expected.add(s);
                }
                assertThat(got).as("the listed senders' datagrams, none of the strangers'").isEqualTo(expected);
            } finally {
                senders.forEach(UdpSocket::close);
            }
        }
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0} peers")
    @org.junit.jupiter.params.provider.ValueSource(ints = {1_000, 2_000})
    void thousandsOfIpv6PeersAttachAndOnlyTheListedLoopbackPasses(int n) throws Exception {
        UdpSocketTest.assumeIpv6Loopback();
        try (UdpSocket receiving = UdpSocket.open(new InetSocketAddress("::1", 0), 1 << 20);
             UdpSocket sending = UdpSocket.open(new InetSocketAddress("::1", 0), 1 << 20)) {
            // ::1's neighbours in every word, then ::2 onwards; ::1 itself only in the second list
            List<InetAddress> strangers = new ArrayList<>(List.of(InetAddress.getByName("1::1"),
                    InetAddress.getByName("0:0:1::1"), InetAddress.getByName("::1:0:0:1"), InetAddress.getByName("::1:0:1")));
            for (int i = 2; strangers.size() < n; i++) {
                strangers.add(InetAddress.getByAddress(java.nio.ByteBuffer.allocate(16).putInt(12, i).array()));
            }
            assertThat(receiving.restrictSources(strangers)).isTrue();
            assertThat(exchange(receiving, List.of(sending), 5)).isEmpty();
            List<InetAddress> withLoopback = new ArrayList<>(strangers.subList(0, n - 1));
            withLoopback.add(n / 2, InetAddress.getByName("::1"));
            assertThat(receiving.restrictSources(withLoopback)).isTrue();
            assertThat(exchange(receiving, List.of(sending), 5)).hasSize(5);
        }
    }

    /**
     * Past what a program holds, the socket says it cannot filter and keeps no filter: one attached
     * before would drop a source the caller lists now (the old behaviour: 5 sent, 0 received).
     */
    @Test
    void pastTheLimitTheOldFilterIsDetachedNotKept() throws Exception {
        try (UdpSocket receiving = UdpSocket.open(new InetSocketAddress("127.0.0.1", 0), 1 << 20);
             UdpSocket peer = UdpSocket.open(new InetSocketAddress("127.0.0.2", 0), 1 << 20);
             UdpSocket added = UdpSocket.open(new InetSocketAddress("127.0.0.3", 0), 1 << 20)) {
            assertThat(receiving.restrictSources(List.of(InetAddress.getByName("127.0.0.2")))).isTrue();
            assertThat(exchange(receiving, List.of(peer, added), 5)).containsOnly(0).hasSize(5);
            List<InetAddress> many = new ArrayList<>();
            for (int i = 0; i < 5_000; i++) {
                many.add(loopback(i));
            }
            many.add(InetAddress.getByName("127.0.0.3"));
            many.add(InetAddress.getByName("127.0.0.2"));
            assertThat(receiving.restrictSources(many)).as("5,002 sources do not fit").isFalse();
            assertThat(exchange(receiving, List.of(peer, added), 5)).as("both arrive: no filter left")
                    .hasSize(10).containsOnly(0, 1);
        }
    }
}
