package io.github.geneve4j.linux;

import io.github.geneve4j.endpoint.spi.RawIpv4Sender;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.ClosedChannelException;

/**
 * A raw IPv4 socket ({@code socket(AF_INET, SOCK_RAW, IPPROTO_RAW)}, which implies
 * {@code IP_HDRINCL}) that sends whole IPv4 packets the caller wrote, header included: how a GWLB
 * appliance answers with GWLB's own UDP ports kept, which no UDP socket bound to port 6081 can
 * (it would send from 6081). The kernel routes each packet by its destination address and fills in
 * the IPv4 identification (when 0) and header checksum; it never fragments it.
 *
 * <pre>{@code
 * GwlbAppliance.builder().transport(UdpSocket.open(local, 4 << 20), RawIpv4Socket.open())
 * }</pre>
 *
 * <p>Needs {@code CAP_NET_RAW} (root). One thread sends at a time; nothing is allocated per packet,
 * and a full send buffer ({@code EAGAIN}, {@code ENOBUFS}) makes {@link #sendIpv4} return false.
 */
public final class RawIpv4Socket implements RawIpv4Sender {

    private static final int SOCK_RAW = 3;
    private static final int IPPROTO_RAW = 255;
    private static final long IPV4_DESTINATION = 16;

    private final Descriptor descriptor;
    private final MemorySegment state;
    private final MemorySegment address;

    private RawIpv4Socket(int fd) {
        this.descriptor = new Descriptor(fd, () -> { }, () -> Libc.closeQuietly(fd));
        Arena arena = Arena.ofAuto();
        this.state = Libc.callState(arena);
        this.address = arena.allocate(16, 8); // struct sockaddr_in: family, port 0, address
        address.set(ValueLayout.JAVA_SHORT, 0, (short) UdpSocket.AF_INET);
    }

    /**
     * Opens the socket.
     *
     * @throws IOException naming the call and errno (without {@code CAP_NET_RAW}: "Operation not permitted")
     */
    public static RawIpv4Socket open() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = Libc.callState(arena);
            int fd = (int) Libc.SOCKET.invokeExact(state, UdpSocket.AF_INET, SOCK_RAW | UdpSocket.SOCK_CLOEXEC, IPPROTO_RAW);
            if (fd < 0) {
                throw new IOException("raw IPv4 socket failed (needs CAP_NET_RAW): " + Libc.describe(Libc.errno(state)));
            }
            return new RawIpv4Socket(fd);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("native call failed: " + t, t);
        }
    }

    /**
     * Sends the IPv4 packet of {@code length} bytes at {@code offset} of native {@code buffer} to its
     * destination address.
     *
     * @return false if the send buffer or the device queue was full: the packet was dropped
     * @throws IllegalArgumentException for heap memory, bounds outside {@code buffer}, or fewer than 20 bytes
     * @throws ClosedChannelException once closed
     * @throws IOException if the kernel refuses it ({@code EMSGSIZE} over the route's MTU, no route, ...)
     */
    @Override
    public boolean sendIpv4(MemorySegment buffer, long offset, long length) throws IOException {
        Libc.checkNative(buffer, offset, length, 0);
        if (length < 20) {
            throw new IllegalArgumentException("found an IPv4 packet of " + length + " bytes (expected: 20+)");
        }
        int fd = descriptor.enter();
        try {
            MemorySegment.copy(buffer, offset + IPV4_DESTINATION, address, 4, 4);
            long p = buffer.address() + offset;
            long n = (long) Libc.SENDTO.invokeExact(fd, p, length, UdpSocket.MSG_DONTWAIT, address.address(), 16);
            if (n >= 0) {
                return true;
            }
            n = (long) Libc.SENDTO_ERRNO.invokeExact(state, fd, p, length, UdpSocket.MSG_DONTWAIT, address.address(), 16);
            if (n >= 0) {
                return true;
            }
            int errno = Libc.errno(state);
            if (errno == Libc.EAGAIN || errno == Libc.ENOBUFS) {
                return false;
            }
            throw new IOException("sendto failed: " + Libc.describe(errno));
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException("native call failed: " + t, t);
        } finally {
            descriptor.exit();
        }
    }

    /**
     * Sends, in one {@code sendmmsg}, the {@code count} IPv4 packets described by the array of
     * {@code struct mmsghdr} at native {@code messages} (each with its destination in {@code msg_name}),
     * without waiting; again after {@code EINTR}. {@link MmsgBatchIo} builds the array.
     *
     * @return the messages sent, the first ones (the kernel stops at the first that fails), or
     *     {@code -errno} when the first one failed
     * @throws ClosedChannelException once closed
     */
    int sendIpv4Messages(long messages, int count) throws IOException {
        int fd = descriptor.enter();
        try {
            return MultiMessage.send(fd, messages, count, UdpSocket.MSG_DONTWAIT, state);
        } finally {
            descriptor.exit();
        }
    }

    /** Closes the socket. */
    @Override
    public void close() {
        descriptor.close();
    }

    @Override
    public String toString() {
        return "RawIpv4Socket";
    }
}
