package io.github.geneve4j.tools.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A small HTTP/1.1 listener for read-only endpoints that face the network: {@code /metrics} of
 * {@code geneve vtep --metrics} now, meant for the GWLB appliance's health check as well. JDK only.
 *
 * <p>Why not {@code com.sun.net.httpserver.HttpServer} (nor the Prometheus client's exporter, which
 * is built on it): it has no read timeout by default, so one client that sends half a request and
 * stops holds its thread, and a few such clients hold them all. Here every rule a sender could abuse
 * has a bound:
 * <ul>
 * <li>an explicit bind address (never "any" unless asked for);
 * <li>each connection lives at most {@link Limits#timeout()} from its accept, read and write
 *     together: when it is up the socket is closed, whatever the client does (a client that trickles
 *     one byte a second is cut as well as one that stops);
 * <li>at most {@link Limits#maxClients()} connections are served at once: one more is answered
 *     {@code 503} and closed at once, never queued behind a slow one;
 * <li>the request head is capped at {@link Limits#maxRequestBytes()} ({@code 431} beyond); the
 *     body is never read; one request per connection ({@code Connection: close});
 * <li>{@code GET} and {@code HEAD} only ({@code 405}), the paths given only ({@code 404}).
 * </ul>
 *
 * <pre>{@code
 * try (HttpListener http = HttpListener.start(new InetSocketAddress("127.0.0.1", 9464),
 *         Map.of("/health", () -> HttpListener.Response.text(200, "ok\n")), HttpListener.Limits.DEFAULT)) {
 *     ...
 * }
 * }</pre>
 */
public final class HttpListener implements AutoCloseable {

    /**
     * What a route answers.
     *
     * @param status the HTTP status code
     * @param contentType the {@code Content-Type} header
     * @param body the body (sent for {@code GET}, its length only for {@code HEAD})
     */
    public record Response(int status, String contentType, byte[] body) {

        /** Validates: a status 100..599, a content type. */
        public Response {
            if (status < 100 || status > 599) {
                throw new IllegalArgumentException("status " + status + " (expected: 100..599)");
            }
            Objects.requireNonNull(contentType, "contentType");
            Objects.requireNonNull(body, "body");
        }

        /** A plain text response, UTF-8. */
        public static Response text(int status, String text) {
            return new Response(status, "text/plain; charset=utf-8", text.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** What a path answers, computed for each request (on the connection's own thread). */
    @FunctionalInterface
    public interface Route {
        /**
         * The response to a {@code GET} or {@code HEAD} of this path.
         *
         * @throws IOException if it cannot be made (answered {@code 500})
         */
        Response answer() throws IOException;
    }

    /**
     * The listener's bounds.
     *
     * @param timeout the longest a connection lives, from accept to close
     * @param maxClients connections served at once
     * @param maxRequestBytes the longest request head (request line and headers)
     */
    public record Limits(Duration timeout, int maxClients, int maxRequestBytes) {

        /** Two seconds, 8 clients, 8 KiB: a scraper or a load balancer's health check needs less. */
        public static final Limits DEFAULT = new Limits(Duration.ofSeconds(2), 8, 8192);

        /** Validates: a positive timeout, at least one client, a head of 64 bytes to 1 MiB. */
        public Limits {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout " + timeout + " (expected: positive)");
            }
            if (maxClients < 1 || maxRequestBytes < 64 || maxRequestBytes > 1 << 20) {
                throw new IllegalArgumentException("maxClients " + maxClients + ", maxRequestBytes " + maxRequestBytes
                        + " (expected: 1 or more, 64..1048576)");
            }
        }
    }

    private static final byte[] NONE = new byte[0];

    private final ServerSocket server;
    private final Map<String, Route> routes;
    private final Limits limits;
    private final Semaphore clients;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService deadlines;
    private final Thread acceptor;
    private volatile boolean closed;

    private HttpListener(ServerSocket server, Map<String, Route> routes, Limits limits) {
        this.server = server;
        this.routes = Map.copyOf(routes);
        this.limits = limits;
        this.clients = new Semaphore(limits.maxClients());
        this.deadlines = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().name("http-deadlines")
                .daemon(true).unstarted(r));
        this.acceptor = Thread.ofPlatform().name("http-accept " + server.getLocalSocketAddress()).daemon(true)
                .unstarted(this::acceptLoop);
    }

    /**
     * Listens on {@code address} (port 0 for any free port: see {@link #address()}) and serves
     * {@code routes}, each a path such as {@code /metrics} (the query string is ignored).
     *
     * @throws IOException if the address cannot be bound
     */
    public static HttpListener start(InetSocketAddress address, Map<String, Route> routes, Limits limits)
            throws IOException {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(limits, "limits");
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("address " + address + " is unresolved (expected: an IP address)");
        }
        ServerSocket server = new ServerSocket();
        try {
            server.setReuseAddress(true);
            server.bind(address, 16);
        } catch (IOException e) {
            server.close();
            throw new java.net.BindException("cannot listen on " + address + ": " + e.getMessage());
        }
        HttpListener listener = new HttpListener(server, routes, limits);
        listener.acceptor.start();
        return listener;
    }

    /** The address it listens on (with the port chosen when 0 was asked for). */
    public InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                if (closed || server.isClosed()) {
                    return;
                }
                // out of descriptors, for example: let connections finish instead of spinning
                sleepQuietly(10);
                continue;
            }
            if (!clients.tryAcquire()) {
                // never queue behind the clients being served: say so at once, on this thread (a
                // few bytes into a fresh socket's empty send buffer do not block)
                try (socket) {
                    socket.setSoTimeout(1);
                    write(socket.getOutputStream(), Response.text(503, "too many clients\n"), false);
                } catch (IOException ignored) {
                    // the client is gone: nothing to answer
                }
                continue;
            }
            open.add(socket);
            ScheduledFuture<?> deadline = deadlines.schedule(() -> closeQuietly(socket), limits.timeout().toNanos(),
                    TimeUnit.NANOSECONDS);
            Thread.ofVirtual().name("http " + socket.getRemoteSocketAddress()).start(() -> {
                try {
                    serve(socket);
                } finally {
                    deadline.cancel(false);
                    closeQuietly(socket);
                    open.remove(socket);
                    clients.release();
                }
            });
        }
    }

    private void serve(Socket socket) {
        try {
            socket.setSoTimeout((int) Math.max(1, limits.timeout().toMillis()));
            Request request = read(socket.getInputStream());
            Response response;
            if (request.error() != null) {
                response = request.error();
            } else if (!request.method().equals("GET") && !request.method().equals("HEAD")) {
                response = Response.text(405, "GET or HEAD only\n");
            } else {
                Route route = routes.get(request.path());
                response = route == null ? Response.text(404, "not found\n") : answer(route);
            }
            write(socket.getOutputStream(), response, "HEAD".equals(request.method()));
        } catch (IOException e) {
            // timed out, closed by the deadline, or reset by the client: nothing to answer
        }
    }

    private static Response answer(Route route) {
        try {
            return route.answer();
        } catch (IOException | RuntimeException e) {
            return Response.text(500, "internal error\n");
        }
    }

    /** A request line, or the error response to send instead. */
    private record Request(String method, String path, Response error) {
    }

    private Request read(InputStream in) throws IOException {
        byte[] head = new byte[limits.maxRequestBytes()];
        int length = 0;
        int end = -1;
        while (end < 0) {
            if (length == head.length) {
                return new Request("", "", Response.text(431, "request head over " + head.length + " bytes\n"));
            }
            int n = in.read(head, length, head.length - length);
            if (n < 0) {
                throw new SocketException("closed before the end of the request head");
            }
            int from = Math.max(0, length - 3);
            length += n;
            end = headEnd(head, from, length);
        }
        String text = new String(head, 0, end, StandardCharsets.ISO_8859_1);
        int lineEnd = text.indexOf('\n');
        String line = (lineEnd < 0 ? text : text.substring(0, lineEnd)).strip();
        String[] parts = line.split(" ", -1);
        if (parts.length != 3 || !parts[2].startsWith("HTTP/1.") || !parts[1].startsWith("/")) {
            return new Request("", "", Response.text(400, "bad request line\n"));
        }
        int query = parts[1].indexOf('?');
        return new Request(parts[0], query < 0 ? parts[1] : parts[1].substring(0, query), null);
    }

    /** The end of the head (its blank line, CRLF or LF alone as RFC 9112 section 2.2 allows), or -1. */
    private static int headEnd(byte[] b, int from, int length) {
        for (int i = from; i < length; i++) {
            if (b[i] == '\n' && ((i >= 1 && b[i - 1] == '\n') || (i >= 2 && b[i - 1] == '\r' && b[i - 2] == '\n'))) {
                return i + 1;
            }
        }
        return -1;
    }

    private static void write(OutputStream out, Response response, boolean head) throws IOException {
        String header = "HTTP/1.1 " + response.status() + " " + reason(response.status()) + "\r\n"
                + "Content-Type: " + response.contentType() + "\r\n"
                + "Content-Length: " + response.body().length + "\r\n"
                + (response.status() == 405 ? "Allow: GET, HEAD\r\n" : "")
                + "Connection: close\r\n\r\n";
        out.write(header.getBytes(StandardCharsets.ISO_8859_1));
        out.write(head ? NONE : response.body());
        out.flush();
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 400 -> "Bad Request";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 503 -> "Service Unavailable";
            default -> String.format(Locale.ROOT, "Status %d", status);
        };
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing is all that is left to do
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops listening and closes every connection being served. */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // the acceptor ends either way
        }
        open.forEach(HttpListener::closeQuietly);
        deadlines.shutdownNow();
        try {
            acceptor.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
