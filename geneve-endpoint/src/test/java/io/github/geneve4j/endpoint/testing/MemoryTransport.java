package io.github.geneve4j.endpoint.testing;

import io.github.geneve4j.endpoint.spi.DatagramSource;
import io.github.geneve4j.endpoint.spi.DatagramTransport;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * A datagram transport in memory, for tests: datagrams queued with {@link #inject} are what the
 * endpoint receives, from the source given (any address, any port, a GRO segment size); what the
 * endpoint sends is kept ({@link #sent()}) and, for a transport {@linkplain #connect connected} to
 * another, queued at that one with this one's address as the source, so two endpoints talk without
 * a socket. {@link #awaitCaughtUp()} waits until the endpoint has handled everything queued, which
 * lets a test drive the receive path one step at a time on the endpoint's own thread.
 *
 * <pre>{@code
 * MemoryTransport a = new MemoryTransport(new InetSocketAddress("127.0.0.1", 6081));
 * MemoryTransport b = new MemoryTransport(new InetSocketAddress("127.0.0.2", 6081));
 * a.connect(b);
 * }</pre>
 */
public final class MemoryTransport implements DatagramTransport {

    /**
     * A datagram the endpoint sent.
     *
     * @param bytes its bytes (Geneve header and inner frame)
     * @param to where it went
     */
    public record Sent(byte[] bytes, InetSocketAddress to) {
    }

    /** The longest a waiting receive waits before it says "nothing" (-1), as a socket's timeout would. */
    private static final long IDLE_NANOS = 100_000_000;

    private record Queued(byte[] bytes, DatagramSource from) {
    }

    private final InetSocketAddress local;
    private final Object lock = new Object();
    private final ArrayDeque<Queued> queue = new ArrayDeque<>();
    private final List<Sent> sent = new ArrayList<>();
    private volatile MemoryTransport peer;
    private volatile boolean open = true;
    private boolean caughtUp;
    private volatile boolean filters;
    private final List<List<InetAddress>> sourcesAsked = new ArrayList<>();
    private Queued flood;
    private long floodEveryNanos;
    private long floodServed;

    /** A transport "bound" to {@code local}. */
    public MemoryTransport(InetSocketAddress local) {
        this.local = local;
    }

    /** From now on, what this transport sends to {@code other}'s address is received by {@code other}, and back. */
    public void connect(MemoryTransport other) {
        this.peer = other;
        other.peer = this;
    }

    /** Queues {@code datagram} as received from {@code from}, one datagram. */
    public void inject(byte[] datagram, InetSocketAddress from) {
        inject(datagram, new DatagramSource().set(from));
    }

    /** Queues {@code bytes} as one receive from {@code from} (with its segment size: a GRO batch). */
    public void inject(byte[] bytes, DatagramSource from) {
        DatagramSource copy = new DatagramSource();
        copy(from, copy);
        synchronized (lock) {
            queue.add(new Queued(bytes.clone(), copy));
            caughtUp = false;
            lock.notifyAll();
        }
    }

    /** Once nothing else is queued, hands out {@code datagram} from {@code from} every {@code everyNanos}, for ever. */
    public void flood(byte[] datagram, InetSocketAddress from, long everyNanos) {
        synchronized (lock) {
            flood = new Queued(datagram.clone(), new DatagramSource().set(from).segmentSize(datagram.length));
            floodEveryNanos = everyNanos;
            lock.notifyAll();
        }
    }

    /** How many flood datagrams were handed out so far. */
    public long floodServed() {
        synchronized (lock) {
            return floodServed;
        }
    }

    /**
     * Waits until the endpoint has taken everything queued and come back for more: its receive
     * thread has then handled all of it (one thread receives and handles, in turn).
     *
     * @throws InterruptedException if interrupted while waiting
     */
    public void awaitCaughtUp() throws InterruptedException {
        synchronized (lock) {
            while (open && !(caughtUp && queue.isEmpty())) {
                lock.wait(10);
            }
        }
    }

    /**
     * Makes this transport say it drops non-peers "in the kernel" ({@link #restrictSources}
     * returns true; nothing is dropped here), as {@code geneve-linux}'s socket does; by default it
     * says it cannot, as the JDK's channel.
     */
    public void filtersSources(boolean filters) {
        this.filters = filters;
    }

    /** Each list of sources the endpoint asked this transport to restrict itself to, in order. */
    public List<List<InetAddress>> sourcesAsked() {
        synchronized (sourcesAsked) {
            return List.copyOf(sourcesAsked);
        }
    }

    @Override
    public boolean restrictSources(Collection<? extends InetAddress> sources) {
        synchronized (sourcesAsked) {
            sourcesAsked.add(List.copyOf(sources));
        }
        return filters;
    }

    /** The datagrams sent so far, in order. */
    public List<Sent> sent() {
        synchronized (sent) {
            return List.copyOf(sent);
        }
    }

    @Override
    public InetSocketAddress localAddress() {
        return local;
    }

    @Override
    public boolean send(MemorySegment buffer, long offset, long length, InetSocketAddress to) throws ClosedChannelException {
        if (!open) {
            throw new ClosedChannelException();
        }
        byte[] bytes = buffer.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE);
        synchronized (sent) {
            sent.add(new Sent(bytes, to));
        }
        MemoryTransport other = peer;
        if (other != null && other.local.equals(to)) {
            other.inject(bytes, local);
        }
        return true;
    }

    @Override
    public int receive(MemorySegment buffer, long offset, long capacity, boolean wait, DatagramSource source)
            throws ClosedChannelException {
        Queued next;
        synchronized (lock) {
            long deadline = System.nanoTime() + IDLE_NANOS;
            while (true) {
                if (!open) {
                    throw new ClosedChannelException();
                }
                next = queue.poll();
                if (next != null) {
                    break;
                }
                caughtUp = true;
                lock.notifyAll();
                if (flood != null) {
                    next = flood;
                    floodServed++;
                    break;
                }
                long left = deadline - System.nanoTime();
                if (!wait || left <= 0) {
                    return -1;
                }
                try {
                    lock.wait(Math.max(1, left / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ClosedChannelException();
                }
            }
        }
        if (next == flood) {
            LockSupport.parkNanos(floodEveryNanos);
        }
        int n = (int) Math.min(next.bytes().length, capacity);
        MemorySegment.copy(next.bytes(), 0, buffer, ValueLayout.JAVA_BYTE, offset, n);
        copy(next.from(), source);
        return n;
    }

    private static void copy(DatagramSource from, DatagramSource to) {
        if (from.isIpv6()) {
            to.ipv6(from.high(), from.low(), from.port());
        } else {
            to.ipv4((int) from.low(), from.port());
        }
        to.segmentSize(from.segmentSize());
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        synchronized (lock) {
            open = false;
            lock.notifyAll();
        }
    }
}
