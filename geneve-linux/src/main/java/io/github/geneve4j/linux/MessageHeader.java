package io.github.geneve4j.linux;

import io.github.geneve4j.endpoint.spi.DatagramSource;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;

/**
 * One {@code struct msghdr} in native memory with what it points to: the peer's address
 * ({@code msg_name}), one iovec of its own or the caller's iovecs, and a control part
 * ({@code cmsghdr}s). Sends set the destination, the data and the {@code UDP_SEGMENT} size;
 * receives read the sender and the {@code UDP_GRO} size back. Nothing is allocated per datagram.
 *
 * <p>The header is element {@code index} of an array of {@code struct mmsghdr} (a {@code msghdr}
 * and the {@code msg_len} the kernel writes), so that several can later be handed to
 * {@code sendmmsg}/{@code recvmmsg} at once; one message is an array of one, whose first 56 bytes
 * are the {@code msghdr} that {@code sendmsg} and {@code recvmsg} take.
 *
 * <p>Layouts of x86-64 and aarch64 Linux ({@code linux/socket.h}, {@code netinet/in.h}).
 */
final class MessageHeader {

    // struct msghdr: name, namelen, iov, iovlen, control, controllen, flags; struct mmsghdr adds msg_len
    static final long MSG_NAME = 0;
    static final long MSG_NAMELEN = 8;
    static final long MSG_IOV = 16;
    static final long MSG_IOVLEN = 24;
    static final long MSG_CONTROL = 32;
    static final long MSG_CONTROLLEN = 40;
    static final long MSG_FLAGS = 48;
    static final long MSGHDR_SIZE = 56;
    static final long MMSG_LEN = 56;
    static final long MMSGHDR_SIZE = 64;
    // struct iovec: base, length
    static final long IOVEC_SIZE = 16;
    static final long IOV_BASE = 0;
    static final long IOV_LEN = 8;
    // struct cmsghdr: len (size_t), level, type (int), data aligned to 8
    private static final long CMSG_LEVEL = 8;
    private static final long CMSG_TYPE = 12;
    private static final long CMSG_DATA = 16;
    private static final long CMSG_SPACE_U16 = 24; // CMSG_SPACE(sizeof(uint16_t))
    private static final long CMSG_LEN_U16 = 18;   // CMSG_LEN(sizeof(uint16_t))
    // struct sockaddr_in: family (native u16), port (BE u16), address (4 bytes); sockaddr_in6: family,
    // port, flowinfo (4), address (16 bytes at 8), scope id (native u32 at 24)
    private static final long SA_FAMILY = 0;
    private static final long SA_PORT = 2;
    private static final long SIN_ADDR = 4;
    private static final long SIN6_ADDR = 8;
    private static final long SIN6_SCOPE_ID = 24;
    private static final int SOCKADDR_IN_SIZE = 16;
    private static final int SOCKADDR_IN6_SIZE = 28;
    static final long SOCKADDR_ROOM = 32;
    private static final ValueLayout.OfShort U16_BE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt U32_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong U64_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final MemorySegment header;
    private final MemorySegment name;
    private final MemorySegment iov;
    private final MemorySegment control;
    private int nameLength;

    /** An array of {@code count} {@code struct mmsghdr}, zeroed. */
    static MemorySegment array(Arena arena, int count) {
        return arena.allocate(MMSGHDR_SIZE * count, 8);
    }

    /**
     * Header {@code index} of {@code array}, with an address, one iovec and {@code controlRoom}
     * bytes of control part of its own from {@code arena}.
     */
    MessageHeader(Arena arena, MemorySegment array, int index, long controlRoom) {
        header = array.asSlice(MMSGHDR_SIZE * index, MMSGHDR_SIZE);
        name = arena.allocate(SOCKADDR_ROOM, 8);
        iov = arena.allocate(IOVEC_SIZE, 8);
        control = arena.allocate(Math.max(controlRoom, CMSG_SPACE_U16), 8);
        header.set(ValueLayout.ADDRESS, MSG_NAME, name);
        header.set(ValueLayout.ADDRESS, MSG_IOV, iov);
        header.set(ValueLayout.JAVA_LONG, MSG_IOVLEN, 1);
    }

    /** A lone header (an array of one) for {@code sendmsg}/{@code recvmsg}. */
    static MessageHeader single(Arena arena, long controlRoom) {
        return new MessageHeader(arena, array(arena, 1), 0, controlRoom);
    }

    /** The {@code msghdr} to hand to the kernel. */
    MemorySegment segment() {
        return header;
    }

    /** Sets the destination ({@code msg_name}) for {@code address} on a socket of {@code family}. */
    void destination(InetSocketAddress address, int family) {
        nameLength = sockaddr(name, address, family);
    }

    /**
     * Prepares a send of {@code length} bytes at native {@code address}, through the header's own
     * iovec; {@code segmentSize} above 0 adds {@code UDP_SEGMENT}'s control message.
     */
    void prepareSend(long address, long length, int segmentSize) {
        iov.set(ValueLayout.JAVA_LONG, IOV_BASE, address);
        iov.set(ValueLayout.JAVA_LONG, IOV_LEN, length);
        prepareGather(iov.address(), 1, segmentSize);
    }

    /** Prepares a send of the {@code count} iovecs at native {@code iovecs} (the caller's, kept alive by it). */
    void prepareGather(long iovecs, int count, int segmentSize) {
        MemorySegment h = header;
        h.set(ValueLayout.JAVA_LONG, MSG_IOV, iovecs);
        h.set(ValueLayout.JAVA_LONG, MSG_IOVLEN, count);
        h.set(ValueLayout.JAVA_INT, MSG_NAMELEN, nameLength);
        if (segmentSize > 0) {
            control.set(ValueLayout.JAVA_LONG, 0, CMSG_LEN_U16);
            control.set(ValueLayout.JAVA_INT, CMSG_LEVEL, LinuxSocket.SOL_UDP);
            control.set(ValueLayout.JAVA_INT, CMSG_TYPE, LinuxSocket.UDP_SEGMENT);
            control.set(ValueLayout.JAVA_SHORT, CMSG_DATA, (short) segmentSize);
            h.set(ValueLayout.ADDRESS, MSG_CONTROL, control);
            h.set(ValueLayout.JAVA_LONG, MSG_CONTROLLEN, CMSG_SPACE_U16);
        } else {
            h.set(ValueLayout.JAVA_LONG, MSG_CONTROL, 0L);
            h.set(ValueLayout.JAVA_LONG, MSG_CONTROLLEN, 0L);
        }
        h.set(ValueLayout.JAVA_INT, MSG_FLAGS, 0);
    }

    /**
     * Prepares a receive into {@code capacity} bytes at native {@code address}: the room for the
     * sender's address and the control part, which the kernel overwrites with their lengths, and the flags.
     */
    void prepareReceive(long address, long capacity) {
        iov.set(ValueLayout.JAVA_LONG, IOV_BASE, address);
        iov.set(ValueLayout.JAVA_LONG, IOV_LEN, capacity);
        header.set(ValueLayout.ADDRESS, MSG_CONTROL, control);
        rearm();
    }

    /** Sets again the lengths and flags a receive wrote back, for another try of the same receive. */
    void rearm() {
        header.set(ValueLayout.JAVA_INT, MSG_NAMELEN, (int) SOCKADDR_ROOM);
        header.set(ValueLayout.JAVA_LONG, MSG_CONTROLLEN, control.byteSize());
        header.set(ValueLayout.JAVA_INT, MSG_FLAGS, 0);
    }

    /** The flags a receive returned ({@code MSG_TRUNC}, {@code MSG_CTRUNC}). */
    int flags() {
        return header.get(ValueLayout.JAVA_INT, MSG_FLAGS);
    }

    /** Sets {@code source} from the received {@code msg_name}: IPv4-mapped IPv6 as IPv4, as the JDK does. */
    void source(DatagramSource source) {
        MemorySegment a = name;
        int port = a.get(U16_BE, SA_PORT) & 0xFFFF;
        if (a.get(ValueLayout.JAVA_SHORT, SA_FAMILY) == LinuxSocket.AF_INET6) {
            long high = a.get(U64_BE, SIN6_ADDR);
            long low = a.get(U64_BE, SIN6_ADDR + 8);
            if (high == 0 && (low >>> 32) == 0xFFFF) {
                source.ipv4((int) low, port); // ::ffff:a.b.c.d, a dual-stack socket's IPv4 sender
            } else {
                source.ipv6(high, low, port);
            }
        } else {
            source.ipv4(a.get(U32_BE, SIN_ADDR), port);
        }
    }

    /** The received {@code UDP_GRO} control message's segment size, or {@code n} when the kernel did not coalesce. */
    int groSize(int n) {
        long at = controlData(control, header.get(ValueLayout.JAVA_LONG, MSG_CONTROLLEN), LinuxSocket.SOL_UDP,
                LinuxSocket.UDP_GRO, 4);
        int size = at < 0 ? 0 : control.get(ValueLayout.JAVA_INT, at);
        return size > 0 ? size : n;
    }

    /**
     * Where the data of the first control message of {@code level} and {@code type} with at least
     * {@code dataLength} bytes of data starts in {@code control}, of which a receive wrote back
     * {@code controlLength} bytes (its {@code msg_controllen}); -1 if there is none. Walks the
     * {@code struct cmsghdr}s as {@code CMSG_NXTHDR} does, and stops at a malformed one.
     */
    static long controlData(MemorySegment control, long controlLength, int level, int type, long dataLength) {
        for (long at = 0; at + CMSG_DATA <= controlLength; ) {
            long length = control.get(ValueLayout.JAVA_LONG, at);
            if (length < CMSG_DATA) {
                return -1;
            }
            if (control.get(ValueLayout.JAVA_INT, at + CMSG_LEVEL) == level
                    && control.get(ValueLayout.JAVA_INT, at + CMSG_TYPE) == type
                    && at + CMSG_DATA + dataLength <= controlLength) {
                return at + CMSG_DATA;
            }
            at += (length + 7) & ~7L;
        }
        return -1;
    }

    /**
     * Writes {@code struct sockaddr_in} or {@code sockaddr_in6} for {@code address} on a socket of
     * {@code family} (an IPv4 address on an IPv6 socket as IPv4-mapped); returns its length.
     *
     * @throws IllegalArgumentException for an IPv6 address on an IPv4 socket
     */
    static int sockaddr(MemorySegment at, InetSocketAddress address, int family) {
        at.fill((byte) 0);
        InetAddress ip = address.getAddress();
        at.set(U16_BE, SA_PORT, (short) address.getPort());
        if (family == LinuxSocket.AF_INET) {
            if (!(ip instanceof Inet4Address)) {
                throw new IllegalArgumentException("found " + format(address) + " (expected: an IPv4 address on an IPv4 socket)");
            }
            at.set(ValueLayout.JAVA_SHORT, SA_FAMILY, (short) LinuxSocket.AF_INET);
            MemorySegment.copy(ip.getAddress(), 0, at, ValueLayout.JAVA_BYTE, SIN_ADDR, 4);
            return SOCKADDR_IN_SIZE;
        }
        at.set(ValueLayout.JAVA_SHORT, SA_FAMILY, (short) LinuxSocket.AF_INET6);
        if (ip instanceof Inet4Address) {
            at.set(ValueLayout.JAVA_SHORT, SIN6_ADDR + 10, (short) 0xFFFF);
            MemorySegment.copy(ip.getAddress(), 0, at, ValueLayout.JAVA_BYTE, SIN6_ADDR + 12, 4);
        } else {
            MemorySegment.copy(ip.getAddress(), 0, at, ValueLayout.JAVA_BYTE, SIN6_ADDR, 16);
            at.set(ValueLayout.JAVA_INT, SIN6_SCOPE_ID, ((Inet6Address) ip).getScopeId());
        }
        return SOCKADDR_IN6_SIZE;
    }

    /** The port of a {@code sockaddr_in} or {@code sockaddr_in6}. */
    static int port(MemorySegment sockaddr) {
        return sockaddr.get(U16_BE, SA_PORT) & 0xFFFF;
    }

    /** {@code 192.0.2.1:6081} or {@code [2001:db8::1]:6081}. */
    static String format(InetSocketAddress address) {
        if (address == null) {
            return "null";
        }
        InetAddress ip = address.getAddress();
        String host = ip == null ? address.getHostString() : ip.getHostAddress();
        return (ip instanceof Inet6Address ? "[" + host + "]" : host) + ":" + address.getPort();
    }
}
