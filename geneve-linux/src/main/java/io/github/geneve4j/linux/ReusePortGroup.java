package io.github.geneve4j.linux;

import static io.github.geneve4j.linux.ClassicBpf.BPF_B;
import static io.github.geneve4j.linux.ClassicBpf.BPF_H;
import static io.github.geneve4j.linux.ClassicBpf.BPF_JEQ;
import static io.github.geneve4j.linux.ClassicBpf.BPF_MOD;
import static io.github.geneve4j.linux.ClassicBpf.BPF_RSH;
import static io.github.geneve4j.linux.ClassicBpf.SKF_NET_OFF;

import io.github.geneve4j.linux.ClassicBpf.Instruction;
import io.github.geneve4j.linux.ClassicBpf.Label;
import io.github.geneve4j.linux.LinuxSocket.Bound;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The sockets of {@link UdpSocket#openGroup}: receiving sockets in one {@code SO_REUSEPORT} group,
 * steered by source port, and a sending socket for each on a port of its index.
 */
final class ReusePortGroup {

    private static final int DYNAMIC_PORTS = 49152;

    private ReusePortGroup() {
    }

    /** {@code count} (2..64) sockets as {@link UdpSocket#openGroup} describes; closes what it opened if a step fails. */
    static List<UdpSocket> open(InetSocketAddress local, int family, int bufferBytes, int count) throws IOException {
        List<Integer> fds = new ArrayList<>();
        try {
            int[] receive = new int[count];
            boolean[] gro = new boolean[count];
            InetSocketAddress at = local;
            for (int i = 0; i < count; i++) {
                Bound b = LinuxSocket.openUdp(at, family, bufferBytes, true, true);
                fds.add(b.fd());
                receive[i] = b.fd();
                gro[i] = b.gro();
                at = new InetSocketAddress(local.getAddress(), b.port()); // port 0: the rest take the first's
            }
            LinuxSocket.attach(receive[0], LinuxSocket.SO_ATTACH_REUSEPORT_CBPF, steeringProgram(count),
                    "SO_ATTACH_REUSEPORT_CBPF");
            int[][] send = sendSockets(local, family, bufferBytes, count, fds);
            List<UdpSocket> group = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                group.add(new UdpSocket(receive[i], send[0][i], send[1][i], family, gro[i], at));
            }
            return List.copyOf(group);
        } catch (IOException | RuntimeException | Error e) {
            fds.forEach(Libc::closeQuietly);
            throw e;
        }
    }

    /**
     * Socket {@code i}'s sending socket, bound to {@code local}'s IP address and a port that is
     * {@code i} mod {@code count}: {@code count} consecutive ports from a random multiple of it in the
     * dynamic range, another run where one is taken. Each drops whatever is sent to it. Returns the
     * descriptors and their ports.
     */
    private static int[][] sendSockets(InetSocketAddress local, int family, int bufferBytes, int count, List<Integer> fds)
            throws IOException {
        int runs = (65_536 - DYNAMIC_PORTS) / count;
        int first = ThreadLocalRandom.current().nextInt(runs);
        List<Instruction> dropAll = new ClassicBpf().ret(0).assemble();
        BindException last = null;
        for (int attempt = 0; attempt < 64; attempt++) {
            int base = ((DYNAMIC_PORTS + count - 1) / count + (first + attempt) % runs) * count;
            if (base + count > 65_536) {
                continue;
            }
            int[] send = new int[count];
            int opened = 0;
            try {
                while (opened < count) {
                    send[opened] = LinuxSocket.openUdp(new InetSocketAddress(local.getAddress(), base + opened), family,
                            bufferBytes, false, false).fd();
                    opened++; // a failed bind closed its own socket; from here this one is ours to close
                    LinuxSocket.attach(send[opened - 1], LinuxSocket.SO_ATTACH_FILTER, dropAll, "SO_ATTACH_FILTER");
                }
            } catch (IOException | RuntimeException | Error e) {
                // this run's sockets are not in fds yet: close them here
                for (int i = 0; i < opened; i++) {
                    Libc.closeQuietly(send[i]);
                }
                if (!(e instanceof BindException taken)) {
                    throw e;
                }
                last = taken;
                continue;
            }
            for (int fd : send) {
                fds.add(fd);
            }
            int[] ports = new int[count];
            Arrays.setAll(ports, i -> base + i);
            return new int[][] {send, ports};
        }
        throw new BindException("no run of " + count + " free UDP ports on " + local.getAddress().getHostAddress()
                + " for the group's sending sockets (last: " + (last == null ? "none free" : last.getMessage()) + ")");
    }

    /**
     * The group's steering: socket number (UDP source port mod {@code count}). The program sees the
     * datagram from its UDP payload on; the IP header is at {@code SKF_NET_OFF}: IPv6 (version 6)
     * has the UDP header 40 bytes in, IPv4 after its IHL words (an IPv4-mapped datagram on a
     * dual-stack socket is IPv4 on the wire).
     */
    static List<Instruction> steeringProgram(int count) {
        Label ipv6 = new Label();
        Label pick = new Label();
        return new ClassicBpf()
                .load(BPF_B, SKF_NET_OFF)                    // version and IHL
                .alu(BPF_RSH, 4)
                .jump(BPF_JEQ, 6, ipv6, null)
                .loadHeaderLength(SKF_NET_OFF)               // X = IPv4 header length
                .loadIndexed(BPF_H, SKF_NET_OFF)             // IPv4 source port
                .jumpTo(pick)
                .place(ipv6).load(BPF_H, SKF_NET_OFF + 40)   // IPv6 source port
                .place(pick).alu(BPF_MOD, count)
                .retA()
                .assemble();
    }
}
