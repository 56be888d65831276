package io.github.geneve4j.tools.tap;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;

/**
 * One UDP socket shared by a sending and a receiving thread, in non-blocking mode so that the
 * receiver can ask "is another datagram already waiting?" (to know when to hand what it coalesced to
 * the kernel) while the sender still waits for room rather than dropping.
 */
final class UdpPort {

    private static final long WAIT_MILLIS = 500;

    private final DatagramChannel channel;
    private final Selector readable;
    private final Selector writable;

    UdpPort(DatagramChannel channel) throws IOException {
        this.channel = channel;
        channel.configureBlocking(false);
        this.readable = Selector.open();
        this.writable = Selector.open();
        channel.register(readable, SelectionKey.OP_READ);
        channel.register(writable, SelectionKey.OP_WRITE);
    }

    boolean isOpen() {
        return channel.isOpen();
    }

    /** Sends the datagram between the buffer's position and limit, waiting for room in the socket's buffer. */
    void send(ByteBuffer datagram, SocketAddress to) throws IOException {
        while (channel.send(datagram, to) == 0) {
            if (!channel.isOpen()) {
                throw new ClosedChannelException();
            }
            writable.select(WAIT_MILLIS);
            writable.selectedKeys().clear();
        }
    }

    /**
     * Receives one datagram into the buffer from its position.
     *
     * @param wait whether to wait for one (else return at once when none is waiting)
     * @return whether a datagram was received; false also after a wait that timed out
     */
    boolean receive(ByteBuffer into, boolean wait) throws IOException {
        if (channel.receive(into) != null) {
            return true;
        }
        if (!wait) {
            return false;
        }
        readable.select(WAIT_MILLIS);
        readable.selectedKeys().clear();
        return channel.receive(into) != null;
    }
}
