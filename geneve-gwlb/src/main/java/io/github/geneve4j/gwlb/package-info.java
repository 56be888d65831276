/**
 * An appliance behind an AWS Gateway Load Balancer, on the endpoint engine's SPI (a batch I/O over its transports):
 * {@link io.github.geneve4j.gwlb.GwlbAppliance} receives GWLB's Geneve datagrams, hands
 * each inner packet with its GWLB context ({@link io.github.geneve4j.gwlb.GwlbPacket}) to a
 * {@link io.github.geneve4j.gwlb.GwlbInspector}, and returns what it lets through as GWLB
 * expects; {@link io.github.geneve4j.gwlb.GwlbHealthServer} answers GWLB's health checks.
 */
package io.github.geneve4j.gwlb;
