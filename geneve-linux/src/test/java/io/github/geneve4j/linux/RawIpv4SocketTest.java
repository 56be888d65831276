package io.github.geneve4j.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.codec.net.InternetChecksum;
import io.github.geneve4j.codec.net.Ipv4View;
import io.github.geneve4j.codec.net.UdpView;
import io.github.geneve4j.endpoint.spi.DatagramSource;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The raw IPv4 socket sends the packet it is given, UDP ports and all (what a GWLB appliance needs to
 * answer with GWLB's source port kept); and two {@code SO_REUSEPORT} sockets share one port.
 */
class RawIpv4SocketTest {

    @Test
    void sendsAUdpPacketWithTheSourcePortItWasWritten() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "a raw socket needs CAP_NET_RAW");
        try (RawIpv4Socket raw = RawIpv4Socket.open();
                DatagramChannel receiver = DatagramChannel.open(StandardProtocolFamily.INET);
                Arena arena = Arena.ofConfined()) {
            receiver.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            int port = ((InetSocketAddress) receiver.getLocalAddress()).getPort();
            MemorySegment packet = arena.allocate(64);
            byte[] payload = "geneve4j".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            long local = 0x7f000001L;
            Ipv4View.write(packet, 4, 0, 28 + payload.length, 0, false, 64, 17, local, local);
            UdpView.write(packet, 24, 41234, port, 8 + payload.length, 0);
            MemorySegment.copy(payload, 0, packet, ValueLayout.JAVA_BYTE, 32, payload.length);
            int checksum = InternetChecksum.finish(InternetChecksum.pseudoHeaderIpv4(local, local, 17, 8 + payload.length)
                    + InternetChecksum.sum(packet, 24, 8 + payload.length));
            packet.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), 30, (short) checksum);
            assertThat(raw.sendIpv4(packet, 4, 28 + payload.length)).isTrue();
            ByteBuffer got = ByteBuffer.allocate(100);
            InetSocketAddress from = (InetSocketAddress) receiver.receive(got);
            assertThat(from.getPort()).as("the source port written, not one of a socket").isEqualTo(41234);
            assertThat(new String(got.array(), 0, got.position(), java.nio.charset.StandardCharsets.US_ASCII))
                    .isEqualTo("geneve4j");
            assertThatThrownBy(() -> raw.sendIpv4(packet, 0, 10)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void twoReusePortSocketsBindOnePort() throws Exception {
        InetSocketAddress any = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0);
        try (UdpSocket first = UdpSocket.open(any, 0, true);
                UdpSocket second = UdpSocket.open(first.localAddress(), 0, true);
                DatagramChannel sender = DatagramChannel.open(StandardProtocolFamily.INET);
                Arena arena = Arena.ofConfined()) {
            assertThat(second.localAddress()).isEqualTo(first.localAddress());
            assertThatThrownBy(() -> UdpSocket.open(first.localAddress(), 0)).isInstanceOf(java.net.BindException.class);
            // many source ports: the kernel's hash spreads them over both sockets
            MemorySegment buffer = arena.allocate(2048);
            DatagramSource source = new DatagramSource();
            int[] got = new int[2];
            for (int i = 0; i < 64; i++) {
                try (DatagramChannel c = DatagramChannel.open(StandardProtocolFamily.INET)) {
                    c.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
                    c.send(ByteBuffer.wrap(new byte[] {(byte) i}), first.localAddress());
                }
            }
            for (int i = 0; i < 2; i++) {
                UdpSocket s = i == 0 ? first : second;
                while (s.receive(buffer, 0, 2048, false, source) > 0) {
                    got[i]++;
                }
            }
            assertThat(got[0] + got[1]).isEqualTo(64);
            assertThat(got[0]).as("datagrams on each socket").isPositive();
            assertThat(got[1]).isPositive();
        }
    }
}
