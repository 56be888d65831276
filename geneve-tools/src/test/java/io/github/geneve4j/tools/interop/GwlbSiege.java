package io.github.geneve4j.tools.interop;

import static io.github.geneve4j.testing.GwlbWire.datagram;
import static io.github.geneve4j.testing.GwlbWire.ip;
import static io.github.geneve4j.testing.GwlbWire.ipv4;

import io.github.geneve4j.testing.GwlbWire;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * The appliance under siege (issue 28's "done when"), run in the GWLB stand-in's namespace by
 * {@link GwlbSiegeNetnsTest}: for {@code SECONDS}, at once,
 * <ul>
 *   <li>the real GWLB (from {@code SELF}) sends {@value #REAL_FLOWS} concurrent flows of one endpoint ID,
 *       each from its own outer source port, one datagram per flow every {@value #ROUND_MILLIS} ms,
 *       each numbered in its inner payload, and counts the answers per flow (from the appliance's address,
 *       to the port the flow was sent from), and halfway through starts {@value #LATE_FLOWS} new flows (to
 *       see how many the attacker's 20,000 leave room for: a flow the table cannot hold is dropped in
 *       kernel-inspection mode);</li>
 *   <li>an attacker (from {@code STRANGER}) sends {@value #ATTACK_ENDPOINTS} endpoint IDs times
 *       {@value #FLOWS_PER_ENDPOINT} flows ({@code 20,000} flows) at {@value #ATTACK_RATE} datagrams/s,
 *       and replays every datagram of the real flows from its own address (to take their answers over),
 *       and counts whatever answers it gets on its own UDP 6081;</li>
 *   <li>{@value #SLOW_CLIENTS} slow health clients (from {@code STRANGER}) each send half a request and
 *       then one byte every 500 ms, reconnecting whenever the appliance closes them;</li>
 *   <li>GWLB's health check (from {@code SELF}) asks every 250 ms, with a 2 s timeout.</li>
 * </ul>
 * The siege starts once the real flows live ({@value #ATTACK_AFTER} rounds in: in kernel mode a new
 * endpoint's first datagrams wait in a bounded queue while its devices are made, and past it are
 * dropped). Prints the figures; "ALL OK" and exit 0 when every real datagram sent during the siege was
 * answered to the real GWLB, none to the attacker, at least 95% of the new flows were answered, and
 * every health check got 200 in time.
 *
 * <p>Arguments: {@code SELF STRANGER APPLIANCE HEALTH_PORT SECONDS}.
 */
public final class GwlbSiege {

    /** The real GWLB's endpoint ID (the one the kernel-mode hook accepts). */
    static final long REAL_ENDPOINT = 0x2b8ee1d4db0c51c4L;
    static final int REAL_FLOWS = 100;
    /** New flows the real GWLB starts in the middle of the siege (after the attacker's 20,000). */
    static final int LATE_FLOWS = 100;
    static final int ROUND_MILLIS = 100;
    static final int ATTACK_ENDPOINTS = 1000;
    static final int FLOWS_PER_ENDPOINT = 20;
    static final int ATTACK_RATE = 20_000;
    static final int SLOW_CLIENTS = 50;
    /** Rounds of the real flows before the siege starts: the flows live, as GWLB's would. */
    static final int ATTACK_AFTER = 10;

    private final InetAddress self;
    private final InetAddress stranger;
    private final InetAddress applianceIp;
    private final InetSocketAddress appliance;
    private final int healthPort;
    private final long endNanos;
    private volatile boolean stopping;

    private GwlbSiege(String[] args) throws IOException {
        self = InetAddress.getByName(args[0]);
        stranger = InetAddress.getByName(args[1]);
        applianceIp = InetAddress.getByName(args[2]);
        appliance = new InetSocketAddress(applianceIp, 6081);
        healthPort = Integer.parseInt(args[3]);
        endNanos = System.nanoTime() + (long) (Double.parseDouble(args[4]) * 1e9);
    }

    public static void main(String[] args) throws Exception {
        System.exit(new GwlbSiege(args).run() ? 0 : 1);
    }

    /** The inner packet of real flow {@code f}, datagram {@code seq}: UDP 10.0.0.1:(30000+f) to 10.0.1.1:53, "f=FFF s=SSSSS". */
    private static byte[] real(int f, int seq) {
        String payload = String.format("f=%03d s=%05d", f, seq);
        return datagram(REAL_ENDPOINT, 0x11, 0x5000 + f, GwlbWire.IPV4, false,
                ipv4(ip(10, 0, 0, 1), ip(10, 0, 1, 1), 17, GwlbWire.udp(30_000 + f, 53, payload)));
    }

    /** The flow and sequence number in an answer's last 13 bytes, as {@code f * 100_000 + s}; -1 if not ours. */
    private static int tag(ByteBuffer b) {
        int end = b.position();
        if (end < 13) {
            return -1;
        }
        String s = new String(b.array(), end - 13, 13, StandardCharsets.US_ASCII);
        if (!s.startsWith("f=") || s.charAt(5) != ' ' || !s.startsWith("s=", 6)) {
            return -1;
        }
        try {
            return Integer.parseInt(s.substring(2, 5)) * 100_000 + Integer.parseInt(s.substring(8));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private boolean run() throws Exception {
        DatagramChannel gwlbReplies = receiver(self);
        DatagramChannel attackerReplies = receiver(stranger);
        DatagramChannel[] realSenders = new DatagramChannel[REAL_FLOWS + LATE_FLOWS];
        for (int f = 0; f < realSenders.length; f++) {
            realSenders[f] = DatagramChannel.open(StandardProtocolFamily.INET).bind(new InetSocketAddress(self, 42_000 + f));
        }
        int rounds = (int) ((endNanos - System.nanoTime()) / 1_000_000 / ROUND_MILLIS);
        // answers[f * rounds + s]: how many times datagram s of flow f came back to the real GWLB
        AtomicLongArray answers = new AtomicLongArray((REAL_FLOWS + LATE_FLOWS) * rounds);
        int lateFrom = rounds / 2;
        AtomicLong wrongPort = new AtomicLong();
        AtomicLong foreign = new AtomicLong();
        AtomicLong toAttacker = new AtomicLong();
        AtomicLong realToAttacker = new AtomicLong();
        Thread gwlbListener = listen("gwlb-replies", gwlbReplies, (from, b) -> {
            int t = tag(b);
            if (!from.getAddress().equals(applianceIp) || t < 0 || t % 100_000 >= rounds) {
                foreign.incrementAndGet();
                return;
            }
            int f = t / 100_000;
            if (from.getPort() != 42_000 + f) {
                wrongPort.incrementAndGet();
            }
            answers.incrementAndGet(f * rounds + t % 100_000);
        });
        Thread attackerListener = listen("attacker-replies", attackerReplies, (from, b) -> {
            toAttacker.incrementAndGet();
            if (tag(b) >= 0) {
                realToAttacker.incrementAndGet();
            }
        });
        List<Thread> threads = new ArrayList<>();
        AtomicLong replays = new AtomicLong();
        AtomicLong attackSent = new AtomicLong();
        HealthFigures health = new HealthFigures();
        threads.add(Thread.ofPlatform().name("health").start(() -> healthChecks(health)));
        AtomicLong slowConnections = new AtomicLong();
        AtomicLong slowClosed = new AtomicLong();
        // the real GWLB's flows; once they live (after ATTACK_AFTER rounds), the siege, and the attacker's
        // replay of each of their datagrams
        try (DatagramChannel replayer = DatagramChannel.open(StandardProtocolFamily.INET).bind(new InetSocketAddress(stranger, 0))) {
            long start = System.nanoTime();
            for (int s = 0; s < rounds; s++) {
                if (s == ATTACK_AFTER) {
                    threads.add(Thread.ofPlatform().name("attack").start(() -> attack(attackSent)));
                    for (int i = 0; i < SLOW_CLIENTS; i++) {
                        threads.add(Thread.ofPlatform().daemon(true).name("slow-" + i)
                                .start(() -> slowClient(slowConnections, slowClosed)));
                    }
                }
                for (int f = 0; f < REAL_FLOWS; f++) {
                    ByteBuffer d = ByteBuffer.wrap(real(f, s));
                    realSenders[f].send(d, appliance);
                    if (s >= ATTACK_AFTER) {
                        replayer.send(d.rewind(), appliance);
                        replays.incrementAndGet();
                    }
                }
                for (int f = REAL_FLOWS; s >= lateFrom && f < REAL_FLOWS + LATE_FLOWS; f++) {
                    realSenders[f].send(ByteBuffer.wrap(real(f, s)), appliance);
                }
                LockSupport.parkNanos(start + (s + 1L) * ROUND_MILLIS * 1_000_000 - System.nanoTime());
            }
        }
        Thread.sleep(1500); // the last answers
        stopping = true;
        for (Thread t : threads) {
            t.join(5000);
        }
        gwlbReplies.close();
        attackerReplies.close();
        gwlbListener.join(1000);
        attackerListener.join(1000);

        // the rounds before the siege (the endpoint's first datagrams wait in a bounded queue while its
        // devices are made), and those during it, which must all be answered
        long[] sent = new long[2];
        long[] answered = new long[2];
        long duplicated = 0;
        int flowsComplete = 0;
        for (int f = 0; f < REAL_FLOWS; f++) {
            boolean complete = true;
            for (int s = 0; s < rounds; s++) {
                long n = answers.get(f * rounds + s);
                int during = s >= ATTACK_AFTER ? 1 : 0;
                sent[during]++;
                answered[during] += Math.min(n, 1);
                duplicated += Math.max(n - 1, 0);
                complete &= n > 0 || during == 0;
            }
            flowsComplete += complete ? 1 : 0;
        }
        System.out.printf("real GWLB: %d flows, one datagram each every %d ms; before the siege %d sent, %d answered;"
                + " during it %d sent, %d answered (%d flows with every datagram answered); %d duplicated, %d to another"
                + " port, %d foreign%n", REAL_FLOWS, ROUND_MILLIS, sent[0], answered[0], sent[1], answered[1], flowsComplete,
                duplicated, wrongPort.get(), foreign.get());
        int lateAnswered = 0;
        long lateSent = 0;
        long lateGot = 0;
        for (int f = REAL_FLOWS; f < REAL_FLOWS + LATE_FLOWS; f++) {
            long got = 0;
            for (int s = lateFrom; s < rounds; s++) {
                got += Math.min(answers.get(f * rounds + s), 1);
            }
            lateSent += rounds - lateFrom;
            lateGot += got;
            lateAnswered += got > 0 ? 1 : 0;
        }
        System.out.printf("real GWLB's new flows during the siege: %d started (round %d of %d), %d answered (%d of %d"
                + " datagrams)%n", LATE_FLOWS, lateFrom, rounds, lateAnswered, lateGot, lateSent);
        System.out.printf("attacker: %d datagrams of %d endpoint IDs x %d flows, %d replays of the real flows;"
                + " answers it got: %d (%d of the real flows)%n", attackSent.get(), ATTACK_ENDPOINTS,
                FLOWS_PER_ENDPOINT, replays.get(), toAttacker.get(), realToAttacker.get());
        System.out.printf("slow health clients: %d, %d connections made, %d closed by the appliance%n", SLOW_CLIENTS,
                slowConnections.get(), slowClosed.get());
        System.out.printf("health checks: %d asked, %d answered 200, %d other, %d failed; slowest %.1f ms%n",
                health.asked, health.ok, health.other, health.failed, health.slowestNanos / 1e6);
        System.out.println("last health answer: " + health.last);
        boolean ok = sent[1] > 0 && answered[1] == sent[1] && flowsComplete == REAL_FLOWS && lateAnswered >= LATE_FLOWS * 95 / 100 && wrongPort.get() == 0 && toAttacker.get() == 0
                && health.asked > 0 && health.ok == health.asked;
        System.out.println(ok ? "ALL OK" : "FAIL");
        return ok;
    }

    private static DatagramChannel receiver(InetAddress at) throws IOException {
        DatagramChannel c = DatagramChannel.open(StandardProtocolFamily.INET);
        c.setOption(StandardSocketOptions.SO_RCVBUF, 8 << 20);
        return c.bind(new InetSocketAddress(at, 6081));
    }

    private interface Answer {
        void received(InetSocketAddress from, ByteBuffer datagram);
    }

    private static Thread listen(String name, DatagramChannel channel, Answer answer) {
        return Thread.ofPlatform().daemon(true).name(name).start(() -> {
            ByteBuffer b = ByteBuffer.allocate(2048);
            try {
                while (true) {
                    b.clear();
                    InetSocketAddress from = (InetSocketAddress) channel.receive(b);
                    answer.received(from, b);
                }
            } catch (IOException closed) {
                // done
            }
        });
    }

    /** 20,000 flows of 1,000 endpoint IDs from the stranger's address, round after round, at {@link #ATTACK_RATE}/s. */
    private void attack(AtomicLong sent) {
        int total = ATTACK_ENDPOINTS * FLOWS_PER_ENDPOINT;
        try (DatagramChannel c = DatagramChannel.open(StandardProtocolFamily.INET).bind(new InetSocketAddress(stranger, 0))) {
            ByteBuffer[] flows = new ByteBuffer[total];
            for (int i = 0; i < total; i++) {
                int e = i / FLOWS_PER_ENDPOINT;
                int f = i % FLOWS_PER_ENDPOINT;
                flows[i] = ByteBuffer.wrap(datagram(0x0a77ac0000000000L + e, 0x66, i, GwlbWire.IPV4, false,
                        ipv4(ip(10, 9, e >> 8, e & 0xFF), ip(10, 0, 1, 1), 17, GwlbWire.udp(20_000 + f, 53, "attack"))));
            }
            long start = System.nanoTime();
            long n = 0;
            while (!stopping && System.nanoTime() < endNanos) {
                long due = (System.nanoTime() - start) * ATTACK_RATE / 1_000_000_000L;
                for (; n < due; n++) {
                    c.send(flows[(int) (n % total)].rewind(), appliance);
                }
                LockSupport.parkNanos(1_000_000);
            }
            sent.set(n);
        } catch (IOException e) {
            System.out.println("attack stopped: " + e);
        }
    }

    /** Half a request, then a byte every 500 ms; again whenever the appliance closes the connection. */
    private void slowClient(AtomicLong connections, AtomicLong closed) {
        byte[] half = "GET / HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII);
        while (!stopping) {
            try (Socket s = new Socket()) {
                s.bind(new InetSocketAddress(stranger, 0));
                s.connect(new InetSocketAddress(applianceIp, healthPort), 2000);
                connections.incrementAndGet();
                OutputStream out = s.getOutputStream();
                out.write(half);
                while (!stopping) {
                    Thread.sleep(500);
                    out.write('X');
                    out.flush();
                }
            } catch (IOException e) {
                closed.incrementAndGet(); // closed by the appliance (its read timeout, or the connection bound)
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static final class HealthFigures {
        volatile long asked;
        volatile long ok;
        volatile long other;
        volatile long failed;
        volatile long slowestNanos;
        volatile String last = "";
    }

    /** GWLB's health check: HTTP GET every 250 ms, 2 s to answer. */
    private void healthChecks(HealthFigures h) {
        byte[] request = "GET /health HTTP/1.1\r\nHost: gwlb\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        while (!stopping && System.nanoTime() < endNanos) {
            long t0 = System.nanoTime();
            h.asked++;
            try (Socket s = new Socket()) {
                s.bind(new InetSocketAddress(self, 0));
                s.connect(new InetSocketAddress(applianceIp, healthPort), 2000);
                s.setSoTimeout(2000);
                s.getOutputStream().write(request);
                InputStream in = s.getInputStream();
                String answer = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                long took = System.nanoTime() - t0;
                h.slowestNanos = Math.max(h.slowestNanos, took);
                if (answer.startsWith("HTTP/1.1 200 ") && took < 2_000_000_000L) {
                    h.ok++;
                } else {
                    h.other++;
                }
                h.last = answer.substring(Math.max(0, answer.indexOf('{')));
            } catch (IOException e) {
                h.failed++;
                h.slowestNanos = Math.max(h.slowestNanos, System.nanoTime() - t0);
                System.out.println("health check failed: " + e);
            }
            LockSupport.parkNanos(250_000_000L);
        }
    }
}
