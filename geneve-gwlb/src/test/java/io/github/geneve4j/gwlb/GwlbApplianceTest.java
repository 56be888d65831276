package io.github.geneve4j.gwlb;

import static io.github.geneve4j.testing.GwlbWire.datagram;
import static io.github.geneve4j.testing.GwlbWire.ip;
import static io.github.geneve4j.testing.GwlbWire.ip6;
import static io.github.geneve4j.testing.GwlbWire.ipv4;
import static io.github.geneve4j.testing.GwlbWire.ipv6;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.endpoint.spi.ChannelTransport;
import io.github.geneve4j.endpoint.spi.RawIpv4Sender;
import io.github.geneve4j.gwlb.testing.MemoryBatchIo;
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
 * The appliance through the SPI, on an in-memory batch I/O ({@link MemoryBatchIo}) fed with datagrams
 * written from AWS's layout: every valid packet answered byte for byte with the outer headers GWLB
 * expects, the rest unanswered and counted, the inspector's drops and rewrites, the flows, refused sends,
 * and the health port; then the same over loopback sockets ({@code TransportBatchIo} on a
 * {@code ChannelTransport}, replying through it or through a raw sender).
 */
@Timeout(60)
class GwlbApplianceTest {

    static final long ENDPOINT_A = 0x2b8ee1d4db0c51c4L;
    static final long ENDPOINT_B = 0x8000000000000abcL;
    static final long ATTACHMENT = 0x1122334455667788L;
    /** GWLB's address and source port, as the in-memory I/O delivers its datagrams. */
    static final int GWLB = ip(10, 0, 1, 99);
    static final int GWLB_PORT = 40_123;

    private final List<AutoCloseable> open = new ArrayList<>();

    /** A builder that accepts the tests' GWLB: 10.0.1.0/24 (the in-memory I/O's) and loopback. */
    static GwlbAppliance.Builder builder() {
        return GwlbAppliance.builder().gwlbSource(MemoryBatchIo.address(10, 0, 1, 0), 24)
                .gwlbSource(MemoryBatchIo.address(127, 0, 0, 0), 8);
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private GwlbAppliance start(GwlbAppliance.Builder builder) {
        GwlbAppliance appliance = builder.start();
        open.add(appliance);
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

    /**
     * Checks one raw reply: outer IPv4 from {@code local} to {@code gwlb}, the UDP ports as received
     * ({@code gwlbPort} the source, {@code localPort} the destination), both checksums valid, then
     * {@code datagram} byte for byte.
     */
    static void assertRawReply(byte[] p, byte[] datagram, int local, int localPort, int gwlb, int gwlbPort) {
        ByteBuffer b = ByteBuffer.wrap(p);
        assertThat(p.length).isEqualTo(28 + datagram.length);
        assertThat(b.get(0)).isEqualTo((byte) 0x45);
        assertThat(b.getShort(2) & 0xFFFF).isEqualTo(p.length);
        assertThat(b.get(9)).as("UDP").isEqualTo((byte) 17);
        assertThat(b.getInt(12)).as("source: the appliance").isEqualTo(local);
        assertThat(b.getInt(16)).as("destination: GWLB").isEqualTo(gwlb);
        assertThat(GwlbWire.sum(p, 0, 20, 0)).as("IPv4 header checksum").isEqualTo(0xFFFF);
        assertThat(b.getShort(20) & 0xFFFF).as("source port: GWLB's, as received").isEqualTo(gwlbPort);
        assertThat(b.getShort(22) & 0xFFFF).as("destination port: the one GWLB sent to").isEqualTo(localPort);
        assertThat(b.getShort(24) & 0xFFFF).isEqualTo(8 + datagram.length);
        long pseudo = (local >>> 16) + (local & 0xFFFF) + (gwlb >>> 16) + (gwlb & 0xFFFF) + 17 + 8 + datagram.length;
        assertThat(GwlbWire.sum(p, 20, p.length, pseudo)).as("UDP checksum").isEqualTo(0xFFFF);
        assertThat(Arrays.copyOfRange(p, 28, p.length)).as("Geneve and inner bytes as received").isEqualTo(datagram);
    }

    @Test
    void answersEveryValidPacketByteForByteWithTheOuterHeadersGwlbExpects() throws Exception {
        MemoryBatchIo io = new MemoryBatchIo();
        GwlbAppliance appliance = start(builder().io(io));
        for (byte[] d : mix()) {
            io.deliver(d, GWLB, GWLB_PORT);
        }
        io.awaitIdle();
        for (byte[] d : mix()) {
            assertRawReply(io.replies().poll(), d, ip(10, 0, 1, 5), 6081, GWLB, GWLB_PORT);
        }
        GwlbStats stats = appliance.stats();
        assertThat(stats.received()).isEqualTo(5);
        assertThat(stats.forwarded()).isEqualTo(5);
        assertThat(stats.forwardedBytes()).isEqualTo(mix().stream().mapToLong(d -> d.length).sum());
        assertThat(stats.dropped()).isZero();
        assertThat(stats.activeTcpFlows()).isEqualTo(1);
        assertThat(stats.activeOtherFlows()).isEqualTo(4);
        assertThat(stats.endpoints()).containsExactly(new GwlbStats.EndpointFlows(ENDPOINT_A, 3),
                new GwlbStats.EndpointFlows(ENDPOINT_B, 2));
        assertThat(stats.endpoints().getFirst()).hasToString("EndpointFlows[0x2b8ee1d4db0c51c4, 3 flows]");
        assertThat(stats.healthy()).isTrue();
        assertThat(appliance.failure()).isEmpty();
    }

    @Test
    void answersOnlyGwlbsSourcesAndCountsEveryOtherDatagramNotGwlb() throws Exception {
        MemoryBatchIo io = new MemoryBatchIo();
        GwlbAppliance appliance = start(GwlbAppliance.builder().io(io).gwlbSource(MemoryBatchIo.address(10, 0, 1, 99), 32)
                .gwlbSource(MemoryBatchIo.address(192, 168, 128, 0), 17));
        byte[] valid = mix().getFirst();
        for (int stranger : new int[] {ip(10, 0, 1, 98), ip(10, 0, 1, 100), ip(192, 168, 127, 255), ip(8, 8, 8, 8)}) {
            io.deliver(valid, stranger, GWLB_PORT);
            io.deliver(new byte[] {1, 2, 3}, stranger, GWLB_PORT); // not even parsed: counted not-gwlb, not bad-geneve
        }
        io.awaitIdle();
        assertThat(io.replies()).as("a stranger is never answered").isEmpty();
        GwlbStats stats = appliance.stats();
        assertThat(stats.dropped(GwlbDropReason.NOT_GWLB)).isEqualTo(8);
        assertThat(stats.dropped()).isEqualTo(8);
        assertThat(stats.flowsCreated()).as("nothing of a stranger's is tracked").isZero();
        io.deliver(valid, GWLB, GWLB_PORT);
        io.deliver(mix().get(1), ip(192, 168, 255, 1), GWLB_PORT); // another flow: a flow is its first source's
        io.awaitIdle();
        assertThat(io.replies()).hasSize(2);
        assertThat(appliance.stats().forwarded()).isEqualTo(2);
        assertThat(appliance.toString()).contains("from 10.0.1.99/32, 192.168.128.0/17");
    }

    @Test
    void leavesDatagramsWithoutTheGwlbOptionsUnansweredAndCountsThem() throws Exception {
        MemoryBatchIo io = new MemoryBatchIo();
        GwlbAppliance appliance = start(builder().io(io));
        byte[] inner = ipv4(ip(10, 0, 0, 1), ip(10, 0, 0, 2), 17, GwlbWire.udp(1, 2, "x"));
        byte[] notIp = datagram(ENDPOINT_A, ATTACHMENT, 1, 0x6558, false, new byte[60]);
        byte[] notIpv6 = datagram(ENDPOINT_A, ATTACHMENT, 1, GwlbWire.IPV6, false, inner);
        byte[] control = datagram(ENDPOINT_A, ATTACHMENT, 1, GwlbWire.IPV4, false, inner);
        control[1] = (byte) 0x80;
        byte[] cutShort = Arrays.copyOf(mix().getFirst(), 30); // the options run past the datagram's end
        for (byte[] d : List.of(GwlbWire.bare(inner), GwlbWire.withoutCookie(ENDPOINT_A, inner), new byte[] {0, 0, 8},
                notIp, notIpv6, control, cutShort, new byte[0])) {
            io.deliver(d, GWLB, GWLB_PORT);
        }
        io.awaitIdle();
        assertThat(io.replies()).as("no reply").isEmpty();
        GwlbStats stats = appliance.stats();
        assertThat(stats.received()).isEqualTo(8);
        assertThat(stats.dropped(GwlbDropReason.MISSING_GWLB_OPTIONS)).isEqualTo(2);
        assertThat(stats.dropped(GwlbDropReason.BAD_GENEVE)).isEqualTo(3);
        assertThat(stats.dropped(GwlbDropReason.UNSUPPORTED_PROTOCOL)).isEqualTo(1);
        assertThat(stats.dropped(GwlbDropReason.BAD_INNER_PACKET)).isEqualTo(1);
        assertThat(stats.dropped(GwlbDropReason.CONTROL)).isEqualTo(1);
        assertThat(stats.forwarded()).isZero();
        assertThat(stats.toJson()).contains("\"MISSING_GWLB_OPTIONS\":2", "\"healthy\":true");
    }

    @Test
    void inspectorDropsOneFlowAndRewritesAnother() throws Exception {
        MemoryBatchIo io = new MemoryBatchIo();
        GwlbAppliance appliance = start(builder().io(io).inspector(p -> {
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
        int a = ip(10, 0, 0, 1);
        int b = ip(10, 0, 0, 2);
        byte[] telnet = datagram(ENDPOINT_A, ATTACHMENT, 5, GwlbWire.IPV4, true, ipv4(a, b, 6, GwlbWire.tcp(40001, 23, "login")));
        byte[] web = datagram(ENDPOINT_A, ATTACHMENT, 6, GwlbWire.IPV4, true, ipv4(a, b, 6, GwlbWire.tcp(40002, 80, "GET /")));
        io.deliver(telnet, GWLB, GWLB_PORT);
        io.deliver(web, GWLB, GWLB_PORT);
        io.awaitIdle();
        assertThat(io.replies()).as("the telnet flow is dropped").hasSize(1);
        byte[] packet = io.replies().poll();
        byte[] reply = Arrays.copyOfRange(packet, 28, packet.length);
        int inner = 48; // 8 + 12 + 8 + 12 + 8
        assertThat(reply).hasSameSizeAs(web);
        assertThat(Arrays.copyOf(reply, inner)).as("Geneve header as received").isEqualTo(Arrays.copyOf(web, inner));
        assertThat(((reply[inner + 22] & 0xFF) << 8) | (reply[inner + 23] & 0xFF)).isEqualTo(8080);
        assertThat(reply[inner + 8]).isEqualTo((byte) 63);
        assertThat(GwlbWire.ipv4ChecksumsValid(reply, inner)).as("checksums fixed").isTrue();
        assertThat(GwlbWire.ipv4ChecksumsValid(web, inner)).isTrue();
        assertRawReply(packet, reply, ip(10, 0, 1, 5), 6081, GWLB, GWLB_PORT);
        assertThat(appliance.stats().dropped(GwlbDropReason.INSPECTOR)).isEqualTo(1);
    }

    @Test
    void oneFlowForBothDirectionsPerEndpointAndItExpires() throws Exception {
        ConcurrentLinkedQueue<int[]> seen = new ConcurrentLinkedQueue<>();
        MemoryBatchIo io = new MemoryBatchIo();
        GwlbAppliance appliance = start(builder().io(io)
                .otherIdleTimeout(Duration.ofMillis(100)).inspector(p -> {
                    seen.add(new int[] {p.flow(), p.newFlow() ? 1 : 0});
                    return GwlbVerdict.FORWARD;
                }));
        int a = ip(10, 0, 0, 1);
        int b = ip(10, 0, 0, 2);
        byte[] out = datagram(ENDPOINT_A, ATTACHMENT, 1, GwlbWire.IPV4, false, ipv4(a, b, 17, GwlbWire.udp(1000, 2000, "a")));
        byte[] back = datagram(ENDPOINT_A, ATTACHMENT, 1, GwlbWire.IPV4, false, ipv4(b, a, 17, GwlbWire.udp(2000, 1000, "b")));
        byte[] otherEndpoint = datagram(ENDPOINT_B, ATTACHMENT, 1, GwlbWire.IPV4, false, ipv4(a, b, 17, GwlbWire.udp(1000, 2000, "c")));
        for (byte[] d : List.of(out, back, otherEndpoint)) {
            io.deliver(d, GWLB, GWLB_PORT);
        }
        io.awaitIdle();
        assertThat(io.replies()).hasSize(3);
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

    @Test
    void aRefusedReplyIsCountedAsASendFailureAndTheRestOfTheBatchStillGoes() throws Exception {
        MemoryBatchIo io = new MemoryBatchIo();
        GwlbAppliance appliance = start(builder().io(io));
        io.refuse(1);
        List<byte[]> mix = mix();
        for (byte[] d : mix) {
            io.deliver(d, GWLB, GWLB_PORT);
        }
        io.awaitIdle();
        assertThat(io.replies()).hasSize(4);
        GwlbStats stats = appliance.stats();
        assertThat(stats.forwarded()).isEqualTo(4);
        assertThat(stats.forwardedBytes()).as("the bytes of the replies sent, not of the refused one")
                .isEqualTo(mix.stream().skip(1).mapToLong(d -> d.length).sum());
        assertThat(stats.dropped(GwlbDropReason.SEND_FAILED)).isEqualTo(1);
        assertThat(stats.receiveCalls()).isBetween(1L, 5L);
    }

    @Test
    void answersThroughTheReceivingTransportOnLoopbackByteForByte() throws Exception {
        GwlbAppliance appliance = start(builder().transport(transport()));
        DatagramChannel gwlb = gwlb();
        InetSocketAddress to = appliance.localAddresses().getFirst();
        for (byte[] d : mix()) {
            gwlb.send(ByteBuffer.wrap(d), to);
            assertThat(receive(gwlb, 2000)).as("reply").isEqualTo(d);
        }
        waitFor(() -> appliance.stats().forwarded() == 5);
        assertThat(appliance.stats().received()).isEqualTo(5);
    }

    /** A raw sender that keeps what it was given. */
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
    void rawSenderPacketsSwapAddressesAndKeepTheReceivedPortsOnLoopback() throws Exception {
        Capture capture = new Capture();
        ChannelTransport transport = ChannelTransport.open(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
        GwlbAppliance appliance = start(builder().transport(transport, capture));
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
            assertRawReply(p, sent.get(i++), ip(127, 0, 0, 1), appliancePort, ip(127, 0, 0, 3), gwlbPort);
        }
    }

    @Test
    void aRawSenderNeedsOneIpv4AddressAndTheBuilderChecksItsDescription() throws Exception {
        ChannelTransport wildcard = ChannelTransport.open(new InetSocketAddress(0));
        open.add(wildcard);
        assertThatThrownBy(() -> builder().transport(wildcard, new Capture()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected: one IPv4 address");
        assertThatThrownBy(() -> GwlbAppliance.builder().start()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> GwlbAppliance.builder().io(new MemoryBatchIo()).start())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no GWLB source");
        assertThatThrownBy(() -> GwlbAppliance.builder().gwlbSource(InetAddress.getByName("::1"), 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GwlbAppliance.builder().gwlbSource(MemoryBatchIo.address(10, 0, 0, 0), 33))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder().flowCapacity(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder().tcpIdleTimeout(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> builder().transport(wildcard)
                .kernelInspection(new GwlbKernelInspection(n -> null, Capture::new, List.of())).start())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("one IPv4 address in kernel-inspection mode");
    }

    @Test
    void healthPortAnswers200ThenA503OnceAReceiveThreadDied() throws Exception {
        MemoryBatchIo io = new MemoryBatchIo();
        GwlbAppliance appliance = start(builder().io(io).inspector(p -> {
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
        io.deliver(datagram(ENDPOINT_A, ATTACHMENT, 1, GwlbWire.IPV4, false,
                ipv4(ip(10, 0, 0, 1), ip(10, 0, 0, 2), 17, GwlbWire.udp(1, 666, "boom"))), GWLB, GWLB_PORT);
        waitFor(() -> !appliance.healthy());
        assertThat(appliance.failure()).get().extracting(Throwable::getMessage).isEqualTo("inspector bug");
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
