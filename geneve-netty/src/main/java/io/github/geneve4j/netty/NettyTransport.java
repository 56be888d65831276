package io.github.geneve4j.netty;

import io.github.geneve4j.endpoint.spi.DatagramSource;
import io.github.geneve4j.endpoint.spi.DatagramTransport;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.unix.SegmentedDatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.BindException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * A {@code geneve-endpoint} {@link DatagramTransport} on Netty's epoll datagram channel: UDP
 * segmentation offload out ({@code UDP_SEGMENT}, as {@link SegmentedDatagramPacket}s: one system
 * call for up to 64 datagrams of one size) and UDP GRO in ({@code UDP_GRO}: the kernel hands over up
 * to 64 KiB of datagrams of one size at once; Netty cuts them into slices, and this transport puts
 * the consecutive ones from one sender back together for the engine).
 *
 * <pre>{@code
 * GeneveEndpoint vtep = GeneveEndpoint.builder()
 *         .transport(NettyTransport.open(new InetSocketAddress("172.31.0.2", 6081), 4 << 20))
 *         .device(tap).peer(peer).vni(5000).offload(true).start();
 * }</pre>
 *
 * <p>Threads: the channel lives on a Netty event loop (its own single-thread epoll group unless one
 * is given, which then is the caller's to shut down). The engine's receiving thread takes what the
 * event loop read from a bounded queue between the two (reading pauses while it is full, and the
 * kernel's socket buffer holds the rest, as it would for a socket read directly); the engine's
 * sending thread hands datagrams to the event loop through another, which writes and flushes them in
 * one go ({@code sendmmsg} where several wait).
 *
 * <p>Copies and allocation: the endpoint's buffers are its own and reused as soon as a call returns,
 * so each receive copies the datagrams into the caller's memory, and each send copies the caller's
 * bytes into one pooled direct {@link ByteBuf} (the kernel copies them again, as it does for any
 * socket). Per datagram this transport allocates nothing of its own; Netty allocates, per
 * {@code recvmsg}, a pooled buffer and a sender {@link InetSocketAddress}, per GRO segment a
 * {@link DatagramPacket} and a retained slice, and per send a pooled buffer and a
 * {@link DatagramPacket} or {@link SegmentedDatagramPacket}. A send that fails on the event loop
 * after its call returned (too long, no route) is thrown, as an {@link IOException}, by the next
 * send call; a full queue makes {@code send} return false, as a full socket buffer does.
 *
 * <p>Linux only, with Netty's epoll native library ({@code netty-transport-native-epoll}, classifier
 * {@code linux-x86_64} or {@code linux-aarch_64}) on the class or module path.
 */
public final class NettyTransport implements DatagramTransport {

    /** The kernel's limit on datagrams per UDP_SEGMENT send ({@code UDP_MAX_SEGMENTS} before Linux 6.x). */
    static final int MAX_SEGMENTS = 64;
    /** Bytes per UDP_SEGMENT send: one IP packet's worth, less its headers. */
    static final int MAX_GSO_BYTES = 65_000;
    /** Room for one GRO batch from the kernel (one IP packet's worth). */
    static final int RECEIVE_BUFFER = 65_536;
    /** Datagrams queued between the event loop and the engine, each way. */
    static final int QUEUE = 1024;
    /** Reading pauses when fewer slots than this are free: one more GRO batch (64 datagrams) still fits. */
    static final int PAUSE_FREE = 2 * MAX_SEGMENTS;
    /** How long a waiting receive waits (the SPI says: about half a second). */
    static final long WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final int VIEWS = 4;

    private EpollDatagramChannel channel; // set once by open, before the transport is handed out
    private InetSocketAddress local;
    private final EventLoopGroup ownedGroup;
    private final boolean segmentation;
    private volatile boolean closed;
    private volatile Throwable failure; // from the event loop, thrown by the next send or receive

    // datagrams read by the event loop (producer) for the engine's receiver (consumer)
    private final HandoffRing<DatagramPacket> in = new HandoffRing<>(QUEUE);
    private volatile Thread waiter;
    private volatile boolean paused; // written on the event loop only
    private final AtomicBoolean resumeRequested = new AtomicBoolean();
    private final Runnable resume = this::resume;
    private final Object receiveLock = new Object();
    private InetSocketAddress lastSender;
    private DatagramSource lastSource;
    private final MemorySegment[] receiveSegments = new MemorySegment[VIEWS];
    private final ByteBuffer[] receiveViews = new ByteBuffer[VIEWS];
    private int receiveNext;

    // datagrams from the engine's sender (producer) for the event loop (consumer)
    private final HandoffRing<Object> out = new HandoffRing<>(QUEUE);
    private final AtomicBoolean drainScheduled = new AtomicBoolean();
    private final Runnable drain = this::drain;
    private final Object sendLock = new Object();
    private int lastCalls;
    private final MemorySegment[] sendSegments = new MemorySegment[VIEWS];
    private final ByteBuffer[] sendViews = new ByteBuffer[VIEWS];
    private int sendNext;

    private NettyTransport(EventLoopGroup ownedGroup) {
        this.ownedGroup = ownedGroup;
        this.segmentation = EpollDatagramChannel.isSegmentedDatagramPacketSupported();
    }

    /**
     * Opens an epoll datagram channel bound to {@code local} (port 0 for any) on an event loop of its
     * own, asking for {@code bufferBytes} of socket buffer each way (0 for the system's default; the
     * kernel caps it), with UDP GRO on.
     *
     * @throws IllegalArgumentException for an unresolved address or a negative buffer size
     * @throws IOException if epoll is not available here, or the address cannot be bound
     *     ({@link BindException})
     */
    public static NettyTransport open(InetSocketAddress local, int bufferBytes) throws IOException {
        check(local, bufferBytes);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            return new NettyTransport(group).bind(local, bufferBytes, group);
        } catch (IOException | RuntimeException | Error e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
            throw e;
        }
    }

    /**
     * As {@link #open(InetSocketAddress, int)}, on an event loop of {@code group} (an epoll group,
     * which stays the caller's: {@link #close()} does not shut it down).
     */
    public static NettyTransport open(InetSocketAddress local, int bufferBytes, EventLoopGroup group)
            throws IOException {
        check(local, bufferBytes);
        if (group == null) {
            throw new IllegalArgumentException("found event loop group null (expected: an epoll group)");
        }
        return new NettyTransport(null).bind(local, bufferBytes, group);
    }

    private static void check(InetSocketAddress local, int bufferBytes) throws IOException {
        if (local == null || local.isUnresolved()) {
            throw new IllegalArgumentException("found local address " + local + " (expected: a resolved IP address and port)");
        }
        if (bufferBytes < 0) {
            throw new IllegalArgumentException("found buffer size " + bufferBytes + " (expected: 0 or more bytes)");
        }
        if (!Epoll.isAvailable()) {
            throw new IOException("Netty's epoll transport is not available here: " + Epoll.unavailabilityCause(),
                    Epoll.unavailabilityCause());
        }
    }

    private NettyTransport bind(InetSocketAddress address, int bufferBytes, EventLoopGroup group) throws IOException {
        SocketProtocolFamily family = address.getAddress() instanceof Inet4Address
                ? SocketProtocolFamily.INET : SocketProtocolFamily.INET6;
        Bootstrap bootstrap = new Bootstrap().group(group)
                .channelFactory(() -> new EpollDatagramChannel(family))
                // in 4.2.18 GRO must not be combined with MAX_DATAGRAM_PAYLOAD_SIZE (the segment size is
                // lost): one recvmsg into a buffer that holds a whole GRO batch instead
                .option(EpollChannelOption.UDP_GRO, true)
                .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(RECEIVE_BUFFER))
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(2 << 20, 4 << 20))
                .handler(new Inbound());
        if (bufferBytes > 0) {
            bootstrap.option(ChannelOption.SO_RCVBUF, bufferBytes).option(ChannelOption.SO_SNDBUF, bufferBytes);
        }
        ChannelFuture bound = bootstrap.bind(address).awaitUninterruptibly();
        if (!bound.isSuccess()) {
            bound.channel().close().awaitUninterruptibly();
            Throwable cause = bound.cause();
            BindException e = new BindException("cannot bind UDP " + format(address) + ": " + cause.getMessage());
            e.initCause(cause);
            throw e;
        }
        this.channel = (EpollDatagramChannel) bound.channel();
        this.local = channel.localAddress();
        return this;
    }

    /** The event loop's end: every datagram read goes into the queue for {@link #receive}. */
    private final class Inbound extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof DatagramPacket packet) || closed) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (!in.offer(packet)) {
                packet.release(); // cannot happen while reading pauses in time; never block the event loop
                return;
            }
            if (in.free() < PAUSE_FREE && !paused) {
                paused = true;
                ctx.channel().config().setAutoRead(false); // the kernel's socket buffer holds what comes next
            }
            wake();
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            wake();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failure = cause; // a read or a write (with the void promise) that failed
        }
    }

    private void wake() {
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
    }

    /** On the event loop: reading goes on once the receiver has taken half the queue. */
    private void resume() {
        resumeRequested.set(false);
        if (paused && in.size() <= QUEUE / 2) {
            paused = false;
            channel.config().setAutoRead(true);
        }
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    /** Whether {@link #sendSegments} sends several datagrams per system call (Netty's UDP_SEGMENT support here). */
    @Override
    public boolean segmentation() {
        return segmentation;
    }

    @Override
    public boolean send(MemorySegment buffer, long offset, long length, InetSocketAddress to) throws IOException {
        checkRange(buffer, offset, length);
        synchronized (sendLock) {
            checkSend(to);
            lastCalls = 0;
            if (!room(1)) {
                return false;
            }
            out.offer(new DatagramPacket(copy(buffer, offset, (int) length), to));
            lastCalls = 1;
            schedule();
            return true;
        }
    }

    /**
     * Sends the datagrams of {@code size} bytes each (the last may be shorter) that lie back to back in
     * {@code length} bytes at {@code offset}: as {@link SegmentedDatagramPacket}s of up to
     * {@value #MAX_SEGMENTS} datagrams and 65,000 bytes each where Netty supports UDP_SEGMENT here,
     * else one {@link DatagramPacket} per datagram (slices of one copy).
     *
     * @return the datagrams handed to the event loop: fewer when its queue or the channel's write
     *     buffer is full
     */
    @Override
    public int sendSegments(MemorySegment buffer, long offset, long length, int size, InetSocketAddress to)
            throws IOException {
        if (size <= 0 || size > 0xFFFF) {
            throw new IllegalArgumentException("found segment size " + size + " (expected: 1..65535)");
        }
        checkRange(buffer, offset, length);
        synchronized (sendLock) {
            checkSend(to);
            int sent = 0;
            int calls = 0;
            try {
                int perCall = Math.max(1, Math.min(MAX_SEGMENTS, MAX_GSO_BYTES / size));
                for (long at = offset, end = offset + length; at < end; ) {
                    int chunk = (int) Math.min((long) perCall * size, end - at);
                    int datagrams = (chunk + size - 1) / size;
                    if (segmentation && datagrams > 1) {
                        if (!room(1)) {
                            return sent;
                        }
                        out.offer(new SegmentedDatagramPacket(copy(buffer, at, chunk), size, to));
                        calls++;
                    } else {
                        if (!room(datagrams)) {
                            return sent;
                        }
                        ByteBuf copy = copy(buffer, at, chunk);
                        for (int d = 0; d < chunk; d += size) {
                            out.offer(new DatagramPacket(copy.retainedSlice(d, Math.min(size, chunk - d)), to));
                            calls++;
                        }
                        copy.release();
                    }
                    sent += datagrams;
                    at += chunk;
                }
                return sent;
            } finally {
                lastCalls = calls;
                if (calls > 0) {
                    schedule();
                }
            }
        }
    }

    /**
     * The writes the last send handed to the event loop: one per {@link SegmentedDatagramPacket} (one
     * {@code sendmsg} each, or fewer when Netty batches them in one {@code sendmmsg}).
     */
    @Override
    public int lastSendCalls() {
        return lastCalls;
    }

    private static void checkRange(MemorySegment buffer, long offset, long length) {
        if (offset < 0 || length < 0 || length > Integer.MAX_VALUE || offset + length > buffer.byteSize()) {
            throw new IllegalArgumentException("found range " + offset + "+" + length + " (expected: within the "
                    + buffer.byteSize() + " bytes of the buffer)");
        }
    }

    private void checkSend(InetSocketAddress to) throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        if (to == null || to.isUnresolved()) {
            throw new IllegalArgumentException("found destination " + to + " (expected: a resolved IP address and port)");
        }
        Throwable f = failure;
        if (f != null) {
            failure = null;
            throw f instanceof IOException io ? io : new IOException("a send on the event loop failed: " + f, f);
        }
    }

    private boolean room(int datagrams) {
        return out.free() >= datagrams && channel.isWritable();
    }

    private void schedule() {
        if (!drainScheduled.getAndSet(true)) {
            channel.eventLoop().execute(drain);
        }
    }

    /** On the event loop: every queued datagram written, then one flush. */
    private void drain() {
        drainScheduled.set(false); // first: a datagram queued from here on schedules another drain
        int n = 0;
        for (Object packet; (packet = out.poll()) != null; n++) {
            channel.write(packet, channel.voidPromise());
        }
        if (n > 0) {
            channel.flush();
        }
    }

    /** The caller's bytes in one pooled direct buffer. */
    private ByteBuf copy(MemorySegment buffer, long offset, int length) {
        ByteBuffer source = view(buffer, sendSegments, sendViews, true);
        ByteBuf copy = channel.alloc().directBuffer(length);
        ByteBuffer target = copy.internalNioBuffer(0, length);
        target.put(target.position(), source, (int) offset, length);
        copy.writerIndex(length);
        return copy;
    }

    /**
     * Receives into {@code capacity} bytes at {@code offset} of {@code buffer} what the event loop
     * read: one datagram, or several of one size from one sender back to back (a GRO batch, which Netty
     * cut into slices, put back together), their size in {@code source.segmentSize()}.
     *
     * @throws IOException if a datagram is longer than {@code capacity} (it is consumed), or a read
     *     failed on the event loop
     */
    @Override
    public int receive(MemorySegment buffer, long offset, long capacity, boolean wait, DatagramSource source)
            throws IOException {
        checkRange(buffer, offset, capacity);
        synchronized (receiveLock) {
            if (in.isEmpty() && !await(wait)) {
                return -1;
            }
            ByteBuffer target = view(buffer, receiveSegments, receiveViews, false);
            DatagramPacket first = in.poll();
            InetSocketAddress sender = first.sender();
            int size = first.content().readableBytes();
            try {
                if (size > capacity) {
                    throw new IOException("a datagram of " + size + " bytes is longer than the " + capacity
                            + " bytes of room for it");
                }
                copy(first.content(), target, (int) offset);
            } finally {
                first.release();
            }
            int total = size;
            // the rest of a GRO batch: same sender, same size, the last may be shorter (and ends it)
            for (DatagramPacket next; (next = in.peek()) != null; ) {
                int n = next.content().readableBytes();
                if (size == 0 || n > size || total + n > capacity || !sender.equals(next.sender())) {
                    break;
                }
                in.poll();
                try {
                    copy(next.content(), target, (int) offset + total);
                } finally {
                    next.release();
                }
                total += n;
                if (n < size) {
                    break;
                }
            }
            if (paused && in.size() <= QUEUE / 2 && !resumeRequested.getAndSet(true)) {
                channel.eventLoop().execute(resume);
            }
            if (!sender.equals(lastSender) || source != lastSource) {
                source.set(sender);
                lastSender = sender;
                lastSource = source;
            }
            source.segmentSize(size);
            return total;
        }
    }

    /** Waits (when asked) until a datagram is queued; false when none came. */
    private boolean await(boolean wait) throws IOException {
        checkReceive();
        if (!wait) {
            return false;
        }
        long deadline = System.nanoTime() + WAIT_NANOS;
        while (in.isEmpty()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            waiter = Thread.currentThread();
            try {
                if (in.isEmpty() && !closed) {
                    LockSupport.parkNanos(this, left);
                }
            } finally {
                waiter = null;
            }
            checkReceive();
        }
        return true;
    }

    private void checkReceive() throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        Throwable f = failure;
        if (f != null && in.isEmpty()) {
            failure = null;
            throw f instanceof IOException io ? io : new IOException("a read on the event loop failed: " + f, f);
        }
    }

    private static void copy(ByteBuf content, ByteBuffer target, int at) {
        int length = content.readableBytes();
        if (content.nioBufferCount() == 1) {
            ByteBuffer source = content.internalNioBuffer(content.readerIndex(), length);
            target.put(at, source, source.position(), length);
        } else {
            content.getBytes(content.readerIndex(), target.duplicate().limit(at + length).position(at));
        }
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

    @Override
    public boolean isOpen() {
        return !closed && channel.isOpen();
    }

    /**
     * Closes the channel: a receive waiting in another thread ends with {@link ClosedChannelException},
     * every datagram still queued either way is released, and the event loop this transport made is
     * shut down. Idempotent.
     */
    @Override
    public void close() {
        synchronized (sendLock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        wake();
        channel.close().awaitUninterruptibly();
        if (!channel.eventLoop().isShuttingDown()) {
            // what the sender queued is written into the closed channel, which releases it
            channel.eventLoop().submit(drain).awaitUninterruptibly();
        }
        synchronized (receiveLock) {
            for (DatagramPacket packet; (packet = in.poll()) != null; ) {
                ReferenceCountUtil.release(packet);
            }
        }
        if (ownedGroup != null) {
            ownedGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
        }
    }

    static String format(InetSocketAddress address) {
        if (address == null) {
            return "null";
        }
        String host = address.getAddress() == null ? address.getHostString() : address.getAddress().getHostAddress();
        return (address.getAddress() instanceof Inet4Address || address.getAddress() == null ? host : "[" + host + "]")
                + ":" + address.getPort();
    }

    @Override
    public String toString() {
        return "NettyTransport[" + format(local) + ", GRO" + (segmentation ? ", UDP_SEGMENT" : "") + "]";
    }
}
