package io.github.geneve4j.linux.xdp;

import static io.github.geneve4j.linux.xdp.EbpfAssembler.Register.R0;
import static io.github.geneve4j.linux.xdp.EbpfAssembler.Register.R1;
import static io.github.geneve4j.linux.xdp.EbpfAssembler.Register.R2;
import static io.github.geneve4j.linux.xdp.EbpfAssembler.Register.R3;
import static io.github.geneve4j.linux.xdp.EbpfAssembler.Register.R4;
import static io.github.geneve4j.linux.xdp.EbpfAssembler.Register.R5;
import static io.github.geneve4j.linux.xdp.EbpfAssembler.Register.R6;

import io.github.geneve4j.linux.xdp.EbpfAssembler.Alu;
import io.github.geneve4j.linux.xdp.EbpfAssembler.Jump;
import io.github.geneve4j.linux.xdp.EbpfAssembler.Size;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The XDP program that steers one local IPv4 UDP address and port into XDP sockets, attached to a
 * device: an Ethernet frame carrying IPv4 (not a fragment) and UDP to that address and port goes to
 * the {@link XdpSocket} of the RX queue it arrived on ({@code bpf_redirect_map} into an XSKMAP);
 * everything else — ARP, ping, SSH, other ports, frames on a queue with no socket — passes to the
 * kernel as if no program were there.
 *
 * <pre>{@code
 * try (XdpProgram program = XdpProgram.attach("eth0", new InetSocketAddress("192.0.2.1", 6081), 1, XdpProgram.Mode.AUTO);
 *         XdpSocket socket = XdpSocket.open(program, 0, XdpSocket.Options.DEFAULT)) {
 *     // receive, reply in place, transmit
 * }
 * }</pre>
 *
 * <p>The program is written in Java as eBPF instructions, loaded with {@code bpf(2)} and attached
 * with a BPF link, so it is detached when {@link #close()} closes the link or when the process ends,
 * however it ends. Needs {@code CAP_BPF} and {@code CAP_NET_ADMIN} (root), and runs in the calling
 * thread's network namespace. Little-endian machines only (x86-64, aarch64): the program compares
 * network-order fields as the host loads them.
 */
public final class XdpProgram implements AutoCloseable {

    /** Where in the device's receive path the program runs. */
    public enum Mode {
        /** Native if the driver supports it, generic otherwise. */
        AUTO,
        /** Native XDP ({@code XDP_FLAGS_DRV_MODE}): in the driver, before the kernel builds an skb. */
        NATIVE,
        /** Generic XDP ({@code XDP_FLAGS_SKB_MODE}): after the skb is built; any device, slower. */
        GENERIC
    }

    /** {@code struct xdp_md}'s fields: packet start and end, and the RX queue. */
    private static final int XDP_MD_DATA = 0;
    private static final int XDP_MD_DATA_END = 4;
    private static final int XDP_MD_RX_QUEUE_INDEX = 16;
    private static final int ETHERNET = 14;
    private static final int IPV4_MIN = 20;
    private static final int UDP = 8;
    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int PROTOCOL_UDP = 17;

    private final String interfaceName;
    private final int interfaceIndex;
    private final int queues;
    private final Mode mode;
    private final int mapFd;
    private final int programFd;
    private final int linkFd;
    private final AtomicBoolean closed = new AtomicBoolean();

    private XdpProgram(String interfaceName, int interfaceIndex, int queues, Mode mode, int mapFd, int programFd,
            int linkFd) {
        this.interfaceName = interfaceName;
        this.interfaceIndex = interfaceIndex;
        this.queues = queues;
        this.mode = mode;
        this.mapFd = mapFd;
        this.programFd = programFd;
        this.linkFd = linkFd;
    }

    /**
     * Loads the program for {@code local} and attaches it to device {@code interfaceName} (in the
     * calling thread's network namespace).
     *
     * @param interfaceName the device, e.g. {@code "eth0"}
     * @param local the IPv4 address and UDP port whose datagrams go to the XDP sockets
     * @param queues how many RX queues may have a socket (queues {@code 0..queues-1})
     * @param mode native, generic, or native falling back to generic
     * @return the attached program; {@link #mode()} says which mode it got
     * @throws XdpException naming what is missing: privileges ({@code EPERM}), the device, a driver
     *         without native XDP (for {@link Mode#NATIVE}), another program already attached, or
     *         the verifier's refusal with its log
     * @throws IllegalArgumentException for an address that is not IPv4, or {@code queues} outside 1..4096
     */
    public static XdpProgram attach(String interfaceName, InetSocketAddress local, int queues, Mode mode)
            throws XdpException {
        if (!(local.getAddress() instanceof Inet4Address address)) {
            throw new IllegalArgumentException("found " + local + " (expected: an IPv4 address and port)");
        }
        if (queues < 1 || queues > 4096) {
            throw new IllegalArgumentException("found " + queues + " queues (expected: 1..4096)");
        }
        int ifindex = interfaceIndex(interfaceName);
        int map = -1;
        int program = -1;
        try {
            map = Bpf.createXskMap("g4j_xsks", queues);
            byte[] a = address.getAddress();
            int addressBits = (a[0] & 0xFF) << 24 | (a[1] & 0xFF) << 16 | (a[2] & 0xFF) << 8 | (a[3] & 0xFF);
            program = Bpf.loadXdp("g4j_xdp_udp", redirect(addressBits, local.getPort(), map));
            int link;
            Mode got;
            switch (mode) {
                case NATIVE -> {
                    link = Bpf.linkXdp(program, ifindex, Bpf.XDP_FLAGS_DRV_MODE);
                    got = Mode.NATIVE;
                }
                case GENERIC -> {
                    link = Bpf.linkXdp(program, ifindex, Bpf.XDP_FLAGS_SKB_MODE);
                    got = Mode.GENERIC;
                }
                default -> {
                    int tried;
                    try {
                        tried = Bpf.linkXdp(program, ifindex, Bpf.XDP_FLAGS_DRV_MODE);
                        got = Mode.NATIVE;
                    } catch (XdpException noNative) {
                        if (noNative.errno() != XdpCalls.EOPNOTSUPP && noNative.errno() != XdpCalls.EINVAL) {
                            throw noNative;
                        }
                        tried = Bpf.linkXdp(program, ifindex, Bpf.XDP_FLAGS_SKB_MODE);
                        got = Mode.GENERIC;
                    }
                    link = tried;
                }
            }
            return new XdpProgram(interfaceName, ifindex, queues, got, map, program, link);
        } catch (XdpException | RuntimeException | Error e) {
            XdpCalls.closeQuietly(program);
            XdpCalls.closeQuietly(map);
            throw e;
        }
    }

    /**
     * The program for one address and port, in eBPF: bounds checked against {@code data_end} before
     * every packet read, as the verifier demands.
     *
     * @param address the IPv4 address as a 32-bit number ({@code 192.0.2.1} is {@code 0xC0000201})
     * @param port the UDP port
     * @param mapFd the XSKMAP's descriptor
     */
    static long[] redirect(int address, int port, int mapFd) {
        if (port < 1 || port > 0xFFFF) {
            throw new IllegalArgumentException("found port " + port + " (expected: 1..65535)");
        }
        EbpfAssembler a = new EbpfAssembler();
        EbpfAssembler.Label pass = a.newLabel();
        a.mov64(R6, R1) // the context, kept across the call
                .ldx(Size.W, R2, R1, XDP_MD_DATA)
                .ldx(Size.W, R3, R1, XDP_MD_DATA_END)
                .mov64(R4, R2).alu64(Alu.ADD, R4, ETHERNET + IPV4_MIN)
                .jump(Jump.JGT, R4, R3, pass)
                // fields in network order as a little-endian load sees them
                .ldx(Size.H, R5, R2, 12)
                .jump(Jump.JNE, R5, Short.reverseBytes((short) ETHERTYPE_IPV4) & 0xFFFF, pass)
                .ldx(Size.B, R5, R2, ETHERNET)
                .mov64(R4, R5).alu64(Alu.AND, R4, 0xF0)
                .jump(Jump.JNE, R4, 0x40, pass) // version 4
                .alu64(Alu.AND, R5, 0x0F)
                .jump(Jump.JLT, R5, 5, pass) // IHL below 5 words is no IPv4 header
                .ldx(Size.B, R4, R2, ETHERNET + 9)
                .jump(Jump.JNE, R4, PROTOCOL_UDP, pass)
                // fragments (offset or more-fragments set) go to the kernel, which reassembles them
                .ldx(Size.H, R4, R2, ETHERNET + 6)
                .jump(Jump.JSET, R4, Short.reverseBytes((short) 0x3FFF) & 0xFFFF, pass)
                .ldx(Size.W, R4, R2, ETHERNET + 16)
                .jump32(Jump.JNE, R4, Integer.reverseBytes(address), pass) // 32-bit: the address may have its top bit set
                .alu64(Alu.LSH, R5, 2)
                .alu64(Alu.ADD, R2, R5) // R2 = data + IHL * 4: the UDP header is at R2 + 14
                .mov64(R4, R2).alu64(Alu.ADD, R4, ETHERNET + UDP)
                .jump(Jump.JGT, R4, R3, pass)
                .ldx(Size.H, R4, R2, ETHERNET + 2)
                .jump(Jump.JNE, R4, Short.reverseBytes((short) port) & 0xFFFF, pass)
                .ldx(Size.W, R2, R6, XDP_MD_RX_QUEUE_INDEX)
                .ldMapFd(R1, mapFd)
                .mov64(R3, Bpf.XDP_PASS) // the verdict when the queue has no socket
                .call(Bpf.FUNC_REDIRECT_MAP)
                .exit();
        a.bind(pass).mov64(R0, Bpf.XDP_PASS).exit();
        return a.assemble();
    }

    /** Puts the XDP socket {@code socketFd} in the map for RX queue {@code queue}. */
    void register(int queue, int socketFd) throws XdpException {
        if (queue < 0 || queue >= queues) {
            throw new IllegalArgumentException("found queue " + queue + " (expected: 0.." + (queues - 1) + ")");
        }
        if (closed.get()) {
            throw new IllegalStateException("the XDP program on " + interfaceName + " is closed");
        }
        Bpf.updateElement(mapFd, queue, socketFd);
    }

    /**
     * The device.
     *
     * @return its name
     */
    public String interfaceName() {
        return interfaceName;
    }

    /**
     * The device's index in the namespace the program was attached in.
     *
     * @return the interface index
     */
    public int interfaceIndex() {
        return interfaceIndex;
    }

    /**
     * How many RX queues may have a socket.
     *
     * @return the XSKMAP's size
     */
    public int queues() {
        return queues;
    }

    /**
     * The mode the program was attached in.
     *
     * @return {@link Mode#NATIVE} or {@link Mode#GENERIC}, never {@link Mode#AUTO}
     */
    public Mode mode() {
        return mode;
    }

    /** Detaches the program (closes its link) and releases the program and the map; idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            XdpCalls.closeQuietly(linkFd);
            XdpCalls.closeQuietly(programFd);
            XdpCalls.closeQuietly(mapFd);
        }
    }

    @Override
    public String toString() {
        return "XdpProgram[" + interfaceName + " (" + interfaceIndex + "), " + mode + ", " + queues + " queues]";
    }

    static int interfaceIndex(String name) throws XdpException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = XdpCalls.callState(arena);
            int index = (int) XdpCalls.IF_NAMETOINDEX.invokeExact(state, arena.allocateFrom(name));
            if (index == 0) {
                int errno = XdpCalls.errno(state);
                throw new XdpException("no device " + name + " in this network namespace: " + XdpCalls.describe(errno),
                        errno);
            }
            return index;
        } catch (XdpException e) {
            throw e;
        } catch (Throwable t) {
            throw XdpCalls.rethrow(t);
        }
    }
}
