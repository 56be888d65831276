package io.github.geneve4j.tools.demo;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.NetworkOrder;
import io.github.geneve4j.codec.net.EtherType;
import io.github.geneve4j.codec.net.EthernetView;
import io.github.geneve4j.codec.net.InternetChecksum;
import io.github.geneve4j.codec.net.Ipv4View;
import io.github.geneve4j.endpoint.ReceivedFrame;
import java.io.PrintWriter;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A tiny IPv4 host on the virtual network: it answers ARP for its address (learning the asker, as
 * RFC 826 says), answers ICMP echo requests (RFC 792), and can ping. Frames are read and built with
 * the codec's Ethernet and IPv4 views and its Internet checksum. Frames for it arrive through
 * {@link #receive}, on the endpoint's receive thread, with the link to answer on; its own pings
 * leave through the link it was made with.
 */
final class VirtualHost {

    /** Where a frame goes: the tunnel endpoint's send (or reply). */
    @FunctionalInterface
    interface Link {
        void send(MemorySegment frame, long offset, long length);
    }

    static final int TTL = 64;
    static final int PING_DATA = 56;
    static final long BROADCAST = 0xFFFF_FFFF_FFFFL;
    /** ARP for IPv4 over Ethernet (RFC 826): hardware type 1, protocol 0x0800, lengths 6 and 4. */
    static final int ARP_LENGTH = 28;
    private static final int ARP_OPERATION = 6;
    private static final int ARP_SENDER_MAC = 8;
    private static final int ARP_SENDER_IP = 14;
    private static final int ARP_TARGET_MAC = 18;
    private static final int ARP_TARGET_IP = 24;
    private static final int ARP_REQUEST = 1;
    private static final int ARP_REPLY = 2;
    static final int ICMP_ECHO_REQUEST = 8;
    static final int ICMP_ECHO_REPLY = 0;
    private static final int PROTOCOL_ICMP = 1;
    /** A host keeps this many neighbours at most: a flood of ARP cannot grow it without bound. */
    static final int ARP_CACHE_LIMIT = 256;


    private final long mac;
    private final int ip;
    private final Link link;
    private final Map<Integer, Long> arpCache = new ConcurrentHashMap<>();
    private final Map<Integer, long[]> replies = new ConcurrentHashMap<>(); // seq -> {nanoTime, ttl, bytes}
    private volatile Consumer<String> requestLog = line -> { };
    private final int identifier = (int) (ProcessHandle.current().pid() & 0xFFFF);
    private final EthernetView ethernet = new EthernetView();
    private final Ipv4View ipv4 = new Ipv4View();
    // frames are built here: one host builds one at a time (guarded by this)
    private final MemorySegment out = MemorySegment.ofArray(new byte[1514]);
    private int ipId;

    VirtualHost(long mac, int ip, Link link) {
        this.mac = mac;
        this.ip = ip;
        this.link = link;
    }

    /** A locally administered MAC that embeds the IPv4 address: 02:00:a.b.c.d. */
    static long macFor(int ip) {
        return 0x0200_0000_0000L | (ip & 0xFFFF_FFFFL);
    }

    /** Where to report each echo request answered (the responder prints them). */
    void onRequest(Consumer<String> log) {
        this.requestLog = log;
    }

    /** Handles a frame from the virtual network; answers go out through {@code reply}. */
    void receive(ReceivedFrame frame, Link reply) {
        MemorySegment s = frame.segment();
        try {
            ethernet.wrap(s, frame.offset(), frame.length());
            switch (ethernet.etherType()) {
                case EtherType.ARP -> arp(s, ethernet.payloadOffset(), ethernet.payloadLength(), reply);
                case EtherType.IPV4 -> ipv4(s, ethernet.payloadOffset(), ethernet.payloadLength(), reply);
                default -> {
                    // other protocols: not for this tiny host
                }
            }
        } catch (GeneveFormatException malformed) {
            // a frame this host cannot read is ignored, as a host's stack would
        }
    }

    private void arp(MemorySegment s, long a, long length, Link reply) {
        if (length < ARP_LENGTH || s.get(NetworkOrder.SHORT, a) != 1 || s.get(NetworkOrder.SHORT, a + 2) != EtherType.IPV4
                || s.get(ValueLayout.JAVA_BYTE, a + 4) != 6 || s.get(ValueLayout.JAVA_BYTE, a + 5) != 4) {
            return;
        }
        int operation = s.get(NetworkOrder.SHORT, a + ARP_OPERATION) & 0xFFFF;
        long senderMac = mac(s, a + ARP_SENDER_MAC);
        int senderIp = s.get(NetworkOrder.INT, a + ARP_SENDER_IP);
        if (s.get(NetworkOrder.INT, a + ARP_TARGET_IP) != ip) {
            return;
        }
        learn(senderIp, senderMac);
        if (operation == ARP_REQUEST) {
            synchronized (this) {
                int n = arpFrame(ARP_REPLY, senderMac, senderIp);
                reply.send(out, 0, n);
            }
        }
    }

    private void learn(int address, long hardware) {
        if (arpCache.size() < ARP_CACHE_LIMIT || arpCache.containsKey(address)) {
            arpCache.put(address, hardware);
        }
    }

    private void ipv4(MemorySegment s, long at, long length, Link reply) {
        if (length < Ipv4View.MIN_HEADER_LENGTH || (s.get(ValueLayout.JAVA_BYTE, at) & 0xF0) != 0x40) {
            return;
        }
        ipv4.wrap(s, at, length);
        if (!ipv4.checksumValid() || ipv4.protocol() != PROTOCOL_ICMP || ipv4.destination() != (ip & 0xFFFF_FFFFL)
                || ipv4.payloadLength() < 8 || ipv4.moreFragments() || ipv4.fragmentOffset() != 0) {
            return;
        }
        long icmp = ipv4.payloadOffset();
        int icmpLength = (int) ipv4.payloadLength();
        if (InternetChecksum.checksum(s, icmp, icmpLength) != 0) {
            return;
        }
        int type = s.get(ValueLayout.JAVA_BYTE, icmp) & 0xFF;
        int source = (int) ipv4.source();
        int id = s.get(NetworkOrder.SHORT, icmp + 4) & 0xFFFF;
        int sequence = s.get(NetworkOrder.SHORT, icmp + 6) & 0xFFFF;
        if (type == ICMP_ECHO_REQUEST && icmpLength - 8 <= out.byteSize() - 42) {
            long sourceMac = ethernet.source();
            learn(source, sourceMac);
            synchronized (this) {
                int n = icmpFrame(sourceMac, source, ICMP_ECHO_REPLY, id, sequence, s, icmp + 8, icmpLength - 8);
                reply.send(out, 0, n);
            }
            requestLog.accept(String.format(Locale.ROOT, "%d bytes from %s: icmp_seq=%d echo request answered",
                    icmpLength, ip(source), sequence));
        } else if (type == ICMP_ECHO_REPLY && id == identifier) {
            replies.put(sequence, new long[] {System.nanoTime(), ipv4.ttl(), icmpLength});
        }
    }

    /** Builds an ARP request or reply in {@link #out}; returns its length. */
    private int arpFrame(int operation, long targetMac, int targetIp) {
        int e = EthernetView.write(out, 0, operation == ARP_REQUEST ? BROADCAST : targetMac, mac, -1, EtherType.ARP);
        out.set(NetworkOrder.SHORT, e, (short) 1);
        out.set(NetworkOrder.SHORT, e + 2, (short) EtherType.IPV4);
        out.set(ValueLayout.JAVA_BYTE, e + 4, (byte) 6);
        out.set(ValueLayout.JAVA_BYTE, e + 5, (byte) 4);
        out.set(NetworkOrder.SHORT, e + ARP_OPERATION, (short) operation);
        putMac(e + ARP_SENDER_MAC, mac);
        out.set(NetworkOrder.INT, e + ARP_SENDER_IP, ip);
        putMac(e + ARP_TARGET_MAC, operation == ARP_REQUEST ? 0 : targetMac);
        out.set(NetworkOrder.INT, e + ARP_TARGET_IP, targetIp);
        return e + ARP_LENGTH;
    }

    /** Builds an ICMP echo request or reply in {@link #out} with {@code length} bytes of data from {@code data}. */
    private int icmpFrame(long dstMac, int dstIp, int type, int id, int sequence, MemorySegment data, long dataOffset,
            int length) {
        int e = EthernetView.write(out, 0, dstMac, mac, -1, EtherType.IPV4);
        int icmpLength = 8 + length;
        int header = Ipv4View.write(out, e, 0, Ipv4View.MIN_HEADER_LENGTH + icmpLength, nextIpId(), true, TTL,
                PROTOCOL_ICMP, ip & 0xFFFF_FFFFL, dstIp & 0xFFFF_FFFFL);
        long icmp = e + header;
        out.set(ValueLayout.JAVA_BYTE, icmp, (byte) type);
        out.set(ValueLayout.JAVA_BYTE, icmp + 1, (byte) 0);
        out.set(NetworkOrder.SHORT, icmp + 2, (short) 0);
        out.set(NetworkOrder.SHORT, icmp + 4, (short) id);
        out.set(NetworkOrder.SHORT, icmp + 6, (short) sequence);
        MemorySegment.copy(data, dataOffset, out, icmp + 8, length);
        out.set(NetworkOrder.SHORT, icmp + 2, (short) InternetChecksum.checksum(out, icmp, icmpLength));
        return (int) icmp + icmpLength;
    }

    private void putMac(long at, long address) {
        out.set(NetworkOrder.INT, at, (int) (address >>> 16));
        out.set(NetworkOrder.SHORT, at + 4, (short) address);
    }

    private static long mac(MemorySegment s, long at) {
        return ((s.get(NetworkOrder.INT, at) & 0xFFFF_FFFFL) << 16) | (s.get(NetworkOrder.SHORT, at + 4) & 0xFFFF);
    }

    private synchronized int nextIpId() {
        return ipId++ & 0xFFFF;
    }

    /** The MAC address of {@code target}, asking by ARP once a second; null if none answers in time. */
    Long resolve(int target, long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        long nextAsk = 0;
        while (System.nanoTime() < deadline) {
            Long known = arpCache.get(target);
            if (known != null) {
                return known;
            }
            if (System.nanoTime() >= nextAsk) {
                synchronized (this) {
                    link.send(out, 0, arpFrame(ARP_REQUEST, BROADCAST, target));
                }
                nextAsk = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            }
            Thread.sleep(1);
        }
        return arpCache.get(target);
    }

    /**
     * The outcome of a ping run.
     *
     * @param transmitted echo requests really sent
     * @param received echo replies received in time
     * @param errors sequences with no request sent, the target's address unresolved
     */
    record PingResult(int transmitted, int received, int errors) {
        /** Whether every sequence was sent and answered. */
        boolean allAnswered() {
            return errors == 0 && transmitted > 0 && received == transmitted;
        }
    }

    /**
     * Pings {@code target} like iputils ping, printing a line per reply and the statistics. Each
     * sequence whose target does not answer ARP within the timeout sends nothing and prints
     * {@code From <this host> icmp_seq=N Destination Host Unreachable}, as Linux ping does when
     * neighbour resolution fails; the statistics count only the requests really sent, and such
     * sequences as errors.
     */
    PingResult ping(int target, int count, long intervalNanos, long timeoutNanos, PrintWriter out)
            throws InterruptedException {
        String name = ip(target);
        out.printf(Locale.ROOT, "PING %s (%s) %d(%d) bytes of data.%n", name, name, PING_DATA, PING_DATA + 28);
        out.flush();
        int transmitted = 0;
        int received = 0;
        int errors = 0;
        double min = Double.MAX_VALUE;
        double max = 0;
        double sum = 0;
        double sumSquares = 0;
        MemorySegment data = MemorySegment.ofArray(new byte[PING_DATA]);
        for (int sequence = 1; sequence <= count; sequence++) {
            long started = System.nanoTime();
            Long targetMac = resolve(target, timeoutNanos); // at once when cached; ARP otherwise
            if (targetMac == null) {
                errors++;
                out.printf(Locale.ROOT, "From %s icmp_seq=%d Destination Host Unreachable%n", ip(ip), sequence);
                out.flush();
            } else {
                long sent = System.nanoTime();
                data.set(NetworkOrder.LONG, 0, System.currentTimeMillis());
                for (int i = 8; i < PING_DATA; i++) {
                    data.set(ValueLayout.JAVA_BYTE, i, (byte) i);
                }
                synchronized (this) {
                    int n = icmpFrame(targetMac, target, ICMP_ECHO_REQUEST, identifier, sequence, data, 0, PING_DATA);
                    link.send(this.out, 0, n);
                }
                transmitted++;
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
            }
            if (sequence < count) {
                long wait = started + intervalNanos - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
            }
        }
        out.printf(Locale.ROOT, "%n--- %s ping statistics ---%n", name);
        StringBuilder line = new StringBuilder().append(transmitted).append(" packets transmitted, ")
                .append(received).append(" received");
        if (errors > 0) {
            line.append(", +").append(errors).append(" errors");
        }
        if (transmitted > 0) { // as iputils: no loss figure when nothing was sent
            int loss = (int) Math.round(100.0 * (transmitted - received) / transmitted);
            line.append(", ").append(loss).append("% packet loss");
        }
        out.println(line);
        if (received > 0) {
            double avg = sum / received;
            double mdev = Math.sqrt(Math.max(0, sumSquares / received - avg * avg));
            out.printf(Locale.ROOT, "rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms%n", min, avg, max, mdev);
        }
        out.flush();
        return new PingResult(transmitted, received, errors);
    }

    static String ip(int address) {
        return (address >>> 24) + "." + ((address >>> 16) & 0xFF) + "." + ((address >>> 8) & 0xFF) + "." + (address & 0xFF);
    }

    /** Parses a dotted IPv4 address. */
    static int parseIp(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + text);
        }
        int address = 0;
        for (String part : parts) {
            int value;
            try {
                value = Integer.parseInt(part);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not an IPv4 address: " + text);
            }
            if (value < 0 || value > 255 || part.isEmpty() || part.length() > 3) {
                throw new IllegalArgumentException("not an IPv4 address: " + text);
            }
            address = (address << 8) | value;
        }
        return address;
    }

    @Override
    public String toString() {
        return "VirtualHost[" + ip(ip) + " " + Long.toHexString(mac) + "]";
    }
}
