package io.github.geneve4j.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.endpoint.spi.DatagramSource;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/**
 * The message header against the x86-64/aarch64 layouts written out from the C headers: struct
 * msghdr {void *msg_name @0; socklen_t msg_namelen @8; struct iovec *msg_iov @16; size_t msg_iovlen
 * @24; void *msg_control @32; size_t msg_controllen @40; int msg_flags @48;} (56 bytes), struct
 * mmsghdr {struct msghdr; unsigned msg_len @56;} (64), struct cmsghdr {size_t cmsg_len @0; int
 * cmsg_level @8; int cmsg_type @12;} with data at 16, struct sockaddr_in(6).
 */
class MessageHeaderTest {

    @Test
    void headersAreElementsOfAnMmsghdrArray() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment array = MessageHeader.array(arena, 3);
            assertThat(array.byteSize()).isEqualTo(3 * 64);
            MessageHeader second = new MessageHeader(arena, array, 1, 96);
            assertThat(second.segment().address()).isEqualTo(array.address() + 64);
            assertThat(array.get(ValueLayout.JAVA_LONG, 64 + 0)).as("msg_name").isNotZero();
            assertThat(array.get(ValueLayout.JAVA_LONG, 64 + 16)).as("msg_iov").isNotZero();
            assertThat(array.get(ValueLayout.JAVA_LONG, 64 + 24)).as("msg_iovlen").isEqualTo(1);
            assertThat(array.get(ValueLayout.JAVA_LONG, 0)).as("header 0 untouched").isZero();
            assertThat(array.get(ValueLayout.JAVA_LONG, 128)).as("header 2 untouched").isZero();
        }
    }

    @Test
    void aSendPointsAtItsDataAndCarriesUdpSegmentWhenAsked() {
        try (Arena arena = Arena.ofConfined()) {
            MessageHeader h = MessageHeader.single(arena, 0);
            MemorySegment m = h.segment();
            h.destination(new InetSocketAddress("192.0.2.1", 6081), LinuxSocket.AF_INET);
            h.prepareSend(0x1000, 300, 0);
            assertThat(m.get(ValueLayout.JAVA_INT, 8)).as("msg_namelen: sockaddr_in").isEqualTo(16);
            MemorySegment iov = MemorySegment.ofAddress(m.get(ValueLayout.JAVA_LONG, 16)).reinterpret(16);
            assertThat(iov.get(ValueLayout.JAVA_LONG, 0)).as("iov_base").isEqualTo(0x1000);
            assertThat(iov.get(ValueLayout.JAVA_LONG, 8)).as("iov_len").isEqualTo(300);
            assertThat(m.get(ValueLayout.JAVA_LONG, 32)).as("no control").isZero();
            assertThat(m.get(ValueLayout.JAVA_LONG, 40)).isZero();
            MemorySegment name = MemorySegment.ofAddress(m.get(ValueLayout.JAVA_LONG, 0)).reinterpret(16);
            assertThat(name.toArray(ValueLayout.JAVA_BYTE)).as("AF_INET, port 6081, 192.0.2.1").startsWith(
                    (byte) 2, (byte) 0, (byte) 0x17, (byte) 0xC1, (byte) 192, (byte) 0, (byte) 2, (byte) 1);

            h.prepareGather(0x2000, 5, 1200); // the caller's 5 iovecs at 0x2000, cut every 1,200 bytes
            assertThat(m.get(ValueLayout.JAVA_LONG, 16)).isEqualTo(0x2000);
            assertThat(m.get(ValueLayout.JAVA_LONG, 24)).isEqualTo(5);
            assertThat(m.get(ValueLayout.JAVA_LONG, 40)).as("CMSG_SPACE(2)").isEqualTo(24);
            MemorySegment control = MemorySegment.ofAddress(m.get(ValueLayout.JAVA_LONG, 32)).reinterpret(24);
            assertThat(control.get(ValueLayout.JAVA_LONG, 0)).as("CMSG_LEN(2)").isEqualTo(18);
            assertThat(control.get(ValueLayout.JAVA_INT, 8)).as("SOL_UDP").isEqualTo(17);
            assertThat(control.get(ValueLayout.JAVA_INT, 12)).as("UDP_SEGMENT").isEqualTo(103);
            assertThat(control.get(ValueLayout.JAVA_SHORT, 16)).isEqualTo((short) 1200);
        }
    }

    @Test
    void aReceiveFindsTheGroSizeAmongControlMessages() {
        try (Arena arena = Arena.ofConfined()) {
            MessageHeader h = MessageHeader.single(arena, 96);
            MemorySegment m = h.segment();
            h.prepareReceive(0x3000, 65_535);
            assertThat(m.get(ValueLayout.JAVA_INT, 8)).as("room for the sender's address").isEqualTo(32);
            assertThat(m.get(ValueLayout.JAVA_LONG, 40)).as("room for control messages").isEqualTo(96);
            MemorySegment control = MemorySegment.ofAddress(m.get(ValueLayout.JAVA_LONG, 32)).reinterpret(96);
            assertThat(h.groSize(777)).as("no control message: one datagram").isEqualTo(777);
            // what the kernel writes: another message first (SOL_IP, IP_TOS, one byte), then UDP_GRO's int
            control.set(ValueLayout.JAVA_LONG, 0, 17);
            control.set(ValueLayout.JAVA_INT, 8, 0);
            control.set(ValueLayout.JAVA_INT, 12, 1);
            control.set(ValueLayout.JAVA_LONG, 24, 20);
            control.set(ValueLayout.JAVA_INT, 32, 17);
            control.set(ValueLayout.JAVA_INT, 36, 104);
            control.set(ValueLayout.JAVA_INT, 40, 1400);
            m.set(ValueLayout.JAVA_LONG, 40, 48);
            assertThat(h.groSize(14_000)).isEqualTo(1400);
            m.set(ValueLayout.JAVA_LONG, 40, 40); // the GRO message's int cut off by the length
            assertThat(h.groSize(14_000)).isEqualTo(14_000);
            control.set(ValueLayout.JAVA_LONG, 0, 3); // a length shorter than a cmsghdr ends the walk
            m.set(ValueLayout.JAVA_LONG, 40, 48);
            assertThat(h.groSize(14_000)).isEqualTo(14_000);
        }
    }

    @Test
    void addressesRoundTripThroughMsgName() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            MessageHeader h = MessageHeader.single(arena, 0);
            DatagramSource source = new DatagramSource();
            h.destination(new InetSocketAddress("127.0.0.2", 40_000), LinuxSocket.AF_INET);
            h.source(source);
            assertThat(source.toSocketAddress()).isEqualTo(new InetSocketAddress("127.0.0.2", 40_000));
            h.destination(new InetSocketAddress("2001:db8::7", 6081), LinuxSocket.AF_INET6);
            h.source(source);
            assertThat(source.isIpv6()).isTrue();
            assertThat(source.hasAddress(InetAddress.getByName("2001:db8::7"))).isTrue();
            // an IPv4 peer on a dual-stack socket: IPv4-mapped on the wire, IPv4 to the engine
            h.destination(new InetSocketAddress("192.0.2.9", 6081), LinuxSocket.AF_INET6);
            h.source(source);
            assertThat(source.isIpv6()).isFalse();
            assertThat(source.toSocketAddress()).isEqualTo(new InetSocketAddress("192.0.2.9", 6081));
            assertThatThrownBy(() -> h.destination(new InetSocketAddress("::1", 1), LinuxSocket.AF_INET))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected: an IPv4 address");
            assertThat(MessageHeader.format(new InetSocketAddress("::1", 1))).isEqualTo("[0:0:0:0:0:0:0:1]:1");
        }
    }
}
