package io.github.geneve4j.gwlb;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * The port GWLB health-checks an appliance on (a target group's TCP or HTTP health check): HTTP
 * {@code GET} or {@code HEAD} (any path) answers {@code 200} with the appliance's
 * {@link GwlbStats#toJson()} while it is {@link GwlbAppliance#healthy()}, {@code 503} with the same body
 * when it is not (a receive thread died, or it is closed); other methods get {@code 405}. A TCP health
 * check only needs the port to accept connections. One connection, one request: every answer closes it.
 *
 * <pre>{@code
 * try (GwlbHealthServer health = GwlbHealthServer.start(appliance, new InetSocketAddress("10.0.1.5", 8080))) { ... }
 * }</pre>
 *
 * <p>It faces whoever reaches the port, so nobody can hold it: one thread ({@code gwlb-health}) serves
 * every connection without blocking on any (a selector), each request must arrive whole within
 * {@value #READ_TIMEOUT_MILLIS} ms and {@value #MAX_REQUEST} bytes (else the connection is closed; an
 * oversized one gets {@code 431}), at most {@value #MAX_CONNECTIONS} connections are open at once (past
 * that, the oldest is closed: a slow client cannot keep a new health check out), and the answer's size is
 * bounded ({@link GwlbStats#toJson()} lists at most {@value GwlbStats#JSON_ENDPOINTS} endpoint IDs). It binds
 * the addresses it is given only: the appliance's own, not every interface.
 */
public final class GwlbHealthServer implements AutoCloseable {

    /** How long a client has to send its whole request. */
    public static final int READ_TIMEOUT_MILLIS = 2000;
    /** The longest request (request line and headers) read. */
    public static final int MAX_REQUEST = 4096;
    /** Connections open at once, at most. */
    public static final int MAX_CONNECTIONS = 64;

    private final GwlbAppliance appliance;
    private final Selector selector;
    private final List<ServerSocketChannel> servers;
    private final long readTimeoutNanos;
    private final int maxConnections;
    private final LongSupplier clock;
    // open client connections, oldest first (bounded by maxConnections)
    private final ArrayDeque<Client> clients = new ArrayDeque<>();
    private final Thread thread;
    private volatile boolean closed;

    /** One client connection: what it sent so far, its deadline, what is left to write. */
    private static final class Client {
        final SocketChannel channel;
        final long deadline;
        final ByteBuffer request = ByteBuffer.allocate(MAX_REQUEST);
        ByteBuffer response;
        SelectionKey key;

        Client(SocketChannel channel, long deadline) {
            this.channel = channel;
            this.deadline = deadline;
        }
    }

    private GwlbHealthServer(GwlbAppliance appliance, List<InetSocketAddress> addresses, Duration readTimeout,
            int maxConnections, LongSupplier clock) throws IOException {
        this.appliance = appliance;
        this.readTimeoutNanos = readTimeout.toNanos();
        this.maxConnections = maxConnections;
        this.clock = clock;
        this.selector = Selector.open();
        this.servers = new ArrayList<>();
        try {
            for (InetSocketAddress address : addresses) {
                ServerSocketChannel server = ServerSocketChannel.open(
                        address.getAddress() instanceof java.net.Inet6Address ? java.net.StandardProtocolFamily.INET6
                                : java.net.StandardProtocolFamily.INET);
                servers.add(server);
                server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                try {
                    server.bind(address, 64);
                } catch (IOException e) {
                    throw new BindException("cannot bind the health port " + address + ": " + e.getMessage());
                }
                server.configureBlocking(false);
                server.register(selector, SelectionKey.OP_ACCEPT);
            }
        } catch (IOException | RuntimeException e) {
            for (ServerSocketChannel s : servers) {
                s.close();
            }
            selector.close();
            throw e;
        }
        this.thread = Thread.ofPlatform().name("gwlb-health").daemon(true).unstarted(this::serve);
    }

    /**
     * Serves {@code appliance}'s health on {@code address} (port 0 for any).
     *
     * @throws IOException if the port cannot be bound
     */
    public static GwlbHealthServer start(GwlbAppliance appliance, InetSocketAddress address) throws IOException {
        return start(appliance, List.of(address));
    }

    /**
     * Serves {@code appliance}'s health on each of {@code addresses} (IPv4 or IPv6; port 0 for any), for
     * a dual-stack health check.
     *
     * @throws IOException if a port cannot be bound (none is then left open)
     * @throws IllegalArgumentException if {@code addresses} is empty
     */
    public static GwlbHealthServer start(GwlbAppliance appliance, List<InetSocketAddress> addresses) throws IOException {
        return start(appliance, addresses, Duration.ofMillis(READ_TIMEOUT_MILLIS), MAX_CONNECTIONS, System::nanoTime);
    }

    /** The same with its bounds and clock given (for tests). */
    static GwlbHealthServer start(GwlbAppliance appliance, List<InetSocketAddress> addresses, Duration readTimeout,
            int maxConnections, LongSupplier clock) throws IOException {
        Objects.requireNonNull(appliance, "appliance");
        if (addresses.isEmpty()) {
            throw new IllegalArgumentException("no address (expected: at least one to bind the health port on)");
        }
        GwlbHealthServer server = new GwlbHealthServer(appliance, List.copyOf(addresses), readTimeout, maxConnections,
                clock);
        server.thread.start();
        return server;
    }

    private void serve() {
        try {
            while (!closed) {
                long now = clock.getAsLong();
                long wait = clients.isEmpty() ? 0 : Math.max(1, (clients.peekFirst().deadline - now) / 1_000_000 + 1);
                selector.select(wait);
                for (SelectionKey key : selector.selectedKeys()) {
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        accept((ServerSocketChannel) key.channel());
                    } else if (key.attachment() instanceof Client client) {
                        handle(client);
                    }
                }
                selector.selectedKeys().clear();
                expire(clock.getAsLong());
            }
        } catch (ClosedSelectorException e) {
            // closed
        } catch (IOException e) {
            if (!closed) {
                System.err.println("gwlb health: " + e.getMessage());
            }
        }
    }

    private void accept(ServerSocketChannel server) throws IOException {
        SocketChannel channel;
        while ((channel = server.accept()) != null) {
            if (clients.size() >= maxConnections) {
                drop(clients.peekFirst()); // the oldest: a slow client cannot keep a new check out
            }
            channel.configureBlocking(false);
            Client client = new Client(channel, clock.getAsLong() + readTimeoutNanos);
            client.key = channel.register(selector, SelectionKey.OP_READ, client);
            clients.addLast(client);
        }
    }

    /** Closes the clients whose request did not arrive (or whose answer was not taken) in time. */
    private void expire(long now) {
        while (!clients.isEmpty() && now - clients.peekFirst().deadline >= 0) {
            drop(clients.peekFirst());
        }
    }

    private void drop(Client client) {
        clients.remove(client);
        client.key.cancel();
        try {
            client.channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    private void handle(Client client) {
        try {
            if (client.response != null) {
                write(client);
                return;
            }
            int n = client.channel.read(client.request);
            if (n < 0) {
                drop(client);
                return;
            }
            int end = headerEnd(client.request);
            if (end < 0) {
                if (!client.request.hasRemaining()) {
                    respond(client, 431, "Request Header Fields Too Large", null, false);
                }
                return;
            }
            String method = method(client.request);
            boolean head = method.equals("HEAD");
            if (!head && !method.equals("GET")) {
                respond(client, 405, "Method Not Allowed", null, false);
                return;
            }
            GwlbStats stats = appliance.stats();
            respond(client, stats.healthy() ? 200 : 503, stats.healthy() ? "OK" : "Service Unavailable",
                    (stats.toJson() + "\n").getBytes(StandardCharsets.UTF_8), head);
        } catch (IOException e) {
            drop(client);
        }
    }

    private void respond(Client client, int status, String reason, byte[] body, boolean head) throws IOException {
        StringBuilder h = new StringBuilder(160).append("HTTP/1.1 ").append(status).append(' ').append(reason)
                .append("\r\n");
        if (status == 405) {
            h.append("Allow: GET, HEAD\r\n");
        }
        if (body != null) {
            h.append("Content-Type: application/json\r\n");
        }
        h.append("Content-Length: ").append(body == null ? 0 : body.length).append("\r\nConnection: close\r\n\r\n");
        byte[] header = h.toString().getBytes(StandardCharsets.US_ASCII);
        ByteBuffer response = ByteBuffer.allocate(header.length + (body == null || head ? 0 : body.length));
        response.put(header);
        if (body != null && !head) {
            response.put(body);
        }
        client.response = response.flip();
        client.key.interestOps(SelectionKey.OP_WRITE);
        write(client);
    }

    private void write(Client client) throws IOException {
        client.channel.write(client.response);
        if (!client.response.hasRemaining()) {
            drop(client); // one request per connection
        }
    }

    /** The offset just past the first empty line (CRLF CRLF, or LF LF), or -1. */
    static int headerEnd(ByteBuffer request) {
        int n = request.position();
        for (int i = 0; i < n; i++) {
            if (request.get(i) != '\n') {
                continue;
            }
            if (i + 1 < n && request.get(i + 1) == '\n') {
                return i + 2;
            }
            if (i + 2 < n && request.get(i + 1) == '\r' && request.get(i + 2) == '\n') {
                return i + 3;
            }
        }
        return -1;
    }

    /** The request line's method (up to its first space). */
    private static String method(ByteBuffer request) {
        int n = request.position();
        int i = 0;
        while (i < n && i < 16 && request.get(i) != ' ') {
            i++;
        }
        byte[] m = new byte[i];
        request.get(0, m);
        return new String(m, StandardCharsets.US_ASCII);
    }

    /** The address the server is bound to (the chosen port, for port 0); the first, if several. */
    public InetSocketAddress address() {
        return addresses().getFirst();
    }

    /** The addresses the server is bound to, in the order given (the chosen ports, for port 0). */
    public List<InetSocketAddress> addresses() {
        List<InetSocketAddress> list = new ArrayList<>();
        for (ServerSocketChannel s : servers) {
            try {
                list.add((InetSocketAddress) s.getLocalAddress());
            } catch (IOException e) {
                throw new IllegalStateException("the health server is closed", e);
            }
        }
        return list;
    }

    /** Stops serving: closes the ports and every open connection. */
    @Override
    public void close() {
        closed = true;
        try {
            selector.close(); // wakes the thread, which then ends
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (ServerSocketChannel s : servers) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        for (Client c : clients) {
            try {
                c.channel.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
