package io.github.geneve4j.endpoint.spi;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.BindException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;

/**
 * The portable {@link DatagramTransport}: a JDK {@link DatagramChannel}, bound and never connected,
 * in non-blocking mode with a {@link Selector} to wait on. One datagram per system call each way
 * (no UDP segmentation or GRO: {@code geneve-linux} has those).
 *
 * <pre>{@code
 * try (ChannelTransport udp = ChannelTransport.open(new InetSocketAddress("127.0.0.1", 6081))) { ... }
 * }</pre>
 *
 * <p>Nothing is allocated per datagram once a sender has been seen: the channel hands back the
 * same {@link InetSocketAddress} while the sender stays the same. A datagram from a sender
 * different from the previous one costs the JDK one address object.
 */
public final class ChannelTransport implements DatagramTransport {

    private final DatagramChannel channel;
    private final Selector selector;
    private final InetSocketAddress local;
    // ByteBuffer views over the caller's buffers, made once per buffer: the engine keeps its buffers,
    // and sends from three at most (a device's plain frames and a super-frame's segments, or a
    // handler's one; and the BFD thread's), so four slots never make a view per datagram
    private final MemorySegment[] sendSegments = new MemorySegment[VIEWS];
    private final ByteBuffer[] sendViews = new ByteBuffer[VIEWS];
    private int sendNext;
    private final MemorySegment[] receiveSegments = new MemorySegment[VIEWS];
    private final ByteBuffer[] receiveViews = new ByteBuffer[VIEWS];
    private int receiveNext;
    private static final int VIEWS = 4;
    private SocketAddress lastSender;
    private DatagramSource lastSource;

    private ChannelTransport(DatagramChannel channel, Selector selector) throws IOException {
        this.channel = channel;
        this.selector = selector;
        this.local = (InetSocketAddress) channel.getLocalAddress();
    }

    /**
     * Opens a channel bound to {@code local} (port 0 for any), asking for {@code bufferBytes} of
     * socket buffer each way (0 for the system's default; the kernel caps it).
     *
     * @throws IOException with the address in its message if it cannot be bound
     */
    public static ChannelTransport open(InetSocketAddress local, int bufferBytes) throws IOException {
        if (local == null || local.isUnresolved()) {
            throw new IllegalArgumentException("local address " + local + " (expected: a resolved IP address and port)");
        }
        DatagramChannel channel = DatagramChannel.open(local.getAddress() instanceof Inet4Address
                ? StandardProtocolFamily.INET : StandardProtocolFamily.INET6);
        Selector selector = null;
        try {
            if (bufferBytes > 0) {
                channel.setOption(StandardSocketOptions.SO_RCVBUF, bufferBytes);
                channel.setOption(StandardSocketOptions.SO_SNDBUF, bufferBytes);
            }
            try {
                channel.bind(local);
            } catch (IOException e) {
                throw new BindException("cannot bind UDP " + format(local) + ": " + e.getMessage());
            }
            channel.configureBlocking(false);
            selector = Selector.open();
            channel.register(selector, SelectionKey.OP_READ);
            return new ChannelTransport(channel, selector);
        } catch (IOException | RuntimeException e) {
            channel.close();
            if (selector != null) {
                selector.close();
            }
            throw e;
        }
    }

    /** Opens a channel bound to {@code local} with the system's default buffers. */
    public static ChannelTransport open(InetSocketAddress local) throws IOException {
        return open(local, 0);
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    @Override
    public boolean send(MemorySegment buffer, long offset, long length, InetSocketAddress to) throws IOException {
        ByteBuffer view = view(buffer, sendSegments, sendViews, true);
        view.limit(Math.toIntExact(offset + length)).position((int) offset);
        return channel.send(view, to) > 0;
    }

    @Override
    public int receive(MemorySegment buffer, long offset, long capacity, boolean wait, DatagramSource source)
            throws IOException {
        ByteBuffer view = view(buffer, receiveSegments, receiveViews, false);
        // one byte more than asked: a datagram that fills it was longer than the caller can take
        long room = Math.min(capacity + 1, view.capacity() - offset);
        view.limit(Math.toIntExact(offset + room)).position((int) offset);
        SocketAddress from = channel.receive(view);
        if (from == null && wait) {
            try {
                selector.select(ChannelTransport::ignore, 500);
            } catch (ClosedSelectorException closed) {
                throw new ClosedChannelException();
            }
            from = channel.receive(view);
        }
        if (from == null) {
            if (!channel.isOpen()) {
                throw new ClosedChannelException();
            }
            return -1;
        }
        int n = view.position() - (int) offset;
        if (n > capacity) {
            throw new IOException("a datagram longer than " + capacity + " bytes was cut short");
        }
        if (from != lastSender || source != lastSource) {
            source.set((InetSocketAddress) from);
            lastSender = from;
            lastSource = source;
        }
        source.segmentSize(n);
        return n;
    }

    /** The cached view over {@code buffer}, or a new one in the next slot (round robin). */
    private ByteBuffer view(MemorySegment buffer, MemorySegment[] segments, ByteBuffer[] views, boolean send) {
        for (int i = 0; i < VIEWS; i++) {
            if (segments[i] == buffer) {
                return views[i];
            }
        }
        int slot = send ? sendNext++ & (VIEWS - 1) : receiveNext++ & (VIEWS - 1);
        segments[slot] = buffer;
        views[slot] = buffer.asByteBuffer();
        return views[slot];
    }

    private static void ignore(SelectionKey key) {
        // the channel is read by the caller after select returns
    }

    @Override
    public boolean isOpen() {
        return channel.isOpen();
    }

    @Override
    public void close() throws IOException {
        try {
            channel.close();
        } finally {
            selector.close();
        }
    }

    static String format(InetSocketAddress address) {
        String host = address.getAddress() == null ? address.getHostString() : address.getAddress().getHostAddress();
        return (address.getAddress() instanceof Inet4Address || address.getAddress() == null ? host : "[" + host + "]")
                + ":" + address.getPort();
    }

    @Override
    public String toString() {
        return "ChannelTransport[" + format(local) + "]";
    }
}
