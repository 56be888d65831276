package io.github.geneve4j.tools.interop;

import static io.github.geneve4j.testing.GwlbWire.datagram;
import static io.github.geneve4j.testing.GwlbWire.ip;
import static io.github.geneve4j.testing.GwlbWire.ip6;
import static io.github.geneve4j.testing.GwlbWire.ipv4;
import static io.github.geneve4j.testing.GwlbWire.ipv6;

import io.github.geneve4j.testing.GwlbWire;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A GWLB stand-in, run in its own namespace by {@link GwlbNetnsTest}: it sends from two source ports
 * (two GWLB "flows" of the outer header) datagrams written from AWS's layout, receives the replies on
 * UDP 6081 as GWLB does, and checks each: from the appliance's address and the source port it was sent
 * from, byte for byte (or rewritten as the scenario says); datagrams without the options unanswered; the
 * health port's answer. Prints one line per check and "ALL OK" at the end; exits 1 on the first failure.
 *
 * <p>Arguments: {@code SELF APPLIANCE HEALTH_PORT pass|hook|kernel}.
 */
public final class GwlbStandIn {

    static final long ENDPOINT_A = 0x2b8ee1d4db0c51c4L;
    static final long ENDPOINT_B = 0x8000000000000abcL;

    private final DatagramChannel replies;
    private final DatagramChannel[] senders = new DatagramChannel[2];
    private final InetSocketAddress appliance;
    private final InetAddress applianceIp;
    private final int healthPort;
    private int checks;

    private GwlbStandIn(String self, String appliance, int healthPort) throws IOException {
        InetAddress me = InetAddress.getByName(self);
        this.applianceIp = InetAddress.getByName(appliance);
        this.appliance = new InetSocketAddress(applianceIp, 6081);
        this.healthPort = healthPort;
        replies = DatagramChannel.open(StandardProtocolFamily.INET).bind(new InetSocketAddress(me, 6081));
        replies.configureBlocking(false);
        for (int i = 0; i < 2; i++) {
            senders[i] = DatagramChannel.open(StandardProtocolFamily.INET).bind(new InetSocketAddress(me, 40001 + i));
        }
    }

    public static void main(String[] args) throws Exception {
        GwlbStandIn s = new GwlbStandIn(args[0], args[1], Integer.parseInt(args[2]));
        try {
            switch (args[3]) {
                case "pass" -> s.pass();
                case "hook" -> s.hook();
                case "stranger" -> s.stranger();
                default -> s.kernel();
            }
            System.out.println("ALL OK: " + s.checks + " checks");
            System.exit(0);
        } catch (AssertionError e) {
            System.out.println("FAIL: " + e.getMessage());
            System.exit(1);
        }
    }

    private void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
        checks++;
        System.out.println("ok: " + what);
    }

    /** Sends {@code d} from sender {@code from}; the reply, checked to come from the appliance and that source port, or null. */
    private byte[] exchange(int from, byte[] d, long waitMillis) throws Exception {
        senders[from].send(ByteBuffer.wrap(d), appliance);
        ByteBuffer b = ByteBuffer.allocate(70_000);
        long end = System.nanoTime() + waitMillis * 1_000_000;
        while (System.nanoTime() < end) {
            InetSocketAddress src = (InetSocketAddress) replies.receive(b);
            if (src != null) {
                check(src.getAddress().equals(applianceIp), "reply from the appliance's address (" + src + ")");
                check(src.getPort() == 40001 + from, "reply keeps GWLB's source port " + (40001 + from) + " (got " + src.getPort() + ")");
                return Arrays.copyOf(b.array(), b.position());
            }
            Thread.sleep(1);
        }
        return null;
    }

    private String health() throws IOException {
        try (Socket s = new Socket(applianceIp, healthPort)) {
            s.setSoTimeout(5000);
            s.getOutputStream().write("GET /health HTTP/1.0\r\nHost: gwlb\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** From an address outside the appliance's --gwlb list: nothing answered, every datagram counted NOT_GWLB. */
    private void stranger() throws Exception {
        int a = ip(10, 0, 0, 1);
        int b = ip(10, 0, 0, 2);
        for (int i = 0; i < 20; i++) {
            byte[] d = datagram(ENDPOINT_A, 0x11, i, GwlbWire.IPV4, i % 2 == 0, ipv4(a, b, 17, GwlbWire.udp(1000 + i, 53, "q")));
            check(exchange(i % 2, d, 100) == null, "stranger's datagram " + i + " unanswered");
        }
        String h = health();
        check(h.startsWith("HTTP/1.1 200 ") && h.contains("\"NOT_GWLB\":20") && h.contains("\"forwarded\":0")
                && h.contains("\"endpointCount\":0"), "health JSON counts 20 NOT_GWLB, nothing forwarded: "
                + h.substring(Math.max(0, h.indexOf('{'))));
    }

    private void pass() throws Exception {
        int a = ip(10, 0, 0, 1);
        int b = ip(10, 0, 0, 2);
        byte[][] valid = {
            datagram(ENDPOINT_A, 0x11, 0x01020304, GwlbWire.IPV4, true, ipv4(a, b, 6, GwlbWire.tcp(40000, 443, "hello"))),
            datagram(ENDPOINT_A, 0x11, 0x01020305, GwlbWire.IPV4, false, ipv4(a, b, 17, GwlbWire.udp(5353, 53, "query"))),
            datagram(ENDPOINT_B, 0x22, 0xf0000001, GwlbWire.IPV4, true, ipv4(b, a, 1, GwlbWire.echo(8, 7, 1))),
            datagram(ENDPOINT_B, 0x22, 0xf0000002, GwlbWire.IPV6, true, ipv6(ip6(1), ip6(2), 17, GwlbWire.udp(1234, 5678, "six"))),
            datagram(ENDPOINT_A, 0x11, 0xf0000003, GwlbWire.IPV6, false, ipv6(ip6(2), ip6(1), 6, GwlbWire.tcp(443, 50000, "v6tcp"))),
            datagram(ENDPOINT_B, 0x22, 0xf0000004, GwlbWire.IPV6, true, ipv6(ip6(2), ip6(1), 58, GwlbWire.echo(128, 9, 2))),
        };
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < valid.length; i++) {
                byte[] reply = exchange((i + round) % 2, valid[i], 3000);
                check(reply != null, "packet " + i + " answered");
                check(Arrays.equals(reply, valid[i]), "packet " + i + " answered byte for byte"
                        + (Arrays.equals(reply, valid[i]) ? "" : ": sent " + HexFormat.of().formatHex(valid[i])
                        + " got " + HexFormat.of().formatHex(reply)));
            }
        }
        byte[] inner = ipv4(a, b, 17, GwlbWire.udp(1, 2, "x"));
        check(exchange(0, GwlbWire.bare(inner), 300) == null, "no options: unanswered");
        check(exchange(1, GwlbWire.withoutCookie(ENDPOINT_A, inner), 300) == null, "no flow cookie: unanswered");
        String h = health();
        check(h.startsWith("HTTP/1.1 200 "), "health 200 (" + h.lines().findFirst().orElse("") + ")");
        check(h.contains("\"healthy\":true") && h.contains("\"forwarded\":12") && h.contains("\"MISSING_GWLB_OPTIONS\":2"),
                "health JSON counts 12 forwarded, 2 without options: " + h.substring(h.indexOf('{')));
        check(h.contains("\"endpointId\":\"2b8ee1d4db0c51c4\"") && h.contains("\"endpointId\":\"8000000000000abc\""),
                "flows of both endpoint IDs");
    }

    private void hook() throws Exception {
        int a = ip(10, 0, 0, 1);
        int b = ip(10, 0, 0, 2);
        byte[] telnet = datagram(ENDPOINT_A, 0x11, 5, GwlbWire.IPV4, true, ipv4(a, b, 6, GwlbWire.tcp(40001, 23, "login")));
        byte[] web = datagram(ENDPOINT_A, 0x11, 6, GwlbWire.IPV4, true, ipv4(a, b, 6, GwlbWire.tcp(40002, 80, "GET /")));
        byte[] dns = datagram(ENDPOINT_B, 0x22, 7, GwlbWire.IPV4, false, ipv4(a, b, 17, GwlbWire.udp(5353, 53, "q")));
        check(exchange(0, telnet, 500) == null, "the telnet flow is dropped by the hook");
        byte[] reply = exchange(1, web, 3000);
        check(reply != null && reply.length == web.length, "the web flow is answered");
        int inner = 48;
        check(Arrays.equals(Arrays.copyOf(reply, inner), Arrays.copyOf(web, inner)), "Geneve header as received");
        check((((reply[inner + 22] & 0xFF) << 8) | (reply[inner + 23] & 0xFF)) == 8080, "destination port rewritten to 8080");
        check(GwlbWire.ipv4ChecksumsValid(reply, inner), "IPv4 and TCP checksums fixed after the rewrite");
        check(Arrays.equals(exchange(0, dns, 3000), dns), "other flows pass byte for byte");
        check(health().startsWith("HTTP/1.1 200 "), "health 200 while every receive thread runs");
        exchange(0, datagram(ENDPOINT_B, 0x22, 8, GwlbWire.IPV4, false, ipv4(a, b, 17, GwlbWire.udp(1, 666, "boom"))), 300);
        String h = "";
        for (int i = 0; i < 50 && !h.startsWith("HTTP/1.1 503 "); i++) {
            Thread.sleep(100);
            h = health();
        }
        check(h.startsWith("HTTP/1.1 503 ") && h.contains("\"healthy\":false"), "health 503 once a receive thread died");
    }

    /**
     * Kernel-inspection mode: each packet comes back as the kernel forwarded it (TTL one less, header
     * checksum updated, nothing else changed), with the flow's Geneve header; the flow an iptables rule
     * drops gets nothing.
     */
    private void kernel() throws Exception {
        int a = ip(10, 0, 0, 1);
        int b = ip(10, 0, 0, 2);
        byte[][] valid = {
            datagram(ENDPOINT_A, 0x11, 0x01020304, GwlbWire.IPV4, true, ipv4(a, b, 6, GwlbWire.tcp(40000, 443, "hello"))),
            datagram(ENDPOINT_A, 0x11, 0x01020304, GwlbWire.IPV4, true, ipv4(b, a, 6, GwlbWire.tcp(443, 40000, "reply"))),
            datagram(ENDPOINT_A, 0x11, 0x01020305, GwlbWire.IPV4, false, ipv4(a, b, 17, GwlbWire.udp(5353, 53, "query"))),
            datagram(ENDPOINT_B, 0x22, 0xf0000001, GwlbWire.IPV4, true, ipv4(b, a, 1, GwlbWire.echo(8, 7, 1))),
        };
        for (int i = 0; i < valid.length; i++) {
            byte[] sent = valid[i];
            byte[] reply = exchange(i % 2, sent, 5000);
            check(reply != null && reply.length == sent.length, "packet " + i + " came back through the kernel");
            int inner = sent.length - (((sent[inner(sent) + 2] & 0xFF) << 8) | (sent[inner(sent) + 3] & 0xFF));
            check(Arrays.equals(Arrays.copyOf(reply, inner), Arrays.copyOf(sent, inner)), "packet " + i + ": its flow's Geneve header");
            check(reply[inner + 8] == sent[inner + 8] - 1, "packet " + i + ": TTL one less (forwarded by the kernel)");
            check(GwlbWire.ipv4ChecksumsValid(reply, inner), "packet " + i + ": checksums valid");
            byte[] r = reply.clone();
            r[inner + 8] = sent[inner + 8];
            r[inner + 10] = sent[inner + 10];
            r[inner + 11] = sent[inner + 11];
            check(Arrays.equals(r, sent), "packet " + i + ": otherwise byte for byte");
        }
        byte[] telnet = datagram(ENDPOINT_A, 0x11, 9, GwlbWire.IPV4, false, ipv4(a, b, 17, GwlbWire.udp(5000, 23, "blocked")));
        check(exchange(0, telnet, 1000) == null, "the flow iptables drops gets no reply");
        String h = health();
        check(h.startsWith("HTTP/1.1 200 ") && h.contains("\"toKernel\":5") && h.contains("\"fromKernel\":4")
                && h.contains("\"endpoints\":2,\"endpointFailures\":0,"), "health JSON: 5 to the kernel, 4 back, 2 device pairs: "
                + h.substring(h.indexOf('{')));
    }

    /** Where the inner packet starts: after the Geneve header. */
    private static int inner(byte[] d) {
        return 8 + (d[0] & 0x3F) * 4;
    }
}
