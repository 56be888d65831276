package io.github.geneve4j.tools.metrics;

import io.github.geneve4j.endpoint.EndpointStats;
import io.github.geneve4j.tools.http.HttpListener;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code --metrics ADDR:PORT}: the Prometheus text exposition (format 0.0.4) of an endpoint's
 * {@link EndpointMetrics} (or an appliance's {@link GwlbMetrics}) and the JVM's basics (memory, GC, threads, CPU: the Prometheus client's
 * {@code JvmMetrics}) at {@code /metrics}, on an {@link HttpListener} with its default limits.
 * Each scrape reads one statistics snapshot; nothing runs between scrapes.
 */
public final class MetricsServer implements AutoCloseable {

    /** The path Prometheus scrapes by default. */
    public static final String PATH = "/metrics";

    private final HttpListener listener;

    private MetricsServer(HttpListener listener) {
        this.listener = listener;
    }

    /**
     * Serves {@code stats}' metrics on {@code address} (port 0: any free port, see {@link #address()}).
     *
     * @throws IOException if the address cannot be bound
     */
    public static MetricsServer start(InetSocketAddress address, Supplier<EndpointStats> stats) throws IOException {
        return start(address, new EndpointMetrics(stats));
    }

    /**
     * Serves {@code metrics} (an {@link EndpointMetrics}, a {@link GwlbMetrics}) and the JVM's on
     * {@code address} (port 0: any free port, see {@link #address()}).
     *
     * @throws IOException if the address cannot be bound
     */
    public static MetricsServer start(InetSocketAddress address, MultiCollector metrics) throws IOException {
        PrometheusRegistry registry = registry(metrics);
        PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
        HttpListener.Route scrape = () -> {
            ByteArrayOutputStream body = new ByteArrayOutputStream(16 << 10);
            writer.write(body, registry.scrape());
            return new HttpListener.Response(200, PrometheusTextFormatWriter.CONTENT_TYPE, body.toByteArray());
        };
        return new MetricsServer(HttpListener.start(address, Map.of(PATH, scrape), HttpListener.Limits.DEFAULT));
    }

    /** A registry of {@code stats}' metrics and the JVM's. */
    static PrometheusRegistry registry(Supplier<EndpointStats> stats) {
        return registry(new EndpointMetrics(stats));
    }

    /** A registry of {@code metrics} and the JVM's. */
    static PrometheusRegistry registry(MultiCollector metrics) {
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(metrics);
        JvmMetrics.builder().register(registry);
        return registry;
    }

    /** The address it listens on. */
    public InetSocketAddress address() {
        return listener.address();
    }

    /** Stops serving. */
    @Override
    public void close() {
        listener.close();
    }
}
