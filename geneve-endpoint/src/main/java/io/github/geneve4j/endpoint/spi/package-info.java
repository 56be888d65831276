/**
 * The service provider interface of the endpoint engine: the inner side ({@link
 * io.github.geneve4j.endpoint.spi.FrameDevice}, with the {@link io.github.geneve4j.endpoint.spi.FrameOffload}
 * it may offer) and the outer side ({@link io.github.geneve4j.endpoint.spi.DatagramTransport}, which reports
 * each datagram's sender through a {@link io.github.geneve4j.endpoint.spi.DatagramSource}).
 * {@link io.github.geneve4j.endpoint.spi.ChannelTransport} is the JDK-only transport; {@code geneve-linux}
 * and {@code geneve-netty} provide faster ones.
 *
 * <p>For a reflector (the GWLB appliance of {@code geneve-gwlb}): {@link
 * io.github.geneve4j.endpoint.spi.DatagramBatchIo} receives a {@link io.github.geneve4j.endpoint.spi.DatagramBatch}
 * of datagrams and sends back the ones its reader marked, with the ports as received;
 * {@link io.github.geneve4j.endpoint.spi.TransportBatchIo} does it over a transport and a
 * {@link io.github.geneve4j.endpoint.spi.RawIpv4Sender} ({@code geneve-linux}'s {@code RawIpv4Socket}).
 */
package io.github.geneve4j.endpoint.spi;
