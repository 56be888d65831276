package io.github.geneve4j.linux;

import static io.github.geneve4j.linux.ClassicBpf.BPF_ADD;
import static io.github.geneve4j.linux.ClassicBpf.BPF_B;
import static io.github.geneve4j.linux.ClassicBpf.BPF_H;
import static io.github.geneve4j.linux.ClassicBpf.BPF_JEQ;
import static io.github.geneve4j.linux.ClassicBpf.BPF_JSET;
import static io.github.geneve4j.linux.ClassicBpf.BPF_LSH;

import io.github.geneve4j.linux.ClassicBpf.Instruction;
import io.github.geneve4j.linux.ClassicBpf.Label;
import java.util.List;

/**
 * The classic BPF filter of a {@link PacketCapture}: lets through only UDP datagrams to one of a few
 * destination ports, in Ethernet frames, so that nothing else is copied to user space. Offsets count
 * from the Ethernet header, where an {@code AF_PACKET} {@code SOCK_RAW} socket's filter starts.
 *
 * <ul>
 *   <li>Ethernet type IPv4 or IPv6 at 12, or one 802.1Q/802.1ad tag there and the type at 16. (On
 *       receive Linux takes a tag out of the frame before the packet sockets see it, and most
 *       devices leave it out on send too; a tag still inline is one the device could not move.)</li>
 *   <li>IPv4: protocol 17, not a later fragment (fragment offset 0: a later one has no UDP header),
 *       the header's length from its IHL.</li>
 *   <li>IPv6: next header 17, or one hop-by-hop, routing or destination options header whose next
 *       header is 17 (one walked, as the common case; deeper chains are not followed, like
 *       tcpdump's {@code udp dst port}).</li>
 * </ul>
 *
 * <p>Each of the four places an IP header can start has its own block ending in its own
 * {@code ret}, so every conditional jump stays within its 255 instructions: with
 * {@link PacketCapture#MAX_PORTS} ports the furthest, from the Ethernet type to the last block, is
 * under 200.
 */
final class CaptureFilter {

    static final int ETHERTYPE_IPV4 = 0x0800;
    static final int ETHERTYPE_IPV6 = 0x86DD;
    static final int ETHERTYPE_8021Q = 0x8100;
    static final int ETHERTYPE_8021AD = 0x88A8;
    static final int PROTOCOL_UDP = 17;
    // IPv6 extension headers of the common "next header, length in 8-octet units less one" shape (RFC 8200 4.3-4.6)
    static final int IPV6_HOP_BY_HOP = 0;
    static final int IPV6_ROUTING = 43;
    static final int IPV6_DESTINATION_OPTIONS = 60;
    private static final int ETHERNET_TYPE = 12;
    private static final int ETHERNET_LENGTH = 14;
    private static final int TAG_LENGTH = 4;
    private static final int IPV4_FRAGMENT = 6;
    private static final int IPV4_PROTOCOL = 9;
    private static final int IPV4_FRAGMENT_OFFSET_MASK = 0x1FFF;
    private static final int IPV6_NEXT_HEADER = 6;
    private static final int IPV6_LENGTH = 40;
    private static final int UDP_DESTINATION_PORT = 2;

    private CaptureFilter() {
    }

    /**
     * The program accepting UDP to {@code ports} (whole frames: {@code ret #-1}, the socket's buffer
     * cuts what does not fit), dropping everything else ({@code ret #0}).
     */
    static List<Instruction> program(int[] ports) {
        ClassicBpf bpf = new ClassicBpf();
        Label tagged = new Label();
        Label ipv4 = new Label();
        Label ipv6 = new Label();
        Label taggedIpv4 = new Label();
        Label taggedIpv6 = new Label();
        bpf.load(BPF_H, ETHERNET_TYPE)
                .jump(BPF_JEQ, ETHERTYPE_8021Q, tagged, null)
                .jump(BPF_JEQ, ETHERTYPE_8021AD, tagged, null)
                .jump(BPF_JEQ, ETHERTYPE_IPV4, ipv4, null)
                .jump(BPF_JEQ, ETHERTYPE_IPV6, ipv6, null)
                .ret(0)
                .place(tagged).load(BPF_H, ETHERNET_TYPE + TAG_LENGTH)
                .jump(BPF_JEQ, ETHERTYPE_IPV4, taggedIpv4, null)
                .jump(BPF_JEQ, ETHERTYPE_IPV6, taggedIpv6, null)
                .ret(0);
        ipv4(bpf.place(ipv4), ETHERNET_LENGTH, ports);
        ipv6(bpf.place(ipv6), ETHERNET_LENGTH, ports);
        ipv4(bpf.place(taggedIpv4), ETHERNET_LENGTH + TAG_LENGTH, ports);
        ipv6(bpf.place(taggedIpv6), ETHERNET_LENGTH + TAG_LENGTH, ports);
        return bpf.assemble();
    }

    /** An IPv4 header at {@code ip}: UDP, first (or only) fragment, to a port. */
    private static void ipv4(ClassicBpf bpf, int ip, int[] ports) {
        Label drop = new Label();
        Label accept = new Label();
        bpf.load(BPF_B, ip + IPV4_PROTOCOL).jump(BPF_JEQ, PROTOCOL_UDP, null, drop)
                .load(BPF_H, ip + IPV4_FRAGMENT).jump(BPF_JSET, IPV4_FRAGMENT_OFFSET_MASK, drop, null)
                .loadHeaderLength(ip)
                .loadIndexed(BPF_H, ip + UDP_DESTINATION_PORT);
        ports(bpf, ports, accept, drop);
        bpf.place(drop).ret(0).place(accept).ret(-1);
    }

    /** An IPv6 header at {@code ip}: UDP next, or after one extension header, to a port. */
    private static void ipv6(ClassicBpf bpf, int ip, int[] ports) {
        Label drop = new Label();
        Label accept = new Label();
        Label extension = new Label();
        bpf.load(BPF_B, ip + IPV6_NEXT_HEADER)
                .jump(BPF_JEQ, IPV6_HOP_BY_HOP, extension, null)
                .jump(BPF_JEQ, IPV6_ROUTING, extension, null)
                .jump(BPF_JEQ, IPV6_DESTINATION_OPTIONS, extension, null)
                .jump(BPF_JEQ, PROTOCOL_UDP, null, drop)
                .load(BPF_H, ip + IPV6_LENGTH + UDP_DESTINATION_PORT);
        ports(bpf, ports, accept, drop);
        // the extension's first byte is its next header, its second its length in 8 octets not counting the first 8
        bpf.place(extension).load(BPF_B, ip + IPV6_LENGTH).jump(BPF_JEQ, PROTOCOL_UDP, null, drop)
                .load(BPF_B, ip + IPV6_LENGTH + 1).alu(BPF_ADD, 1).alu(BPF_LSH, 3).tax()
                .loadIndexed(BPF_H, ip + IPV6_LENGTH + UDP_DESTINATION_PORT);
        ports(bpf, ports, accept, drop);
        bpf.place(drop).ret(0).place(accept).ret(-1);
    }

    /** A = the destination port: to {@code accept} on one of {@code ports}, else to {@code drop}. */
    private static void ports(ClassicBpf bpf, int[] ports, Label accept, Label drop) {
        for (int i = 0; i < ports.length; i++) {
            bpf.jump(BPF_JEQ, ports[i], accept, i + 1 == ports.length ? drop : null);
        }
    }
}
