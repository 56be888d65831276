/**
 * Geneve for Netty 4.2 pipelines: {@link io.github.geneve4j.netty.GeneveDecoder} (datagrams to
 * {@link io.github.geneve4j.netty.GenevePacket}s without copying), {@link io.github.geneve4j.netty.GeneveEncoder}
 * and {@link io.github.geneve4j.netty.GeneveSegmentationEncoder} (software TSO as UDP_SEGMENT datagrams),
 * {@link io.github.geneve4j.netty.GenevePolicyHandler} (the RFC 8926 receive policy), and
 * {@link io.github.geneve4j.netty.NettyTransport}, an endpoint transport on Netty's epoll datagram channel.
 */
package io.github.geneve4j.netty;
