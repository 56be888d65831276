package io.github.geneve4j.tools.interop;

import io.github.geneve4j.endpoint.spi.DatagramSource;
import io.github.geneve4j.linux.UdpSocket;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.nio.ByteOrder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A box in the middle of the underlay that damages what it forwards, for the namespace tests (run
 * with {@code ip netns exec}): {@code LOCAL_A PEER_A LOCAL_B PEER_B EVERY on|off} relays Geneve
 * datagrams between the vtep at {@code PEER_A} (which sees this box at {@code LOCAL_A}) and the one
 * at {@code PEER_B}, port 6081 on every side, and flips one bit in the middle of the inner TCP
 * payload of every {@code EVERY}-th datagram carrying TCP payload from A to B. It sends with the
 * kernel's UDP checksum ({@code on}: made over the damaged bytes, so it verifies) or with none
 * ({@code off}, {@code SO_NO_CHECK}: OVS's default): either way the receiving kernel delivers the
 * datagram, and only the inner TCP checksum tells. Prints {@code relaying}, then
 * {@code flipped N} after each damage. Without checksums it sends from sockets of its own (IPv4,
 * {@code SO_NO_CHECK} set through {@code java.lang.foreign}) on the same addresses, other ports.
 */
public final class CorruptingRelay {

    private static final int PORT = 6081;

    private CorruptingRelay() {
    }

    public static void main(String[] args) throws Exception {
        UdpSocket a = UdpSocket.open(new InetSocketAddress(InetAddress.getByName(args[0]), PORT), 4 << 20);
        UdpSocket b = UdpSocket.open(new InetSocketAddress(InetAddress.getByName(args[2]), PORT), 4 << 20);
        InetSocketAddress peerA = new InetSocketAddress(InetAddress.getByName(args[1]), PORT);
        InetSocketAddress peerB = new InetSocketAddress(InetAddress.getByName(args[3]), PORT);
        int every = Integer.parseInt(args[4]);
        Sender toA = a::send;
        Sender toB = b::send;
        if (args[5].equals("off")) {
            toA = new ChecksumlessSender(InetAddress.getByName(args[0]));
            toB = new ChecksumlessSender(InetAddress.getByName(args[2]));
        }
        AtomicLong flipped = new AtomicLong();
        Sender back = toA;
        Thread backward = Thread.ofPlatform().daemon().start(() -> forward(b, back, peerA, 0, flipped));
        System.out.println("relaying");
        System.out.flush();
        forward(a, toB, peerB, every, flipped);
        backward.join();
    }

    /** Where the relay sends a datagram. */
    private interface Sender {
        boolean send(MemorySegment buffer, long offset, long length, InetSocketAddress to) throws IOException;
    }

    /** An IPv4 UDP socket that sends without checksums ({@code SO_NO_CHECK}), bound to {@code local}, any port. */
    private static final class ChecksumlessSender implements Sender {
        private static final Linker LINKER = Linker.nativeLinker();
        private static final MethodHandle SOCKET = handle("socket", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        private static final MethodHandle SETSOCKOPT = handle("setsockopt", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        private static final MethodHandle BIND = handle("bind", FunctionDescriptor.of(ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        private static final MethodHandle SENDTO = handle("sendto", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        private static final int AF_INET = 2;
        private static final int SOCK_DGRAM = 2;
        private static final int SOL_SOCKET = 1;
        private static final int SO_NO_CHECK = 11;
        private static final int MSG_DONTWAIT = 0x40;

        private final int fd;
        private final MemorySegment to = Arena.ofAuto().allocate(16, 8);

        ChecksumlessSender(InetAddress local) throws IOException {
            MemorySegment one = Arena.ofAuto().allocateFrom(ValueLayout.JAVA_INT, 1);
            MemorySegment address = sockaddr(Arena.ofAuto().allocate(16, 8), local, 0);
            boolean ok;
            try {
                fd = (int) SOCKET.invokeExact(AF_INET, SOCK_DGRAM, 0);
                ok = fd >= 0 && (int) SETSOCKOPT.invokeExact(fd, SOL_SOCKET, SO_NO_CHECK, one, 4) == 0
                        && (int) BIND.invokeExact(fd, address, 16) == 0;
            } catch (Throwable t) {
                throw new IOException("native call failed: " + t, t);
            }
            if (!ok) {
                throw new IOException("cannot open a UDP socket without checksums on " + local);
            }
        }

        private static MethodHandle handle(String name, FunctionDescriptor descriptor) {
            return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor);
        }

        private static MemorySegment sockaddr(MemorySegment at, InetAddress ip, int port) {
            at.fill((byte) 0);
            at.set(ValueLayout.JAVA_SHORT, 0, (short) AF_INET);
            at.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 2, (short) port);
            MemorySegment.copy(ip.getAddress(), 0, at, ValueLayout.JAVA_BYTE, 4, 4);
            return at;
        }

        @Override
        public boolean send(MemorySegment buffer, long offset, long length, InetSocketAddress peer) throws IOException {
            sockaddr(to, peer.getAddress(), peer.getPort());
            try {
                return (long) SENDTO.invokeExact(fd, buffer.asSlice(offset, length), length, MSG_DONTWAIT, to, 16) >= 0;
            } catch (Throwable t) {
                throw new IOException("sendto failed: " + t, t);
            }
        }
    }

    private static void forward(UdpSocket from, Sender to, InetSocketAddress peer, int every, AtomicLong flipped) {
        MemorySegment buffer = Arena.ofShared().allocate(65_536 + 64, 64);
        DatagramSource source = new DatagramSource();
        long carrying = 0;
        try {
            while (true) {
                int n = from.receive(buffer, 0, 65_535, true, source);
                if (n < 0) {
                    continue;
                }
                int size = source.segmentSize() > 0 ? Math.min(source.segmentSize(), n) : n;
                for (int at = 0; at < n; at += size) {
                    int length = Math.min(size, n - at);
                    if (every > 0) {
                        long payload = tcpPayloadMiddle(buffer, at, length);
                        if (payload >= 0 && ++carrying % every == 0) {
                            buffer.set(ValueLayout.JAVA_BYTE, payload,
                                    (byte) (buffer.get(ValueLayout.JAVA_BYTE, payload) ^ 0x10));
                            System.out.println("flipped " + flipped.incrementAndGet());
                            System.out.flush();
                        }
                    }
                    for (int tries = 0; tries < 100 && !to.send(buffer, at, length, peer); tries++) {
                        Thread.onSpinWait();
                    }
                }
            }
        } catch (IOException e) {
            System.out.println("relay stopped: " + e);
        }
    }

    /** Where the middle byte of the inner IPv4/TCP payload of the Geneve datagram at {@code at} is; -1 if none. */
    private static long tcpPayloadMiddle(MemorySegment b, int at, int length) {
        int inner = at + 8 + (u8(b, at) & 0x3F) * 4;
        int ip = inner + 14;
        if (ip + 20 > at + length || u8(b, inner + 12) != 0x08 || u8(b, inner + 13) != 0x00 || u8(b, ip + 9) != 6) {
            return -1;
        }
        int ihl = (u8(b, ip) & 0xF) * 4;
        int total = (u8(b, ip + 2) << 8) | u8(b, ip + 3);
        int tcp = ip + ihl;
        if (tcp + 20 > at + length) {
            return -1;
        }
        int doff = (u8(b, tcp + 12) >> 4) * 4;
        int payload = total - ihl - doff;
        return payload > 0 && ip + total <= at + length ? tcp + doff + payload / 2 : -1;
    }

    private static int u8(MemorySegment b, long at) {
        return b.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }
}
