package io.github.geneve4j.gwlb;

import io.github.geneve4j.endpoint.spi.RawIpv4Sender;
import static io.github.geneve4j.testing.GwlbWire.datagram;
import static io.github.geneve4j.testing.GwlbWire.ip;
import static io.github.geneve4j.testing.GwlbWire.ip6;
import static io.github.geneve4j.testing.GwlbWire.ipv4;
import static io.github.geneve4j.testing.GwlbWire.ipv6;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.endpoint.spi.ChannelTransport;
import io.github.geneve4j.testing.GwlbWire;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The appliance on loopback against a GWLB stand-in that writes datagrams from AWS's layout: every
 * valid packet answered byte for byte, the rest unanswered and counted, the inspector's drops and
 * rewrites, the flows, the raw return path's headers, and the health port.
 */
@Timeout(60)
class GwlbApplianceTest {

    static final long ENDPOINT_A = 0x2b8ee1d4db0c51c4L;
    static final long ENDPOINT_B = 0x8000000000000abcL;
    static final long ATTACHMENT = 0x1122334455667788L;

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private GwlbAppliance start(GwlbAppliance.Builder builder) throws IOException {
        GwlbAppliance appliance = builder.build();
        open.add(appliance);
        appliance.start();
        return appliance;
    }

    private ChannelTransport transport() throws IOException {
        return ChannelTransport.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    }

    private DatagramChannel gwlb() throws IOException {
        DatagramChannel c = DatagramChannel.open(StandardProtocolFamily.INET);
        c.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        c.configureBlocking(false);
        open.add(c);
        return c;
    }

    /** The next datagram on {@code c}, or null after {@code millis}. */
    static byte[] receive(DatagramChannel c, long millis) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(70_000);
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() < end) {
            if (c.receive(b) != null) {
                return Arrays.copyOf(b.array(), b.position());
            }
            Thread.sleep(2);
        }
        return null;
    }

    static void waitFor(BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 500 && !condition.getAsBoolean(); i++) {
            Thread.sleep(10);
        }
        assertThat(condition.getAsBoolean()).as("condition within 5 s").isTrue();
    }

    static List<byte[]> mix() {
        int a = ip(10, 0, 0, 1);
        int b = ip(10, 0, 0, 2);
        return List.of(
                datagram(ENDPOINT_A, ATTACHMENT, 0x01020304, GwlbWire.IPV4, true, ipv4(a, b, 6, GwlbWire.tcp(40000, 443, "hello"))),
                datagram(ENDPOINT_A, ATTACHMENT, 0x01020305, GwlbWire.IPV4, false, ipv4(a, b, 17, GwlbWire.udp(5353, 53, "query"))),
                datagram(ENDPOINT_B, ATTACHMENT, 0xf0000001, GwlbWire.IPV4, true, ipv4(b, a, 1, GwlbWire.echo(8, 7, 1))),
                datagram(ENDPOINT_B, ATTACHMENT, 0xf0000002, GwlbWire.IPV6, true,
                        ipv6(ip6(1), ip6(2), 17, GwlbWire.udp(1234, 5678, "six"))),
                datagram(ENDPOINT_A, ATTACHMENT, 0xf0000003, GwlbWire.IPV6, false,
                        ipv6(ip6(2), ip6(1), 58, GwlbWire.echo(128, 9, 2))));
    }

    @Test
    void answersEveryValidPacketByteForByte() throws Exception {
        GwlbAppliance appliance = start(GwlbAppliance.builder().transport(transport()));
        DatagramChannel gwlb = gwlb();
        InetSocketAddress to = appliance.localAddresses().getFirst();
        for (byte[] d : mix()) {
            gwlb.send(ByteBuffer.wrap(d), to);
            assertThat(receive(gwlb, 2000)).as("reply").isEqualTo(d);
        }
        GwlbStats stats = appliance.stats();
        assertThat(stats.received()).isEqualTo(5);
        assertThat(stats.forwarded()).isEqualTo(5);
        assertThat(stats.dropped()).isZero();
        assertThat(stats.activeTcpFlows()).isEqualTo(1);
        assertThat(stats.activeOtherFlows()).isEqualTo(4);
        assertThat(stats.endpoints()).containsExactly(new GwlbStats.EndpointFlows(ENDPOINT_A, 3),
                new GwlbStats.EndpointFlows(ENDPOINT_B, 2));
        assertThat(stats.endpoints().getFirst()).hasToString("EndpointFlows[0x2b8ee1d4db0c51c4, 3 flows]");
        assertThat(stats.healthy()).isTrue();
    }

    @Test
    void leavesDatagramsWithoutTheGwlbOptionsUnansweredAndCountsThem() throws Exception {
        GwlbAppliance appliance = start(GwlbAppliance.builder().transport(transport()));
        DatagramChannel gwlb = gwlb();
        InetSocketAddress to = appliance.localAddresses().getFirst();
        byte[] inner = ipv4(ip(10, 0, 0, 1), ip(10, 0, 0, 2), 17, GwlbWire.udp(1, 2, "x"));
        byte[] notIp = datagram(ENDPOINT_A, ATTACHMENT, 1, 0x6558, false, new byte[60]);
        byte[] notIpv6 = datagram(ENDPOINT_A, ATTACHMENT, 1, GwlbWire.IPV6, false, inner);
        byte[] control = datagram(ENDPOINT_A, ATTACHMENT, 1, GwlbWire.IPV4, false, inner);
        control[1] = (byte) 0x80;
        for (byte[] d : List.of(GwlbWire.bare(inner), GwlbWire.withoutCookie(ENDPOINT_A, inner), new byte[] {0, 0, 8},
                notIp, notIpv6, control)) {
            gwlb.send(ByteBuffer.wrap(d), to);
        }
        waitFor(() -> appliance.stats().received() == 6);
        assertThat(receive(gwlb, 300)).as("no reply").isNull();
        GwlbStats stats = appliance.stats();
        assertThat(stats.dropped(GwlbDropReason.MISSING_GWLB_OPTIONS)).isEqualTo(2);
        assertThat(stats.dropped(GwlbDropReason.BAD_GENEVE)).isEqualTo(1);
        assertThat(stats.dropped(GwlbDropReason.UNSUPPORTED_PROTOCOL)).isEqualTo(1);
        assertThat(stats.dropped(GwlbDropReason.BAD_INNER_PACKET)).isEqualTo(1);
        assertThat(stats.dropped(GwlbDropReason.CONTROL)).isEqualTo(1);
        assertThat(stats.forwarded()).isZero();
        assertThat(stats.toJson()).contains("\"MISSING_GWLB_OPTIONS\":2", "\"healthy\":true");
    }

    @Test
    void inspectorDropsOneFlowAndRewritesAnother() throws Exception {
        GwlbAppliance appliance = start(GwlbAppliance.builder().transport(transport()).inspector(p -> {
            if (p.protocol() == 6 && p.destinationPort() == 23) {
                return GwlbVerdict.DROP;
            }
            if (p.protocol() == 6 && p.destinationPort() == 80) {
                p.segment().set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN),
                        p.transportOffset() + 2, (short) 8080);
                p.ipv4().ttl(p.ipv4().ttl() - 1);
                p.rewritten();
            }
            return GwlbVerdict.FORWARD;
        }));
        DatagramChannel gwlb = gwlb();
        InetSocketAddress to = appliance.localAddresses().getFirst();
        int a = ip(10, 0, 0, 1);
        int b = ip(10, 0, 0, 2);
        byte[] telnet = datagram(ENDPOINT_A, ATTACHMENT, 5, GwlbWire.IPV4, true, ipv4(a, b, 6, GwlbWire.tcp(40001, 23, "login")));
        byte[] web = datagram(ENDPOINT_A, ATTACHMENT, 6, GwlbWire.IPV4, true, ipv4(a, b, 6, GwlbWire.tcp(40002, 80, "GET /")));
        gwlb.send(ByteBuffer.wrap(telnet), to);
        gwlb.send(ByteBuffer.wrap(web), to);
        byte[] reply = receive(gwlb, 2000);
        assertThat(receive(gwlb, 300)).as("the telnet flow is dropped").isNull();
        int inner = 48; // 8 + 12 + 8 + 12 + 8
        assertThat(reply).hasSameSizeAs(web);
        assertThat(Arrays.copyOf(reply, inner)).as("Geneve header as received").isEqualTo(Arrays.copyOf(web, inner));
        assertThat(((reply[inner + 22] & 0xFF) << 8) | (reply[inner + 23] & 0xFF)).isEqualTo(8080);
        assertThat(reply[inner + 8]).isEqualTo((byte) 63);
        assertThat(GwlbWire.ipv4ChecksumsValid(reply, inner)).as("checksums fixed").isTrue();
        assertThat(GwlbWire.ipv4ChecksumsValid(web, inner)).isTrue();
        assertThat(appliance.stats().dropped(GwlbDropReason.INSPECTOR)).isEqualTo(1);
    }

    @Test
    void oneFlowForBothDirectionsPerEndpointAndItExpires() throws Exception {
        ConcurrentLinkedQueue<int[]> seen = new ConcurrentLinkedQueue<>();
        GwlbAppliance appliance = start(GwlbAppliance.builder().transport(transport())
                .otherIdleTimeout(Duration.ofMillis(100)).inspector(p -> {
                    seen.add(new int[] {p.flow(), p.newFlow() ? 1 : 0});
                    return GwlbVerdict.FORWARD;
                }));
        DatagramChannel gwlb = gwlb();
        InetSocketAddress to = appliance.localAddresses().getFirst();
        int a = ip(10, 0, 0, 1);
        int b = ip(10, 0, 0, 2);
        byte[] out = datagram(ENDPOINT_A, ATTACHMENT, 1, GwlbWire.IPV4, false, ipv4(a, b, 17, GwlbWire.udp(1000, 2000, "a")));
        byte[] back = datagram(ENDPOINT_A, ATTACHMENT, 1, GwlbWire.IPV4, false, ipv4(b, a, 17, GwlbWire.udp(2000, 1000, "b")));
        byte[] otherEndpoint = datagram(ENDPOINT_B, ATTACHMENT, 1, GwlbWire.IPV4, false, ipv4(a, b, 17, GwlbWire.udp(1000, 2000, "c")));
        for (byte[] d : List.of(out, back, otherEndpoint)) {
            gwlb.send(ByteBuffer.wrap(d), to);
            assertThat(receive(gwlb, 2000)).isEqualTo(d);
        }
        List<int[]> flows = List.copyOf(seen);
        assertThat(flows.get(0)[1]).as("first packet starts a flow").isEqualTo(1);
        assertThat(flows.get(1)).as("the answer is the same flow").containsExactly(flows.get(0)[0], 0);
        assertThat(flows.get(2)[0]).as("another endpoint ID, another flow").isNotEqualTo(flows.get(0)[0]);
        assertThat(flows.get(2)[1]).isEqualTo(1);
        assertThat(appliance.stats().activeOtherFlows()).isEqualTo(2);
        waitFor(() -> appliance.stats().flowsExpired() == 2);
        assertThat(appliance.stats().activeOtherFlows()).isZero();
        assertThat(appliance.stats().endpoints()).isEmpty();
    }

    /** A return path that keeps what it was given. */
    static final class Capture implements RawIpv4Sender {
        final ConcurrentLinkedQueue<byte[]> packets = new ConcurrentLinkedQueue<>();

        @Override
        public boolean sendIpv4(MemorySegment buffer, long offset, long length) {
            packets.add(buffer.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE));
            return true;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void returnPathPacketsSwapAddressesAndKeepTheReceivedPorts() throws Exception {
        Capture capture = new Capture();
        ChannelTransport transport = ChannelTransport.open(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        GwlbAppliance appliance = start(GwlbAppliance.builder().transport(transport, capture));
        DatagramChannel gwlb = DatagramChannel.open(StandardProtocolFamily.INET);
        open.add(gwlb);
        gwlb.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.3"), 0));
        int gwlbPort = ((InetSocketAddress) gwlb.getLocalAddress()).getPort();
        int appliancePort = appliance.localAddresses().getFirst().getPort();
        for (byte[] d : mix()) {
            gwlb.send(ByteBuffer.wrap(d), appliance.localAddresses().getFirst());
        }
        waitFor(() -> capture.packets.size() == 5);
        List<byte[]> sent = mix();
        int i = 0;
        for (byte[] p : capture.packets) {
            byte[] d = sent.get(i++);
            ByteBuffer b = ByteBuffer.wrap(p);
            assertThat(p.length).isEqualTo(28 + d.length);
            assertThat(b.get(0)).isEqualTo((byte) 0x45);
            assertThat(b.getShort(2) & 0xFFFF).isEqualTo(p.length);
            assertThat(b.get(9)).as("UDP").isEqualTo((byte) 17);
            assertThat(b.getInt(12)).as("source: the appliance").isEqualTo(ip(127, 0, 0, 1));
            assertThat(b.getInt(16)).as("destination: GWLB").isEqualTo(ip(127, 0, 0, 3));
            assertThat(GwlbWire.sum(p, 0, 20, 0)).as("IPv4 header checksum").isEqualTo(0xFFFF);
            assertThat(b.getShort(20) & 0xFFFF).as("source port: GWLB's, as received").isEqualTo(gwlbPort);
            assertThat(b.getShort(22) & 0xFFFF).as("destination port: the one GWLB sent to").isEqualTo(appliancePort);
            assertThat(b.getShort(24) & 0xFFFF).isEqualTo(8 + d.length);
            long pseudo = 0x7f00 + 0x0001 + 0x7f00 + 0x0003 + 17 + 8 + d.length;
            assertThat(GwlbWire.sum(p, 20, p.length, pseudo)).as("UDP checksum").isEqualTo(0xFFFF);
            assertThat(Arrays.copyOfRange(p, 28, p.length)).as("Geneve and inner bytes as received").isEqualTo(d);
        }
    }

    @Test
    void returnPathNeedsOneIpv4Address() throws Exception {
        ChannelTransport wildcard = ChannelTransport.open(new InetSocketAddress(0));
        open.add(wildcard);
        assertThatThrownBy(() -> GwlbAppliance.builder().transport(wildcard, new Capture()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected: one IPv4 address");
        assertThatThrownBy(() -> GwlbAppliance.builder().build()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> GwlbAppliance.builder().flowCapacity(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GwlbAppliance.builder().tcpIdleTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void healthPortAnswers200ThenA503OnceAReceiveThreadDied() throws Exception {
        GwlbAppliance appliance = start(GwlbAppliance.builder().transport(transport()).inspector(p -> {
            if (p.destinationPort() == 666) {
                throw new IllegalStateException("inspector bug");
            }
            return GwlbVerdict.FORWARD;
        }));
        GwlbHealthServer health = GwlbHealthServer.start(appliance, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        open.add(health);
        int port = health.address().getPort();
        String ok = http(port, "GET");
        assertThat(ok).startsWith("HTTP/1.1 200 ").contains("{\"healthy\":true,", "\"receiveThreads\":1");
        assertThat(http(port, "POST")).startsWith("HTTP/1.1 405 ");
        DatagramChannel gwlb = gwlb();
        gwlb.send(ByteBuffer.wrap(datagram(ENDPOINT_A, ATTACHMENT, 1, GwlbWire.IPV4, false,
                ipv4(ip(10, 0, 0, 1), ip(10, 0, 0, 2), 17, GwlbWire.udp(1, 666, "boom")))), appliance.localAddresses().getFirst());
        waitFor(() -> !appliance.healthy());
        assertThat(appliance.failure()).hasMessage("inspector bug");
        String down = http(port, "GET");
        assertThat(down).startsWith("HTTP/1.1 503 ").contains("{\"healthy\":false,", "\"liveThreads\":0");
    }

    /** One HTTP/1.0 request to the health port; the whole response. */
    static String http(int port, String method) throws IOException {
        try (java.net.Socket s = new java.net.Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(5000);
            s.getOutputStream().write((method + " /health HTTP/1.0\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }
}
