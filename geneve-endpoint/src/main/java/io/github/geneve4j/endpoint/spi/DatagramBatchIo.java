package io.github.geneve4j.endpoint.spi;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * Batched datagram I/O for a reflector, such as the GWLB appliance of {@code geneve-gwlb}: receive
 * up to a {@link DatagramBatch}'s worth of datagrams, then send back, in one call, those the reader
 * marked, each to where it came from with the UDP ports it arrived with (the source's port as source,
 * the port it was sent to as destination) and the outer IPv4 addresses swapped.
 *
 * <p>{@link TransportBatchIo} does it over a {@link DatagramTransport} (one receive per batch, a GRO run
 * filling several slots) with a {@link RawIpv4Sender} for the replies (one send per reply); the same
 * interface fits {@code recvmmsg}/{@code sendmmsg} (a batch each way in one system call) and AF_XDP
 * (slots in the UMEM, each reply built in place in the received frame).
 *
 * <pre>{@code
 * DatagramBatch batch = io.newBatch();
 * while (running) {
 *     int n = io.receive(batch, true);
 *     for (int i = 0; i < n; i++) {
 *         if (wanted(batch.segment(i), batch.offset(i), batch.length(i))) batch.reply(i, false);
 *     }
 *     io.sendReplies(batch);
 * }
 * }</pre>
 *
 * <p>One thread uses an I/O and its batches; neither call allocates per datagram.
 */
public interface DatagramBatchIo extends AutoCloseable {

    /** The local address datagrams are received on (the port the kernel chose, for port 0). */
    InetSocketAddress localAddress();

    /** A batch for this I/O's receives (its memory and slot count are the I/O's choice). */
    DatagramBatch newBatch();

    /**
     * Empties {@code batch} and receives into it: what is queued, up to its slots.
     *
     * @param wait whether to wait (up to about half a second) when nothing is queued
     * @return the datagrams received ({@link DatagramBatch#count()}), 0 when nothing came
     * @throws java.nio.channels.ClosedChannelException once the I/O is closed
     * @throws IOException if the receive fails
     */
    int receive(DatagramBatch batch, boolean wait) throws IOException;

    /**
     * Sends back the datagrams of {@code batch} marked with {@link DatagramBatch#reply}, as they now
     * stand. A reply that cannot be sent (a full buffer, a refused send) is unmarked and not counted,
     * and the others still go.
     *
     * @return the replies sent
     * @throws java.nio.channels.ClosedChannelException once the I/O is closed
     * @throws IOException if the I/O can send nothing more at all
     */
    int sendReplies(DatagramBatch batch) throws IOException;

    /** Whether the I/O is still open. */
    boolean isOpen();

    /** Closes the I/O and what it owns; a waiting {@link #receive} ends with {@link java.nio.channels.ClosedChannelException}. */
    @Override
    void close() throws IOException;
}
