package io.github.geneve4j.tools.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The hardened listener against clients that misbehave. No test measures time: a slow client is
 * one that never finishes its request, and the second client's answer must come while it still
 * holds its connection (the listener's timeout is set far beyond the test's own).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HttpListenerTest {

    private static final Map<String, HttpListener.Route> ROUTES =
            Map.of("/metrics", () -> HttpListener.Response.text(200, "up 1\n"));

    static HttpListener listen(Duration timeout, int clients) throws IOException {
        return HttpListener.start(new InetSocketAddress("127.0.0.1", 0), ROUTES,
                new HttpListener.Limits(timeout, clients, 1024));
    }

    /** Sends {@code request} and reads the whole answer (the listener closes every connection). */
    static String exchange(InetSocketAddress to, String request) throws IOException {
        try (Socket s = new Socket(to.getAddress(), to.getPort())) {
            s.setSoTimeout(30_000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void aClientThatSendsHalfARequestAndStopsDoesNotBlockASecondClientsScrape() throws Exception {
        try (HttpListener http = listen(Duration.ofMinutes(10), 8); Socket slow = new Socket()) {
            slow.connect(http.address());
            slow.getOutputStream().write("GET /metr".getBytes(StandardCharsets.ISO_8859_1));
            slow.getOutputStream().flush();
            String answer = exchange(http.address(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(answer).startsWith("HTTP/1.1 200 OK\r\n").contains("Content-Length: 5\r\n")
                    .contains("Connection: close\r\n").endsWith("\r\n\r\nup 1\n");
            // the slow client still holds its connection: nothing was answered to it
            slow.setSoTimeout(50);
            assertThat(readOrTimeout(slow.getInputStream())).isEqualTo(-2);
        }
    }

    @Test
    void aClientThatNeverFinishesIsCutAtTheTimeout() throws Exception {
        try (HttpListener http = listen(Duration.ofMillis(200), 8); Socket slow = new Socket()) {
            slow.connect(http.address());
            slow.getOutputStream().write("GET /metrics HTTP/1.1\r\n".getBytes(StandardCharsets.ISO_8859_1));
            slow.setSoTimeout(30_000);
            // closed by the listener, with no answer (the test's own timeout is the bound here)
            assertThat(slow.getInputStream().read()).isEqualTo(-1);
        }
    }

    @Test
    void atTheBoundOneMoreClientIsAnswered503AtOnceNotQueued() throws Exception {
        try (HttpListener http = listen(Duration.ofMinutes(10), 1); Socket slow = new Socket()) {
            slow.connect(http.address());
            slow.getOutputStream().write("GET /".getBytes(StandardCharsets.ISO_8859_1));
            String answer = "";
            // the listener may not have taken the slow connection yet: ask until it has
            for (int i = 0; i < 200 && !answer.startsWith("HTTP/1.1 503"); i++) {
                answer = exchange(http.address(), "GET /metrics HTTP/1.1\r\n\r\n");
                if (!answer.startsWith("HTTP/1.1 503")) {
                    Thread.sleep(10);
                }
            }
            assertThat(answer).startsWith("HTTP/1.1 503 Service Unavailable\r\n");
            slow.close();
            // the slot is free again once the slow client is gone
            String later = "";
            for (int i = 0; i < 200 && !later.startsWith("HTTP/1.1 200"); i++) {
                later = exchange(http.address(), "GET /metrics HTTP/1.1\r\n\r\n");
                if (!later.startsWith("HTTP/1.1 200")) {
                    Thread.sleep(10);
                }
            }
            assertThat(later).startsWith("HTTP/1.1 200 OK");
        }
    }

    @Test
    void answersWhatItServesAndRefusesTheRest() throws Exception {
        try (HttpListener http = listen(Duration.ofMinutes(10), 8)) {
            InetSocketAddress at = http.address();
            assertThat(exchange(at, "GET /metrics?x=1 HTTP/1.0\n\n")).startsWith("HTTP/1.1 200 OK").endsWith("up 1\n");
            assertThat(exchange(at, "HEAD /metrics HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 200 OK")
                    .contains("Content-Length: 5\r\n").endsWith("\r\n\r\n");
            assertThat(exchange(at, "GET /other HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 404 Not Found");
            assertThat(exchange(at, "POST /metrics HTTP/1.1\r\nContent-Length: 2\r\n\r\nab"))
                    .startsWith("HTTP/1.1 405 Method Not Allowed").contains("Allow: GET, HEAD\r\n");
            assertThat(exchange(at, "GET /metrics\r\n\r\n")).startsWith("HTTP/1.1 400 Bad Request");
            assertThat(exchange(at, "GET /metrics HTTP/1.1\r\nX: " + "a".repeat(2000) + "\r\n\r\n"))
                    .startsWith("HTTP/1.1 431 ");
        }
    }

    @Test
    void aRouteThatFailsIsA500AndTheListenerGoesOn() throws Exception {
        Map<String, HttpListener.Route> routes = Map.of("/boom", () -> {
            throw new IOException("no");
        }, "/ok", () -> HttpListener.Response.text(200, "ok\n"));
        try (HttpListener http = HttpListener.start(new InetSocketAddress("127.0.0.1", 0), routes, HttpListener.Limits.DEFAULT)) {
            assertThat(exchange(http.address(), "GET /boom HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 500 ");
            assertThat(exchange(http.address(), "GET /ok HTTP/1.1\r\n\r\n")).startsWith("HTTP/1.1 200 ");
        }
    }

    @Test
    void closingStopsListeningAndCutsOpenConnections() throws Exception {
        HttpListener http = listen(Duration.ofMinutes(10), 8);
        try (Socket slow = new Socket()) {
            slow.connect(http.address());
            slow.getOutputStream().write("GET".getBytes(StandardCharsets.ISO_8859_1));
            // wait until the listener holds it (a request answered after it was accepted)
            exchange(http.address(), "GET /metrics HTTP/1.1\r\n\r\n");
            http.close();
            slow.setSoTimeout(30_000);
            assertThat(slow.getInputStream().read()).isEqualTo(-1);
        }
        try (Socket late = new Socket()) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> late.connect(http.address(), 5_000))
                    .isInstanceOf(IOException.class);
        }
    }

    /** A byte, -1 at the end, -2 when nothing came within the socket's timeout. */
    private static int readOrTimeout(InputStream in) throws IOException {
        try {
            return in.read();
        } catch (java.net.SocketTimeoutException e) {
            return -2;
        }
    }

}
