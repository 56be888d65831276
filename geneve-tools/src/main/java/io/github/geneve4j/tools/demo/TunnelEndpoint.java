package io.github.geneve4j.tools.demo;

import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveView;
import io.github.geneve4j.pcap.PcapWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * One end of a Geneve tunnel over a UDP socket: frames from the local virtual network are
 * encapsulated with this endpoint's header (VNI, options) and sent to the peer's Geneve port;
 * datagrams received are checked (RFC 8926 receipt rules, VNI, protocol type), decapsulated and
 * handed to the local network.
 *
 * <p>Replies go to the peer's configured Geneve port, never back to a datagram's source port: RFC
 * 8926 §3.3 makes the source port flow entropy. Without a configured peer, the endpoint answers the
 * address the last datagram came from, at {@code peerPort}.
 */
final class TunnelEndpoint implements AutoCloseable {

    private final DatagramChannel channel;
    private final GeneveHeader header;
    private final int peerPort;
    private volatile InetSocketAddress peer;
    private final PcapWriter pcap;
    private final PrintWriter log;
    private volatile Consumer<ByteBuffer> deliver = frame -> { };
    private Thread receiver;

    final AtomicLong sent = new AtomicLong();
    final AtomicLong received = new AtomicLong();
    final AtomicLong dropped = new AtomicLong();

    TunnelEndpoint(InetSocketAddress local, InetSocketAddress peer, int peerPort, GeneveHeader header, PcapWriter pcap,
            PrintWriter log) throws IOException {
        this.channel = DatagramChannel.open(local.getAddress() instanceof Inet4Address
                ? java.net.StandardProtocolFamily.INET : java.net.StandardProtocolFamily.INET6);
        try {
            channel.bind(local);
        } catch (IOException e) {
            channel.close();
            throw new IOException("cannot bind UDP " + format(local) + ": " + e.getMessage(), e);
        }
        this.peer = peer;
        this.peerPort = peerPort;
        this.header = header;
        this.pcap = pcap;
        this.log = log;
    }

    InetSocketAddress localAddress() throws IOException {
        return (InetSocketAddress) channel.getLocalAddress();
    }

    void peer(InetSocketAddress peer) {
        this.peer = peer;
    }

    /** Starts the receive thread, which hands each decapsulated frame to {@code deliver}. */
    void start(String name, Consumer<ByteBuffer> deliver) {
        this.deliver = deliver;
        receiver = Thread.ofPlatform().name(name).daemon().start(this::receiveLoop);
    }

    /** Encapsulates {@code frame} and sends it to the peer. */
    synchronized void send(ByteBuffer frame) {
        InetSocketAddress to = peer;
        if (to == null) {
            log.println("geneve: no peer yet; frame not sent");
            log.flush();
            return;
        }
        int headerLength = header.encodedLength();
        ByteBuffer datagram = ByteBuffer.allocate(headerLength + frame.limit());
        header.encode(datagram, 0);
        datagram.put(headerLength, frame, 0, frame.limit());
        try {
            if (pcap != null) {
                // recorded before it is sent, so that a reply can never precede its request
                Instant now = Instant.now();
                pcap.write(now.getEpochSecond() * 1_000_000_000L + now.getNano(),
                        OuterFrames.udp(localAddress(), to, datagram.array()));
            }
            channel.send(datagram, to);
            sent.incrementAndGet();
        } catch (IOException e) {
            log.println("geneve: send to " + format(to) + " failed: " + e.getMessage());
            log.flush();
        }
    }

    private void receiveLoop() {
        ByteBuffer buffer = ByteBuffer.allocateDirect(65_536);
        GeneveView view = new GeneveView();
        ReceiveChecks checks = new ReceiveChecks(header);
        while (channel.isOpen()) {
            buffer.clear();
            SocketAddress from;
            try {
                from = channel.receive(buffer);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                log.println("geneve: receive failed: " + e.getMessage());
                log.flush();
                continue;
            }
            buffer.flip();
            if (!view.tryWrap(buffer, 0)) {
                drop(from, view.errorReason() + " at offset " + view.errorOffset() + ": " + view.errorMessage());
                continue;
            }
            String reason = checks.reason(view);
            if (reason != null) {
                drop(from, reason);
                continue;
            }
            if (peer == null || !peer.getAddress().equals(((InetSocketAddress) from).getAddress())) {
                if (peer == null) {
                    peer = new InetSocketAddress(((InetSocketAddress) from).getAddress(), peerPort);
                }
            }
            received.incrementAndGet();
            ByteBuffer frame = ByteBuffer.allocate((int) view.payloadLength());
            frame.put(0, buffer, (int) view.payloadOffset(), frame.limit());
            deliver.accept(frame);
        }
    }

    private void drop(SocketAddress from, String reason) {
        dropped.incrementAndGet();
        log.println("geneve: dropped datagram from " + format(from) + ": " + reason);
        log.flush();
    }

    static String format(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            InetAddress ip = inet.getAddress();
            String host = ip == null ? inet.getHostString() : ip.getHostAddress();
            return (ip instanceof Inet4Address || ip == null ? host : "[" + host + "]") + ":" + inet.getPort();
        }
        return String.valueOf(address);
    }

    @Override
    public void close() throws IOException {
        channel.close();
        if (receiver != null) {
            try {
                receiver.join(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
