/**
 * The service provider interface of the endpoint engine: the inner side ({@link
 * io.github.geneve4j.endpoint.spi.FrameDevice}, with the {@link io.github.geneve4j.endpoint.spi.FrameOffload}
 * it may offer) and the outer side ({@link io.github.geneve4j.endpoint.spi.DatagramTransport}, which reports
 * each datagram's sender through a {@link io.github.geneve4j.endpoint.spi.DatagramSource}).
 * {@link io.github.geneve4j.endpoint.spi.ChannelTransport} is the JDK-only transport; {@code geneve-linux}
 * and {@code geneve-netty} provide faster ones.
 */
package io.github.geneve4j.endpoint.spi;
