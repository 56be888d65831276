package io.github.geneve4j.linux.xdp;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.function.BooleanSupplier;

/**
 * A plain AF_XDP UDP reflector, no Geneve work: every IPv4 UDP datagram the program steers to the
 * socket goes back where it came from, built in its own UMEM frame (Ethernet addresses swapped,
 * IPv4 addresses swapped, UDP ports swapped, the UDP checksum cleared) and transmitted from there.
 * The floor an AF_XDP appliance is measured against; also the process the kill-9 test attaches and
 * kills.
 *
 * <p>The IPv4 header checksum stays valid untouched: it is a one's-complement sum, which does not
 * change when two of its 16-bit words trade places. The UDP checksum is cleared (0: none, allowed
 * for IPv4 by RFC 768): a sender on the same host or behind a veth hands its datagrams over with
 * {@code CHECKSUM_PARTIAL}, the field holding only the pseudo-header's sum, which the XDP program
 * sees as it is; sent back as received, the reply would fail the peer's check (seen here:
 * {@code UdpInCsumErrors}). The same rule as the appliance's: zero, or recomputed over changed bytes.
 *
 * <pre>
 * ip netns exec NS java --enable-native-access=ALL-UNNAMED \
 *     -cp geneve-linux/target/classes:geneve-linux/target/test-classes \
 *     io.github.geneve4j.linux.xdp.XdpReflector DEVICE ADDRESS PORT [QUEUES] [native|generic|auto] [zero-copy]
 * </pre>
 * prints {@code ready <mode> <copy|zero-copy>} once receiving, and the kernel's
 * {@code XDP_STATISTICS} per queue on exit (SIGTERM).
 */
public final class XdpReflector {

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED;
    private static final ValueLayout.OfShort SHORT_BE = SHORT.withOrder(java.nio.ByteOrder.BIG_ENDIAN);

    private XdpReflector() {
    }

    /**
     * Turns the frame at {@code at} into its reply, in place.
     *
     * @return the reply's length, or -1 for a frame that is not IPv4 UDP (dropped)
     */
    static int reflect(MemorySegment umem, long at, int length) {
        if (length < 42 || umem.get(SHORT_BE, at + 12) != 0x0800) {
            return -1;
        }
        int versionIhl = umem.get(ValueLayout.JAVA_BYTE, at + 14) & 0xFF;
        int ihl = (versionIhl & 0x0F) * 4;
        if (versionIhl >>> 4 != 4 || ihl < 20 || 14 + ihl + 8 > length || umem.get(ValueLayout.JAVA_BYTE, at + 23) != 17) {
            return -1;
        }
        // Ethernet: destination (0..5) and source (6..11)
        int d0 = umem.get(INT, at);
        short d1 = umem.get(SHORT, at + 4);
        umem.set(INT, at, umem.get(INT, at + 6));
        umem.set(SHORT, at + 4, umem.get(SHORT, at + 10));
        umem.set(INT, at + 6, d0);
        umem.set(SHORT, at + 10, d1);
        // IPv4 source (26) and destination (30)
        int source = umem.get(INT, at + 26);
        umem.set(INT, at + 26, umem.get(INT, at + 30));
        umem.set(INT, at + 30, source);
        // UDP ports
        long udp = at + 14 + ihl;
        short port = umem.get(SHORT, udp);
        umem.set(SHORT, udp, umem.get(SHORT, udp + 2));
        umem.set(SHORT, udp + 2, port);
        umem.set(SHORT, udp + 6, (short) 0);
        return length;
    }

    /**
     * Reflects until {@code packets} frames were received or {@code running} says stop (checked
     * after each batch, so at least every 100 ms).
     *
     * @return the frames received
     */
    static long run(XdpSocket socket, XdpFrames frames, long packets, BooleanSupplier running) throws Exception {
        long received = 0;
        while (received < packets && running.getAsBoolean()) {
            int n = socket.receive(frames, 100);
            MemorySegment umem = frames.umem();
            for (int i = 0; i < n; i++) {
                int reply = reflect(umem, frames.offset(i), frames.length(i));
                if (reply > 0) {
                    frames.reply(i, reply);
                }
            }
            socket.transmit(frames);
            received += n;
        }
        return received;
    }

    /**
     * Attaches the program to DEVICE for ADDRESS:PORT, opens one socket per queue and reflects
     * until the process ends.
     *
     * @param args DEVICE ADDRESS PORT [QUEUES] [native|generic|auto] [zero-copy]
     * @throws Exception when XDP cannot be set up (the message says what is missing)
     */
    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: XdpReflector DEVICE ADDRESS PORT [QUEUES] [native|generic|auto] [zero-copy]");
            System.exit(2);
        }
        int queues = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        XdpProgram.Mode mode = args.length > 4 ? XdpProgram.Mode.valueOf(args[4].toUpperCase(java.util.Locale.ROOT))
                : XdpProgram.Mode.AUTO;
        boolean zeroCopy = args.length > 5 && args[5].equals("zero-copy");
        XdpSocket.Options options = new XdpSocket.Options(4096, 2048, 2048, zeroCopy);
        XdpProgram program = XdpProgram.attach(args[0],
                new InetSocketAddress(InetAddress.getByName(args[1]), Integer.parseInt(args[2])), queues, mode);
        List<XdpSocket> sockets = new ArrayList<>();
        for (int q = 0; q < queues; q++) {
            sockets.add(XdpSocket.open(program, q, options));
        }
        CountDownLatch stopped = new CountDownLatch(queues);
        java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
        for (XdpSocket socket : sockets) {
            Thread worker = new Thread(() -> {
                try {
                    run(socket, new XdpFrames(64), Long.MAX_VALUE, running::get);
                } catch (Exception e) {
                    if (running.get()) {
                        e.printStackTrace();
                    }
                } finally {
                    stopped.countDown();
                }
            }, "xdp-reflector-" + sockets.indexOf(socket));
            worker.start();
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            running.set(false);
            try {
                stopped.await();
                for (XdpSocket socket : sockets) {
                    System.out.println(socket + " " + socket.statistics());
                    socket.close();
                }
            } catch (Exception e) {
                e.printStackTrace();
            }
            program.close();
        }));
        System.out.println("ready " + program.mode() + " " + (sockets.getFirst().zeroCopy() ? "zero-copy" : "copy"));
        System.out.flush();
    }
}
