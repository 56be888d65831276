/**
 * Encapsulation and decapsulation: {@link io.github.geneve4j.codec.tunnel.GeneveTunnel} writes the outer
 * Ethernet, IP, UDP and Geneve headers around an inner frame, {@link io.github.geneve4j.codec.tunnel.GeneveFrameView}
 * finds the Geneve header and the inner frame in a received outer frame, and
 * {@link io.github.geneve4j.codec.tunnel.TunnelOverhead} says how many bytes a tunnel adds.
 */
package io.github.geneve4j.codec.tunnel;
