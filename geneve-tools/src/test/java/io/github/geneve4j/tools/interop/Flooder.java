package io.github.geneve4j.tools.interop;

import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.codec.ProtocolType;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.TcpView;
import io.github.geneve4j.linux.UdpSocket;
import io.github.geneve4j.testing.TestFrames;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * A hostile host on the underlay, for the hostile-traffic tests and {@code geneve-bench/vtep-flood.sh}
 * (run inside a namespace with {@code ip netns exec}): it sends Geneve datagrams of every kind an
 * endpoint must refuse to one endpoint's UDP port, from an address that is not its peer, at a given
 * rate for a given time, then prints what it sent.
 *
 * <pre>
 * Flooder TARGET_IP:PORT RATE_PER_SECOND(0 = as fast as it can) SECONDS VNI KINDS
 * KINDS: comma-separated of arp, tcp, wrongvni, version, truncated, overrun, critical, oam, random, all
 * </pre>
 *
 * <p>{@code arp} and {@code tcp} are valid-looking Geneve with the right VNI (a broadcast ARP
 * request, a TCP segment to 10.0.0.2 with valid checksums): what a stranger would inject. Bounded in
 * time and count by its arguments; it stops by itself.
 */
public final class Flooder {

    private Flooder() {
    }

    static List<ByteBuffer> datagrams(int vni, String kinds) {
        List<String> wanted = List.of(kinds.split(","));
        boolean all = wanted.contains("all");
        List<ByteBuffer> out = new ArrayList<>();
        GeneveHeader header = GeneveHeader.of(ProtocolType.ETHERNET, vni);
        if (all || wanted.contains("arp")) {
            byte[] arp = new byte[42];
            for (int i = 0; i < 6; i++) {
                arp[i] = (byte) 0xFF;
            }
            byte[] mac = {0x02, (byte) 0xde, (byte) 0xad, (byte) 0xbe, (byte) 0xef, 0x01};
            System.arraycopy(mac, 0, arp, 6, 6);
            arp[12] = 0x08;
            arp[13] = 0x06;
            byte[] body = {0, 1, 8, 0, 6, 4, 0, 1};
            System.arraycopy(body, 0, arp, 14, 8);
            System.arraycopy(mac, 0, arp, 22, 6);
            System.arraycopy(new byte[] {10, 0, 0, 99}, 0, arp, 28, 4);
            System.arraycopy(new byte[] {10, 0, 0, 2}, 0, arp, 38, 4);
            out.add(geneve(header, arp));
        }
        if (all || wanted.contains("tcp")) {
            byte[] tcp = TestFrames.tcp(IpVersion.IPV4, false, 12, TestFrames.payload(1200, 9), TcpView.ACK, 123456, 9);
            tcp[6] = 0x02; // the stranger's own MAC
            tcp[11] = (byte) 0xee;
            out.add(geneve(header, tcp));
        }
        if (all || wanted.contains("wrongvni")) {
            out.add(geneve(GeneveHeader.of(ProtocolType.ETHERNET, (vni + 1) & 0xFFFFFF), new byte[60]));
        }
        if (all || wanted.contains("version")) {
            ByteBuffer b = geneve(header, new byte[60]);
            b.put(0, (byte) 0x40);
            out.add(b);
        }
        if (all || wanted.contains("truncated")) {
            out.add(ByteBuffer.wrap(new byte[] {0, 0, 0x65, 0x58, 0}));
        }
        if (all || wanted.contains("overrun")) {
            ByteBuffer b = geneve(GeneveHeader.of(ProtocolType.ETHERNET, vni, new GeneveOption(0xFFFF, 1, new byte[4])),
                    new byte[60]);
            b.put(8 + 3, (byte) 31); // the option claims 124 bytes of data inside 4 bytes of Opt Len
            out.add(b);
        }
        if (all || wanted.contains("critical")) {
            out.add(geneve(GeneveHeader.of(ProtocolType.ETHERNET, vni, new GeneveOption(0xFFFF, 0x80, new byte[4])),
                    new byte[60]));
        }
        if (all || wanted.contains("oam")) {
            ByteBuffer b = geneve(header, new byte[60]);
            b.put(1, (byte) 0x80);
            out.add(b);
        }
        if (all || wanted.contains("random")) {
            SplittableRandom random = new SplittableRandom(42);
            for (int i = 0; i < 8; i++) {
                byte[] junk = new byte[1 + random.nextInt(1400)];
                random.nextBytes(junk);
                out.add(ByteBuffer.wrap(junk));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no datagram kinds in '" + kinds + "'");
        }
        return out;
    }

    private static ByteBuffer geneve(GeneveHeader header, byte[] frame) {
        byte[] h = header.toBytes();
        ByteBuffer b = ByteBuffer.allocate(h.length + frame.length);
        b.put(h).put(frame).flip();
        return b;
    }

    /** Datagrams per segmented send: one kind at a time, in one sendmsg with UDP_SEGMENT. */
    static final int BATCH = 32;

    public static void main(String[] args) throws Exception {
        String[] target = args[0].split(":");
        InetSocketAddress to = new InetSocketAddress(InetAddress.getByName(target[0]), Integer.parseInt(target[1]));
        long rate = Long.parseLong(args[1]);
        double seconds = Double.parseDouble(args[2]);
        List<ByteBuffer> kinds = datagrams(Integer.parseInt(args[3]), args[4]);
        // each kind BATCH times back to back in native memory: the kernel cuts one send into BATCH
        // datagrams (UDP_SEGMENT), so a flooder on this small machine reaches a few 100,000 a second
        Arena arena = Arena.ofConfined();
        MemorySegment[] batches = new MemorySegment[kinds.size()];
        int[] sizes = new int[kinds.size()];
        for (int k = 0; k < batches.length; k++) {
            ByteBuffer d = kinds.get(k);
            sizes[k] = d.remaining();
            batches[k] = arena.allocate((long) sizes[k] * BATCH);
            for (int i = 0; i < BATCH; i++) {
                MemorySegment.copy(MemorySegment.ofBuffer(d), 0, batches[k], (long) i * sizes[k], sizes[k]);
            }
        }
        long sent = 0;
        long start;
        try (UdpSocket socket = UdpSocket.open(new InetSocketAddress(to.getAddress() instanceof java.net.Inet4Address
                ? "0.0.0.0" : "::", 0), 4 << 20)) {
            start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            long now;
            int k = 0;
            while ((now = System.nanoTime()) < end) {
                if (rate > 0) {
                    long due = (now - start) * rate / 1_000_000_000L + BATCH; // the first batch goes at once
                    if (sent + BATCH > due) {
                        LockSupport.parkNanos(Math.max(10_000, (sent + BATCH - due) * 1_000_000_000L / rate));
                        continue;
                    }
                }
                int n = socket.sendSegments(batches[k], 0, batches[k].byteSize(), sizes[k], to);
                if (n == 0) {
                    LockSupport.parkNanos(50_000); // the socket's buffer is full: let it drain
                }
                sent += n;
                k = (k + 1) % batches.length;
            }
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "sent %d datagrams in %.2f s (%.0f/s)%n", sent, elapsed, sent / elapsed);
    }
}
