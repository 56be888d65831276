package io.github.geneve4j.gwlb;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.gwlb.testing.MemoryBatchIo;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The health port against clients who do not play along: one that sends half a request and stops
 * holds nothing up (the reproduction: every later check went unanswered), is closed after the
 * read timeout, many at once cannot keep a new check out, an oversized request is refused, and the
 * answer does not grow with endpoint IDs; it answers on IPv4 and IPv6 when given both.
 */
@Timeout(60)
class GwlbHealthServerTest {

    private static final byte[] HALF = "GET / HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII);
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    private GwlbAppliance appliance() {
        GwlbAppliance a = GwlbApplianceTest.builder().io(new MemoryBatchIo()).start();
        open.add(a);
        return a;
    }

    private GwlbHealthServer health(List<InetSocketAddress> at, Duration readTimeout, int maxConnections) throws IOException {
        GwlbHealthServer h = GwlbHealthServer.start(appliance(), at, readTimeout, maxConnections, System::nanoTime);
        open.add(h);
        return h;
    }

    private static InetSocketAddress loopback() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    }

    /** A client that sends half a request and stops. */
    private Socket slow(InetSocketAddress to) throws IOException {
        Socket s = new Socket(to.getAddress(), to.getPort());
        open.add(s);
        s.getOutputStream().write(HALF);
        s.getOutputStream().flush();
        return s;
    }

    /** One request, the whole response (the server closes the connection after it). */
    static String http(InetSocketAddress to, String request) throws IOException {
        try (Socket s = new Socket(to.getAddress(), to.getPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    static String check(InetSocketAddress to) throws IOException {
        return http(to, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    }

    /** Whether the server closed {@code s} (its read ends) rather than keeping it open. */
    private static boolean closedByServer(Socket s) throws IOException {
        s.setSoTimeout(300);
        try {
            InputStream in = s.getInputStream();
            return in.read() < 0;
        } catch (SocketTimeoutException stillOpen) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    @Test
    void aSlowClientDoesNotHoldUpAnotherClientsCheck() throws Exception {
        // a read timeout of an hour: the check below can only be answered by serving both at once
        GwlbHealthServer h = health(List.of(loopback()), Duration.ofHours(1), 64);
        Socket slow = slow(h.address());
        String ok = check(h.address());
        assertThat(ok).startsWith("HTTP/1.1 200 OK\r\n").contains("Connection: close", "{\"healthy\":true,");
        assertThat(closedByServer(slow)).as("the slow one is still waited for").isFalse();
    }

    @Test
    void aSlowClientIsClosedOnceItsReadTimeoutHasPassed() throws Exception {
        GwlbHealthServer h = health(List.of(loopback()), Duration.ofMillis(100), 64);
        Socket slow = slow(h.address());
        slow.setSoTimeout(20_000);
        assertThat(slow.getInputStream().read()).as("closed without an answer").isEqualTo(-1);
        assertThat(check(h.address())).startsWith("HTTP/1.1 200 ");
    }

    @Test
    void manySlowClientsCannotKeepANewCheckOut() throws Exception {
        GwlbHealthServer h = health(List.of(loopback()), Duration.ofHours(1), 4);
        List<Socket> slow = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            slow.add(slow(h.address()));
        }
        assertThat(check(h.address())).startsWith("HTTP/1.1 200 ");
        int closed = 0;
        for (Socket s : slow) {
            closed += closedByServer(s) ? 1 : 0;
        }
        assertThat(closed).as("the oldest closed to stay within 4 connections").isGreaterThanOrEqualTo(47);
    }

    @Test
    void refusesAnOversizedRequestAndOtherMethods() throws Exception {
        GwlbHealthServer h = health(List.of(loopback()), Duration.ofHours(1), 64);
        String big = "GET / HTTP/1.1\r\nX: " + "a".repeat(GwlbHealthServer.MAX_REQUEST) + "\r\n\r\n";
        assertThat(http(h.address(), big)).startsWith("HTTP/1.1 431 ");
        assertThat(http(h.address(), "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n")).startsWith("HTTP/1.1 405 ")
                .contains("Allow: GET, HEAD");
        assertThat(http(h.address(), "HEAD / HTTP/1.0\n\n")).startsWith("HTTP/1.1 200 ").endsWith("\r\n\r\n");
    }

    @Test
    void answersOnIpv4AndIpv6WhenGivenBoth() throws Exception {
        GwlbHealthServer h = health(List.of(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0),
                new InetSocketAddress(InetAddress.getByName("::1"), 0)), Duration.ofSeconds(2), 64);
        List<InetSocketAddress> at = h.addresses();
        assertThat(at).hasSize(2);
        assertThat(at.get(1).getAddress().getHostAddress()).isEqualTo("0:0:0:0:0:0:0:1");
        for (InetSocketAddress a : at) {
            assertThat(check(a)).as(a.toString()).startsWith("HTTP/1.1 200 ").contains("{\"healthy\":true,");
        }
    }

    @Test
    void theAnswerDoesNotGrowWithEndpointIds() {
        List<GwlbStats.EndpointFlows> endpoints = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            endpoints.add(new GwlbStats.EndpointFlows(i, i == 500 ? 99 : 1));
        }
        Map<GwlbDropReason, Long> drops = new EnumMap<>(GwlbDropReason.class);
        GwlbStats stats = new GwlbStats(0, 0, 0, 0, 0, drops, 0, 0, 0, 0, 0, 1024, endpoints, 0, 0, 0, 0, 0, 1, 1, true);
        String json = stats.toJson();
        assertThat(json).contains("\"endpointCount\":1000", "{\"endpointId\":\"00000000000001f4\",\"flows\":99}");
        assertThat(json.split("endpointId", -1)).hasSize(GwlbStats.JSON_ENDPOINTS + 1);
        assertThat(json.length()).isLessThan(3000);
    }
}
