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
}
