package io.github.geneve4j.tools.demo;

import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.tunnel.GeneveTunnel;
import io.github.geneve4j.endpoint.GeneveEndpoint;
import io.github.geneve4j.pcap.PcapWriter;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;
import java.time.Instant;

/**
 * Records what an endpoint sends as a socket-level tunnel would look on the wire: each Geneve
 * datagram inside outer Ethernet, IP and UDP headers with the real addresses and ports (the codec's
 * {@link GeneveTunnel} writes them, UDP checksum computed), so that Wireshark dissects the tunnel.
 * Both endpoints of the demo share one; datagrams are recorded before they are sent, so that a
 * reply can never precede its request.
 */
final class Capture {

    private final PcapWriter pcap;
    private final MemorySegment scratch = MemorySegment.ofArray(new byte[65_536 + 128]);

    Capture(PcapWriter pcap) {
        this.pcap = pcap;
    }

    /** An observer for an endpoint at {@code local} that sends {@code header} to the peer at {@code remote}. */
    GeneveEndpoint.SendObserver observer(InetSocketAddress local, InetSocketAddress remote, GeneveHeader header) {
        GeneveTunnel tunnel = GeneveTunnel.builder()
                .macs(0x02000000000aL, 0x02000000000bL)
                .addresses(local.getAddress(), remote.getAddress())
                .sourcePortRange(local.getPort(), local.getPort())
                .destinationPort(remote.getPort())
                .header(header).udpChecksum(true).build();
        int geneve = header.encodedLength();
        return (buffer, offset, length, to) -> record(tunnel, buffer, offset + geneve, length - geneve);
    }

    private synchronized void record(GeneveTunnel tunnel, MemorySegment buffer, long inner, long innerLength) {
        long n = tunnel.encapsulate(buffer, inner, innerLength, scratch, 0);
        Instant now = Instant.now();
        pcap.tryWrite(now.getEpochSecond() * 1_000_000_000L + now.getNano(), scratch, 0, n);
    }
}
