package io.github.geneve4j.endpoint.spi;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.net.InetSocketAddress;

/**
 * The outer side of an endpoint: a UDP socket that Geneve datagrams are sent from and received on.
 * {@link ChannelTransport} (the JDK's {@code DatagramChannel}) is the portable default;
 * {@code geneve-linux} has one with UDP segmentation and GRO offloads, {@code geneve-netty} one on
 * Netty's epoll transport.
 *
 * <p>The engine receives from one thread; it sends from several threads one at a time, under one
 * lock (a device's send thread or a handler's callers, and the BFD thread when BFD is on), so a
 * transport may keep per-sender state without locking. Neither call may allocate per
 * datagram. The transport must not be connected: a peer's source port varies per flow (RFC 8926
 * §3.3), so every datagram's source is reported and checked by the engine.
 */
public interface DatagramTransport extends AutoCloseable {

    /** The local address the transport is bound to (the port the kernel chose, for port 0). */
    InetSocketAddress localAddress();

    /**
     * Whether {@link #sendSegments} still sends several datagrams per system call (UDP_SEGMENT);
     * false for a transport without that offload, or once the kernel refused it.
     */
    default boolean segmentation() {
        return false;
    }

    /**
     * Sends one datagram of {@code length} bytes at {@code offset} of {@code buffer} to {@code to}.
     *
     * @return whether it was sent; false if the socket's buffer is full (the engine counts a drop)
     * @throws java.nio.channels.ClosedChannelException once the transport is closed
     * @throws IOException if the send fails; the engine counts it and goes on
     */
    boolean send(MemorySegment buffer, long offset, long length, InetSocketAddress to) throws IOException;

    /**
     * Sends the datagrams of {@code size} bytes each (the last may be shorter) that lie back to back
     * in {@code length} bytes at {@code offset}, to {@code to}: in as few system calls as the
     * transport can ({@link #lastSendCalls()} says how many). This default sends them one by one.
     *
     * @return the number of datagrams sent: fewer than there are when the socket's buffer filled
     *     (the engine counts the rest as dropped)
     * @throws java.nio.channels.ClosedChannelException once the transport is closed
     * @throws IOException if a send fails
     */
    default int sendSegments(MemorySegment buffer, long offset, long length, int size, InetSocketAddress to)
            throws IOException {
        int sent = 0;
        for (long at = offset, end = offset + length; at < end; at += size) {
            if (!send(buffer, at, Math.min(size, end - at), to)) {
                break;
            }
            sent++;
        }
        return sent;
    }

    /**
     * Whether {@link #sendGathered} works: the transport sends datagrams from pieces of memory without
     * copying them together (false, this default: the engine copies them back to back and calls
     * {@link #sendSegments}).
     */
    default boolean gathers() {
        return false;
    }

    /**
     * Sends the datagrams of {@code list}, each made of its pieces, all but the last {@code size}
     * bytes long, to {@code to}, as {@link #sendSegments} does (as few system calls as the transport
     * can, {@link #lastSendCalls()} counting them; a full socket buffer ends the run). The engine
     * calls it only where {@link #gathers()}; this default refuses.
     *
     * @return the number of datagrams sent
     * @throws UnsupportedOperationException unless the transport {@link #gathers()}
     * @throws java.nio.channels.ClosedChannelException once the transport is closed
     * @throws IOException if a send fails
     */
    default int sendGathered(GatherList list, int size, InetSocketAddress to) throws IOException {
        throw new UnsupportedOperationException(getClass().getName() + " does not send gathered datagrams");
    }

    /**
     * The system calls the last {@link #sendSegments} on this thread's transport made, for
     * statistics; -1 (this default) when the transport does not count them, and the engine counts one
     * per datagram sent.
     */
    default int lastSendCalls() {
        return -1;
    }

    /**
     * Asks the transport to drop, before they reach {@link #receive}, the datagrams whose source
     * address is none of {@code sources} (a kernel socket filter, where there is one). The engine
     * checks every datagram's source either way; this only spares it the work. This default cannot.
     *
     * @return whether the transport filters from now on
     */
    default boolean restrictSources(java.util.Collection<? extends java.net.InetAddress> sources) throws IOException {
        return false;
    }

    /**
     * Receives into {@code capacity} bytes at {@code offset} of {@code buffer}.
     *
     * @param wait whether to wait (up to about half a second) when nothing is queued
     * @param source set to the sender and, when several datagrams of one size came at once, their size
     * @return the bytes received, or -1 when nothing came
     * @throws java.nio.channels.ClosedChannelException once the transport is closed
     * @throws IOException if the call fails, or a datagram did not fit in {@code capacity}
     */
    int receive(MemorySegment buffer, long offset, long capacity, boolean wait, DatagramSource source)
            throws IOException;

    /** Whether the transport is still open. */
    boolean isOpen();

    /** Closes the transport; a waiting {@link #receive} ends with {@link java.nio.channels.ClosedChannelException}. */
    @Override
    void close() throws IOException;
}
