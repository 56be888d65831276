/**
 * An appliance behind an AWS Gateway Load Balancer: {@link io.github.geneve4j.gwlb.GwlbAppliance}
 * receives GWLB's Geneve datagrams in batches through the endpoint engine's SPI (a
 * {@link io.github.geneve4j.endpoint.spi.DatagramBatchIo}: a
 * {@link io.github.geneve4j.endpoint.spi.DatagramTransport} answering through a
 * {@link io.github.geneve4j.endpoint.spi.RawIpv4Sender}, or another batch I/O), hands each inner packet to a
 * {@link io.github.geneve4j.gwlb.GwlbInspector} and returns what it lets through as GWLB expects;
 * {@link io.github.geneve4j.gwlb.GwlbHealthServer} answers GWLB's health checks (a small HTTP server of
 * its own on a selector, bounded against slow and many clients). Depends on the JDK, {@code geneve-codec}, {@code geneve-options} and
 * {@code geneve-endpoint} alone.
 */
module io.github.geneve4j.gwlb {
    requires transitive io.github.geneve4j.endpoint;

    exports io.github.geneve4j.gwlb;
}
