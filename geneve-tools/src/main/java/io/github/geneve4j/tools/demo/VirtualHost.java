package io.github.geneve4j.tools.demo;

import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A tiny IPv4 host on the virtual network: it answers ARP for its address (learning the asker, as
 * RFC 826 says), answers ICMP echo requests, and can ping. Frames leave through {@code link}; frames
 * for it arrive through {@link #receive(ByteBuffer)}, from the tunnel's receive thread.
 */
final class VirtualHost {

    static final int TTL = 64;
    static final int PING_DATA = 56;

    private final byte[] mac;
    private final int ip;
    private final Consumer<ByteBuffer> link;
    private final Map<Integer, byte[]> arpCache = new ConcurrentHashMap<>();
    private final Map<Integer, long[]> replies = new ConcurrentHashMap<>(); // seq -> {nanoTime, ttl, bytes}
    private volatile Consumer<String> requestLog = line -> { };
    private final int identifier = (int) (ProcessHandle.current().pid() & 0xFFFF);
    private int ipId;

    VirtualHost(byte[] mac, int ip, Consumer<ByteBuffer> link) {
        this.mac = mac.clone();
        this.ip = ip;
        this.link = link;
    }

    /** A locally administered MAC that embeds the IPv4 address: 02:00:a.b.c.d. */
    static byte[] macFor(int ip) {
        return new byte[] {2, 0, (byte) (ip >>> 24), (byte) (ip >>> 16), (byte) (ip >>> 8), (byte) ip};
    }

    int ip() {
        return ip;
    }

    /** Where to report each echo request answered (the responder prints them). */
    void onRequest(Consumer<String> log) {
        this.requestLog = log;
    }

    /** Handles a frame from the virtual network. */
    void receive(ByteBuffer frame) {
        switch (Frames.etherType(frame)) {
            case Frames.ETHERTYPE_ARP -> arp(frame);
            case Frames.ETHERTYPE_IPV4 -> ipv4(frame);
            default -> {
                // other protocols: not for this tiny host
            }
        }
    }

    private void arp(ByteBuffer frame) {
        int a = Frames.ETHERNET_HEADER;
        if (frame.limit() < a + Frames.ARP_LENGTH || frame.getShort(a) != 1
                || frame.getShort(a + 2) != Frames.ETHERTYPE_IPV4 || frame.get(a + 4) != 6 || frame.get(a + 5) != 4) {
            return;
        }
        int operation = frame.getShort(a + 6) & 0xFFFF;
        byte[] senderMac = new byte[6];
        frame.get(a + 8, senderMac);
        int senderIp = frame.getInt(a + 14);
        int targetIp = frame.getInt(a + 24);
        if (targetIp != ip) {
            return;
        }
        arpCache.put(senderIp, senderMac);
        if (operation == 1) {
            link.accept(Frames.arp(2, mac, ip, senderMac, senderIp));
        }
    }

    private void ipv4(ByteBuffer frame) {
        int at = Frames.ETHERNET_HEADER;
        if (frame.limit() < at + Frames.IPV4_HEADER || (frame.get(at) & 0xFF) >>> 4 != 4) {
            return;
        }
        int headerLength = (frame.get(at) & 0x0F) * 4;
        int totalLength = frame.getShort(at + 2) & 0xFFFF;
        if (headerLength < 20 || totalLength < headerLength + 8 || at + totalLength > frame.limit()
                || Frames.checksum(frame, at, headerLength) != 0 || frame.get(at + 9) != 1
                || frame.getInt(at + 16) != ip) {
            return;
        }
        int icmp = at + headerLength;
        int icmpLength = totalLength - headerLength;
        if (Frames.checksum(frame, icmp, icmpLength) != 0) {
            return;
        }
        int type = frame.get(icmp) & 0xFF;
        int source = frame.getInt(at + 12);
        int id = frame.getShort(icmp + 4) & 0xFFFF;
        int sequence = frame.getShort(icmp + 6) & 0xFFFF;
        if (type == Frames.ICMP_ECHO_REQUEST) {
            byte[] data = new byte[icmpLength - 8];
            frame.get(icmp + 8, data);
            byte[] sourceMac = new byte[6];
            frame.get(6, sourceMac);
            arpCache.putIfAbsent(source, sourceMac);
            link.accept(Frames.icmpEcho(sourceMac, mac, ip, source, TTL, Frames.ICMP_ECHO_REPLY, id, sequence, data,
                    nextIpId()));
            requestLog.accept(String.format(Locale.ROOT, "%d bytes from %s: icmp_seq=%d echo request answered",
                    icmpLength, Frames.ip(source), sequence));
        } else if (type == Frames.ICMP_ECHO_REPLY && id == identifier) {
            replies.put(sequence, new long[] {System.nanoTime(), frame.get(at + 8) & 0xFF, icmpLength});
        }
    }

    private synchronized int nextIpId() {
        return ipId++ & 0xFFFF;
    }

    /** The MAC address of {@code target}, asking by ARP once a second; null if none answers in time. */
    byte[] resolve(int target, long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        long nextAsk = 0;
        while (System.nanoTime() < deadline) {
            byte[] known = arpCache.get(target);
            if (known != null) {
                return known;
            }
            if (System.nanoTime() >= nextAsk) {
                link.accept(Frames.arp(1, mac, ip, Frames.BROADCAST, target));
                nextAsk = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            }
            Thread.sleep(1);
        }
        return arpCache.get(target);
    }

    /** The outcome of a ping run. */
    record PingResult(int transmitted, int received) {
    }

    /**
     * Pings {@code target} like iputils ping, printing a line per reply and the statistics.
     */
    PingResult ping(int target, int count, long intervalNanos, long timeoutNanos, PrintWriter out)
            throws InterruptedException {
        String name = Frames.ip(target);
        out.printf(Locale.ROOT, "PING %s (%s) %d(%d) bytes of data.%n", name, name, PING_DATA, PING_DATA + 28);
        out.flush();
        byte[] targetMac = resolve(target, timeoutNanos);
        int transmitted = 0;
        int received = 0;
        double min = Double.MAX_VALUE;
        double max = 0;
        double sum = 0;
        double sumSquares = 0;
        for (int sequence = 1; sequence <= count; sequence++) {
            long sent = System.nanoTime();
            transmitted++;
            if (targetMac != null) {
                byte[] data = new byte[PING_DATA];
                ByteBuffer.wrap(data).putLong(System.currentTimeMillis());
                for (int i = 8; i < data.length; i++) {
                    data[i] = (byte) i;
                }
                link.accept(Frames.icmpEcho(targetMac, mac, ip, target, TTL, Frames.ICMP_ECHO_REQUEST, identifier,
                        sequence, data, nextIpId()));
            }
            long deadline = sent + timeoutNanos;
            long[] reply = null;
            while (System.nanoTime() < deadline && (reply = replies.remove(sequence)) == null) {
                Thread.sleep(0, 200_000);
            }
            if (reply != null) {
                received++;
                double ms = (reply[0] - sent) / 1e6;
                min = Math.min(min, ms);
                max = Math.max(max, ms);
                sum += ms;
                sumSquares += ms * ms;
                out.printf(Locale.ROOT, "%d bytes from %s: icmp_seq=%d ttl=%d time=%.3f ms%n",
                        reply[2], name, sequence, reply[1], ms);
                out.flush();
            }
            if (sequence < count) {
                long wait = sent + intervalNanos - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
            }
        }
        out.printf(Locale.ROOT, "%n--- %s ping statistics ---%n", name);
        int loss = transmitted == 0 ? 0 : (int) Math.round(100.0 * (transmitted - received) / transmitted);
        out.printf(Locale.ROOT, "%d packets transmitted, %d received, %d%% packet loss%n", transmitted, received, loss);
        if (received > 0) {
            double avg = sum / received;
            double mdev = Math.sqrt(Math.max(0, sumSquares / received - avg * avg));
            out.printf(Locale.ROOT, "rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms%n", min, avg, max, mdev);
        }
        out.flush();
        return new PingResult(transmitted, received);
    }

    @Override
    public String toString() {
        return "VirtualHost[" + Frames.ip(ip) + " " + Arrays.toString(mac) + "]";
    }
}
