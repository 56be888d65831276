package io.github.geneve4j.endpoint.spi;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * Sends whole IPv4 packets, outer IPv4 and UDP headers included, that the caller wrote: how a
 * reflector (the GWLB appliance of {@code geneve-gwlb}) answers with the UDP ports it received, which
 * no UDP socket bound to the receiving port can (it would send from that port). {@code geneve-linux}'s
 * {@code RawIpv4Socket} is one (it needs {@code CAP_NET_RAW}).
 *
 * <p>One thread uses each sender at a time; it must not allocate per packet.
 */
public interface RawIpv4Sender extends AutoCloseable {

    /**
     * Sends the IPv4 packet of {@code length} bytes at {@code offset} of {@code buffer} (header
     * included; its destination address says where to).
     *
     * @return whether it was sent; false when the socket's buffer was full
     * @throws java.nio.channels.ClosedChannelException once the sender is closed
     * @throws IOException if the send failed (the caller counts it and goes on)
     */
    boolean sendIpv4(MemorySegment buffer, long offset, long length) throws IOException;

    /** Closes it. */
    @Override
    void close() throws IOException;
}
