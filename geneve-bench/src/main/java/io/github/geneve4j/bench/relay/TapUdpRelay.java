package io.github.geneve4j.bench.relay;

import io.github.geneve4j.codec.NetworkOrder;
import io.github.geneve4j.endpoint.spi.DatagramSource;
import io.github.geneve4j.endpoint.spi.FrameOffload;
import io.github.geneve4j.linux.Tap;
import io.github.geneve4j.linux.UdpSocket;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The I/O floor of a userspace tunnel endpoint, for {@code vtep-throughput.sh}: it moves frames TAP →
 * UDP → TAP through the same system calls as {@code geneve vtep --offload on} (a TAP with virtio-net
 * offloads, a UDP socket with UDP_SEGMENT and UDP_GRO) and the same number of copies in user space
 * (one on the way out, into the datagrams; one on the way in, out of them), but does no Geneve work:
 * no segmentation of super-frames, no header, no checksum, no check of what arrives.
 *
 * <p>A frame read from the TAP (a TCP super-frame of up to 64 KiB, or a plain frame) is cut, as raw
 * bytes, into datagrams of {@code --segment} bytes, each led by 8 bytes: the frame's sequence number
 * (32 bits), the datagram's index and the frame's datagram count (16 bits each); the first carries the
 * frame's virtio-net metadata. All of them leave in one {@code sendmsg} with UDP_SEGMENT. The other
 * end reassembles each frame from the (GRO-coalesced) datagrams and writes it to its TAP with the
 * same metadata, so its kernel completes the checksum and takes the super-frame whole. A frame with a
 * datagram missing is dropped (TCP retransmits it). Not a tunnel anyone should deploy: it trusts any
 * sender and carries no VNI.
 *
 * <pre>
 * java -cp benchmarks.jar io.github.geneve4j.bench.relay.TapUdpRelay --tap T --local A:P --remote B:P [--segment 1472]
 * </pre>
 */
public final class TapUdpRelay implements AutoCloseable {

    /** Bytes leading every datagram: frame sequence (4), index (2), count (2). */
    static final int CHUNK_HEADER = 8;
    /** Bytes of virtio-net metadata at the start of a frame's first datagram's data. */
    static final int META = 12;
    /** The largest frame a TAP with offloads hands over: 64 KiB of IP plus the Ethernet header. */
    static final int MAX_FRAME = 65_549;

    private final Tap tap;
    private final UdpSocket socket;
    private final InetSocketAddress remote;
    private final int segment;
    private final AtomicLong framesOut = new AtomicLong();
    private final AtomicLong datagramsOut = new AtomicLong();
    private final AtomicLong framesIn = new AtomicLong();
    private final AtomicLong datagramsIn = new AtomicLong();
    private final AtomicLong framesLost = new AtomicLong();
    private final AtomicLong writeErrors = new AtomicLong();
    private volatile Throwable failure;

    TapUdpRelay(Tap tap, UdpSocket socket, InetSocketAddress remote, int segment) {
        if (segment <= CHUNK_HEADER + META || segment > 65_507) {
            throw new IllegalArgumentException("segment size " + segment + " (expected: " + (CHUNK_HEADER + META + 1)
                    + "..65507)");
        }
        this.tap = tap;
        this.socket = socket;
        this.remote = remote;
        this.segment = segment;
    }

    /** TAP to UDP: one read, one copy into the datagrams, one sendmsg per frame (UDP_SEGMENT). */
    void toPeer() throws IOException {
        int data = segment - CHUNK_HEADER;
        int maxCount = (META + MAX_FRAME + data - 1) / data;
        try (Arena arena = Arena.ofConfined()) {
            long at = 64; // room for the virtio-net header (and our metadata) before the frame
            MemorySegment in = arena.allocate(at + MAX_FRAME + 1, 64);
            MemorySegment out = arena.allocate((long) maxCount * segment, 64);
            FrameOffload offload = new FrameOffload();
            for (int sequence = 0; ; sequence++) {
                int n = tap.read(in, at, MAX_FRAME, offload);
                if (n < 0) {
                    continue;
                }
                // the virtio-net header before the frame has been parsed: our metadata goes there
                long start = at - META;
                in.set(ValueLayout.JAVA_BYTE, start, (byte) offload.gso().ordinal());
                in.set(ValueLayout.JAVA_BYTE, start + 1, (byte) ((offload.ecn() ? 1 : 0)
                        | (offload.needsChecksum() ? 2 : 0) | (offload.checksumValid() ? 4 : 0)));
                in.set(NetworkOrder.SHORT, start + 2, (short) offload.gsoSize());
                in.set(NetworkOrder.SHORT, start + 4, (short) offload.headerLength());
                in.set(NetworkOrder.SHORT, start + 6, (short) offload.checksumStart());
                in.set(NetworkOrder.SHORT, start + 8, (short) offload.checksumOffset());
                in.set(NetworkOrder.SHORT, start + 10, (short) 0);
                int total = META + n;
                int count = (total + data - 1) / data;
                long length = 0;
                for (int i = 0; i < count; i++) {
                    int piece = Math.min(data, total - i * data);
                    long d = (long) i * segment;
                    out.set(NetworkOrder.INT, d, sequence);
                    out.set(NetworkOrder.SHORT, d + 4, (short) i);
                    out.set(NetworkOrder.SHORT, d + 6, (short) count);
                    MemorySegment.copy(in, start + (long) i * data, out, d + CHUNK_HEADER, piece);
                    length = d + CHUNK_HEADER + piece;
                }
                datagramsOut.addAndGet(socket.sendSegments(out, 0, length, segment, remote));
                framesOut.incrementAndGet();
            }
        }
    }

    /** UDP to TAP: one recvmsg per GRO batch, one copy out of the datagrams, one write per frame. */
    void fromPeer() throws IOException {
        int data = segment - CHUNK_HEADER;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment batch = arena.allocate(65_535 + 1, 64);
            long at = 64;
            MemorySegment frame = arena.allocate(at + META + MAX_FRAME + data, 64);
            FrameOffload offload = new FrameOffload();
            DatagramSource source = new DatagramSource();
            int expectSequence = -1;
            int expectIndex = 0;
            long filled = 0;
            while (true) {
                int n = socket.receive(batch, 0, 65_535, true, source);
                if (n < 0) {
                    continue;
                }
                int size = source.segmentSize() > 0 ? source.segmentSize() : n;
                for (int d = 0; d < n; d += size) {
                    int length = Math.min(size, n - d);
                    datagramsIn.incrementAndGet();
                    if (length < CHUNK_HEADER) {
                        continue;
                    }
                    int sequence = batch.get(NetworkOrder.INT, d);
                    int index = Short.toUnsignedInt(batch.get(NetworkOrder.SHORT, d + 4));
                    int count = Short.toUnsignedInt(batch.get(NetworkOrder.SHORT, d + 6));
                    if (index == 0) {
                        if (expectIndex != 0) {
                            framesLost.incrementAndGet(); // the frame before lost its tail
                        }
                        expectSequence = sequence;
                        filled = 0;
                    } else if (sequence != expectSequence || index != expectIndex) {
                        if (expectIndex != 0) {
                            framesLost.incrementAndGet();
                        }
                        expectIndex = 0; // skip to the next frame's first datagram
                        continue;
                    }
                    int piece = length - CHUNK_HEADER;
                    if (filled + piece > META + MAX_FRAME) {
                        framesLost.incrementAndGet();
                        expectIndex = 0;
                        continue;
                    }
                    MemorySegment.copy(batch, d + CHUNK_HEADER, frame, at - META + filled, piece);
                    filled += piece;
                    expectIndex = index + 1;
                    if (expectIndex == count) {
                        expectIndex = 0;
                        writeFrame(frame, at, filled - META, offload);
                    }
                }
            }
        }
    }

    private void writeFrame(MemorySegment frame, long at, long length, FrameOffload offload) throws IOException {
        long meta = at - META;
        int gso = frame.get(ValueLayout.JAVA_BYTE, meta);
        int flags = frame.get(ValueLayout.JAVA_BYTE, meta + 1);
        offload.clear();
        if (gso != FrameOffload.Gso.NONE.ordinal()) {
            offload.segmentation(FrameOffload.Gso.values()[gso], (flags & 1) != 0,
                    Short.toUnsignedInt(frame.get(NetworkOrder.SHORT, meta + 2)), Short.toUnsignedInt(frame.get(NetworkOrder.SHORT, meta + 4)));
        }
        if ((flags & 2) != 0) {
            offload.partialChecksum(Short.toUnsignedInt(frame.get(NetworkOrder.SHORT, meta + 6)),
                    Short.toUnsignedInt(frame.get(NetworkOrder.SHORT, meta + 8)));
        }
        offload.checksumValid((flags & 4) != 0);
        try {
            tap.write(frame, at, length, offload);
        } catch (ClosedChannelException closed) {
            throw closed;
        } catch (IOException e) {
            // a TAP not up yet (EIO) refuses frames, as the vtep counts them: count and go on
            writeErrors.incrementAndGet();
            return;
        }
        framesIn.incrementAndGet();
    }

    /** Starts both directions on threads of their own ({@code relay-tx}, {@code relay-rx}). */
    void start() {
        for (String name : new String[] {"relay-tx", "relay-rx"}) {
            Thread t = new Thread(() -> {
                try {
                    if (name.equals("relay-tx")) {
                        toPeer();
                    } else {
                        fromPeer();
                    }
                } catch (ClosedChannelException e) {
                    // closed: the run is over
                } catch (IOException | RuntimeException e) {
                    failure = e;
                }
            }, name);
            t.setDaemon(true);
            t.start();
        }
    }

    /** One line of counts, in the vtep's stats style. */
    String stats() {
        return "relay frames out " + framesOut + " in " + datagramsOut + " datagrams, frames in " + framesIn
                + " from " + datagramsIn + " datagrams, frames lost " + framesLost + ", TAP write errors " + writeErrors
                + (failure != null ? ", failed: " + failure : "");
    }

    @Override
    public void close() {
        tap.close();
        socket.close();
    }

    public static void main(String[] args) throws Exception {
        String tapName = null;
        InetSocketAddress local = null;
        InetSocketAddress remote = null;
        int segment = 1472;
        long seconds = 0;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--tap" -> tapName = args[i + 1];
                case "--local" -> local = address(args[i + 1]);
                case "--remote" -> remote = address(args[i + 1]);
                case "--segment" -> segment = Integer.parseInt(args[i + 1]);
                case "--duration" -> seconds = Long.parseLong(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (tapName == null || local == null || remote == null || args.length % 2 != 0) {
            System.err.println("usage: TapUdpRelay --tap NAME --local ADDR:PORT --remote ADDR:PORT [--segment 1472]"
                    + " [--duration SECONDS]");
            System.exit(2);
        }
        try (TapUdpRelay relay = new TapUdpRelay(Tap.open(tapName, true), UdpSocket.open(local, 4 << 20), remote,
                segment)) {
            relay.start();
            System.out.println("relay ready: " + tapName + " " + local + " <-> " + remote + ", " + segment
                    + "-byte datagrams (gro " + relay.socket.gro() + ", segmentation " + relay.socket.segmentation() + ")");
            long deadline = seconds > 0 ? System.nanoTime() + seconds * 1_000_000_000L : Long.MAX_VALUE;
            while (System.nanoTime() < deadline && relay.failure == null) {
                Thread.sleep(2_000);
                System.out.println(relay.stats());
            }
            System.out.println(relay.stats());
        }
    }

    private static InetSocketAddress address(String text) throws IOException {
        int colon = text.lastIndexOf(':');
        return new InetSocketAddress(InetAddress.getByName(text.substring(0, colon)),
                Integer.parseInt(text.substring(colon + 1)));
    }
}
