/**
 * The Geneve tunnel endpoint engine: {@link io.github.geneve4j.endpoint.GeneveEndpoint}, built with a
 * builder, started and closed; it owns its threads, checks who sent every datagram, counts what it
 * carries and what it drops ({@link io.github.geneve4j.endpoint.EndpointStats}).
 *
 * <p>The {@code spi} package is what an inner side (a {@link io.github.geneve4j.endpoint.spi.FrameDevice}:
 * a TAP, a virtual host) and an outer side (a {@link io.github.geneve4j.endpoint.spi.DatagramTransport}:
 * the JDK's {@code DatagramChannel} by default, the FFM socket of {@code geneve-linux}, Netty) implement.
 * Depends on the JDK, {@code geneve-codec} and {@code geneve-options} alone.
 */
module io.github.geneve4j.endpoint {
    requires transitive io.github.geneve4j.codec;
    requires transitive io.github.geneve4j.options;

    exports io.github.geneve4j.endpoint;
    exports io.github.geneve4j.endpoint.spi;
    exports io.github.geneve4j.endpoint.bfd;
}
