/**
 * Geneve for Netty: pipeline handlers and an endpoint transport on Netty's epoll datagram channel.
 *
 * <ul>
 *   <li>{@link io.github.geneve4j.netty.GeneveDecoder}: datagrams to {@link io.github.geneve4j.netty.GenevePacket}s
 *       (a view over the datagram's own memory, no copy), malformed ones dropped and counted or failed with
 *       the codec's reason and offset;</li>
 *   <li>{@link io.github.geneve4j.netty.GeneveEncoder}: {@link io.github.geneve4j.netty.GeneveEnvelope}s (a
 *       header and an inner frame) to datagrams, the header written in front of the frame where it has room;</li>
 *   <li>{@link io.github.geneve4j.netty.GeneveSegmentationEncoder}: software TSO, a large inner TCP frame out as
 *       UDP_SEGMENT datagrams (one system call for up to 64 segments) or one datagram per segment;</li>
 *   <li>{@link io.github.geneve4j.netty.GenevePolicyHandler}: the receive policy of {@code geneve-options};</li>
 *   <li>{@link io.github.geneve4j.netty.NettyTransport}: a {@code geneve-endpoint} transport on epoll, with
 *       UDP GSO and GRO.</li>
 * </ul>
 */
module io.github.geneve4j.netty {
    requires transitive io.github.geneve4j.endpoint;
    requires transitive io.netty.buffer;
    requires transitive io.netty.common;
    requires transitive io.netty.transport;
    requires transitive io.netty.codec;
    requires transitive io.netty.transport.classes.epoll;
    requires transitive io.netty.transport.unix.common;

    exports io.github.geneve4j.netty;
}
