package io.github.geneve4j.gwlb;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The port GWLB health-checks an appliance on (a target group's TCP or HTTP health check): HTTP
 * {@code GET} (any path) answers {@code 200} with the appliance's {@link GwlbStats#toJson()} while it
 * is {@link GwlbAppliance#healthy()}, {@code 503} with the same body when it is not (a receive thread
 * died, or it is not started); other methods get {@code 405}. A TCP health check only needs the port to
 * accept connections. Served by the JDK's {@code jdk.httpserver} on one thread of its own.
 *
 * <pre>{@code
 * try (GwlbHealthServer health = GwlbHealthServer.start(appliance, new InetSocketAddress(8080))) { ... }
 * }</pre>
 */
public final class GwlbHealthServer implements AutoCloseable {

    private final HttpServer server;
    private final ExecutorService executor;

    private GwlbHealthServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Serves {@code appliance}'s health on {@code address} (port 0 for any).
     *
     * @throws IOException if the port cannot be bound
     */
    public static GwlbHealthServer start(GwlbAppliance appliance, InetSocketAddress address) throws IOException {
        HttpServer server;
        try {
            server = HttpServer.create(address, 16);
        } catch (IOException e) {
            throw new java.net.BindException("cannot bind the health port " + address + ": " + e.getMessage());
        }
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> Thread.ofPlatform()
                .name("gwlb-health").daemon(true).unstarted(r));
        server.setExecutor(executor);
        server.createContext("/", exchange -> answer(appliance, exchange));
        server.start();
        return new GwlbHealthServer(server, executor);
    }

    private static void answer(GwlbAppliance appliance, HttpExchange exchange) throws IOException {
        try (exchange) {
            boolean head = "HEAD".equals(exchange.getRequestMethod());
            if (!"GET".equals(exchange.getRequestMethod()) && !head) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            GwlbStats stats = appliance.stats();
            byte[] body = (stats.toJson() + "\n").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(stats.healthy() ? 200 : 503, head ? -1 : body.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    /** The address the server is bound to (the chosen port, for port 0). */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** Stops serving. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
