package io.github.geneve4j.endpoint.gwlb;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * How replies go back to GWLB when they must carry GWLB's own UDP ports: a raw IPv4 socket that sends
 * whole packets, outer IPv4 and UDP headers included, which the appliance writes in front of the
 * received Geneve header (addresses swapped, ports as received). {@code geneve-linux}'s
 * {@code RawIpv4Socket} is one (it needs {@code CAP_NET_RAW}). Without one, the appliance answers
 * through the receiving transport, from its own port (see {@link GwlbAppliance.Builder#transport}).
 *
 * <p>One receive thread uses each return path; it must not allocate per packet.
 */
public interface GwlbReturnPath extends AutoCloseable {

    /**
     * Sends the IPv4 packet of {@code length} bytes at {@code offset} of {@code buffer} (header
     * included; its destination address says where to).
     *
     * @return whether it was sent; false when the socket's buffer was full
     * @throws IOException if the send failed (the appliance counts it and goes on)
     */
    boolean sendIpv4(MemorySegment buffer, long offset, long length) throws IOException;

    /** Closes it. */
    @Override
    void close() throws IOException;
}
