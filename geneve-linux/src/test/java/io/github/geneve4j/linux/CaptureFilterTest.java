package io.github.geneve4j.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.linux.ClassicBpf.Instruction;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The capture's classic BPF filter, run in the test interpreter on Ethernet frames built here (the
 * filter's offsets count from the Ethernet header, as on an {@code AF_PACKET} socket): Geneve to the
 * ports passes, whatever else is dropped in the kernel.
 */
class CaptureFilterTest {

    private static final List<Instruction> GENEVE = CaptureFilter.program(new int[] {6081});
    private static final byte[] GENEVE_HEADER = {0, 0, 0x65, 0x58, 0, 0, 1, 0};

    @Test
    void acceptsUdpToTheGenevePortOverIpv4AndIpv6() {
        assertThat(run(GENEVE, ethernet(0x0800, ipv4(17, 5, 0, udp(40000, 6081))))).isNotZero();
        assertThat(run(GENEVE, ethernet(0x86DD, ipv6(17, udp(40000, 6081))))).isNotZero();
    }

    @Test
    void acceptsWholeFrames() {
        assertThat(run(GENEVE, ethernet(0x0800, ipv4(17, 5, 0, udp(40000, 6081))))).isEqualTo(-1);
    }

    @Test
    void refusesOtherUdpPortsAndTheGenevePortAsSource() {
        assertThat(run(GENEVE, ethernet(0x0800, ipv4(17, 5, 0, udp(40000, 6082))))).isZero();
        assertThat(run(GENEVE, ethernet(0x0800, ipv4(17, 5, 0, udp(6081, 53))))).isZero();
        assertThat(run(GENEVE, ethernet(0x86DD, ipv6(17, udp(6081, 4789))))).isZero();
    }

    @Test
    void refusesTcpIcmpAndArp() {
        assertThat(run(GENEVE, ethernet(0x0800, ipv4(6, 5, 0, udp(40000, 6081))))).as("TCP to 6081").isZero();
        assertThat(run(GENEVE, ethernet(0x86DD, ipv6(6, udp(40000, 6081))))).as("TCP over IPv6").isZero();
        assertThat(run(GENEVE, ethernet(0x0800, ipv4(1, 5, 0, new byte[16])))).as("ICMP").isZero();
        assertThat(run(GENEVE, ethernet(0x86DD, ipv6(58, new byte[16])))).as("ICMPv6").isZero();
        byte[] arp = new byte[28];
        arp[1] = 1; // Ethernet
        arp[2] = 0x08; // IPv4
        arp[4] = 6;
        arp[5] = 4;
        arp[7] = 1; // request
        assertThat(run(GENEVE, ethernet(0x0806, arp))).as("ARP").isZero();
    }

    @Test
    void readsThePortPastIpv4Options() {
        // IHL 6: the UDP header starts 24 bytes in; at 20 lies an option word holding "6081" at its port's place
        byte[] withOptions = ipv4(17, 6, 0, udp(40000, 6081));
        assertThat(run(GENEVE, ethernet(0x0800, withOptions))).isNotZero();
        byte[] decoy = ipv4(17, 6, 0, udp(40000, 53));
        decoy[22] = (byte) (6081 >>> 8);
        decoy[23] = (byte) 6081;
        assertThat(run(GENEVE, ethernet(0x0800, decoy))).isZero();
    }

    @Test
    void refusesLaterFragmentsButNotTheFirst() {
        assertThat(run(GENEVE, ethernet(0x0800, ipv4(17, 5, 0x2000, udp(40000, 6081))))).as("first, MF set").isNotZero();
        assertThat(run(GENEVE, ethernet(0x0800, ipv4(17, 5, 185, udp(40000, 6081))))).as("offset 1480").isZero();
    }

    @Test
    void walksOneIpv6ExtensionHeader() {
        for (int extension : new int[] {0, 43, 60}) {
            assertThat(run(GENEVE, ethernet(0x86DD, ipv6(extension, extension(17, 1, udp(40000, 6081))))))
                    .as("extension %d, 16 bytes", extension).isNotZero();
            assertThat(run(GENEVE, ethernet(0x86DD, ipv6(extension, extension(17, 0, udp(40000, 6081))))))
                    .as("extension %d, 8 bytes", extension).isNotZero();
            assertThat(run(GENEVE, ethernet(0x86DD, ipv6(extension, extension(6, 0, udp(40000, 6081))))))
                    .as("extension %d, then TCP", extension).isZero();
            assertThat(run(GENEVE, ethernet(0x86DD, ipv6(extension, extension(17, 1, udp(40000, 6082))))))
                    .as("extension %d, then another port", extension).isZero();
        }
        // a fragment header (44) is not walked: its UDP header may be in another fragment anyway
        assertThat(run(GENEVE, ethernet(0x86DD, ipv6(44, extension(17, 0, udp(40000, 6081)))))).isZero();
    }

    @Test
    void acceptsOneVlanTagInline() {
        for (int tpid : new int[] {0x8100, 0x88A8}) {
            assertThat(run(GENEVE, tagged(tpid, 0x0800, ipv4(17, 5, 0, udp(40000, 6081))))).isNotZero();
            assertThat(run(GENEVE, tagged(tpid, 0x86DD, ipv6(17, udp(40000, 6081))))).isNotZero();
            assertThat(run(GENEVE, tagged(tpid, 0x0800, ipv4(17, 5, 0, udp(40000, 6082))))).isZero();
            assertThat(run(GENEVE, tagged(tpid, 0x0806, new byte[28]))).isZero();
        }
    }

    @Test
    void matchesEveryPortGivenAndNoOther() {
        int[] ports = IntStream.range(0, PacketCapture.MAX_PORTS).map(i -> 6081 + 7 * i).toArray();
        List<Instruction> program = CaptureFilter.program(ports);
        for (int port = 6070; port < 6081 + 7 * PacketCapture.MAX_PORTS + 10; port++) {
            boolean given = port >= 6081 && (port - 6081) % 7 == 0 && port < 6081 + 7 * PacketCapture.MAX_PORTS;
            int v4 = run(program, ethernet(0x0800, ipv4(17, 5, 0, udp(1, port))));
            int v6 = run(program, tagged(0x8100, 0x86DD, ipv6(60, extension(17, 2, udp(1, port)))));
            assertThat(v4 != 0).as("IPv4 port %d", port).isEqualTo(given);
            assertThat(v6 != 0).as("tagged IPv6 after an extension, port %d", port).isEqualTo(given);
        }
    }

    @Test
    void dropsFramesCutShortBeforeThePort() {
        byte[] frame = ethernet(0x0800, ipv4(17, 5, 0, udp(40000, 6081)));
        for (int length = 0; length < 14 + 20 + 4; length++) {
            assertThat(run(GENEVE, java.util.Arrays.copyOf(frame, length))).as("%d bytes", length).isZero();
        }
    }

    @Test
    void maxPortsFitTheJumpsReach() {
        int[] ports = IntStream.range(0, PacketCapture.MAX_PORTS).toArray();
        List<Instruction> program = CaptureFilter.program(ports);
        BpfInterpreter.check(program);
        assertThat(program.size()).isLessThan(ClassicBpf.BPF_MAXINSNS);
        int[] tooMany = IntStream.range(0, 4 * PacketCapture.MAX_PORTS).toArray();
        assertThatThrownBy(() -> CaptureFilter.program(tooMany)).isInstanceOf(IllegalStateException.class);
    }

    static int run(List<Instruction> program, byte[] frame) {
        return BpfInterpreter.run(program, frame, 0); // loads count from the frame's first byte
    }

    static byte[] ethernet(int type, byte[] payload) {
        return ByteBuffer.allocate(14 + payload.length).put(new byte[] {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1})
                .putShort((short) type).put(payload).array();
    }

    static byte[] tagged(int tpid, int type, byte[] payload) {
        return ByteBuffer.allocate(18 + payload.length).put(new byte[] {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1})
                .putShort((short) tpid).putShort((short) 100).putShort((short) type).put(payload).array();
    }

    /** IPv4 with {@code ihl} words of header (options zero), flags and fragment offset {@code fragment}. */
    static byte[] ipv4(int protocol, int ihl, int fragment, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(4 * ihl + payload.length);
        b.put((byte) (0x40 | ihl)).put((byte) 0).putShort((short) (4 * ihl + payload.length)).putInt(fragment)
                .put((byte) 64).put((byte) protocol).putShort((short) 0)
                .put(new byte[] {10, 0, 0, 1, 10, 0, 0, 2});
        return b.put(4 * ihl, payload).array();
    }

    static byte[] ipv6(int next, byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(40 + payload.length);
        b.putInt(0x6000_0000).putShort((short) payload.length).put((byte) next).put((byte) 64);
        b.put(new byte[] {(byte) 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
        b.put(new byte[] {(byte) 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2});
        return b.put(payload).array();
    }

    /** An IPv6 extension header of {@code 8 * (units + 1)} bytes, then {@code payload}. */
    static byte[] extension(int next, int units, byte[] payload) {
        int length = 8 * (units + 1);
        ByteBuffer b = ByteBuffer.allocate(length + payload.length);
        b.put((byte) next).put((byte) units);
        return b.put(length, payload).array();
    }

    static byte[] udp(int source, int destination) {
        return ByteBuffer.allocate(8 + GENEVE_HEADER.length).putShort((short) source).putShort((short) destination)
                .putShort((short) (8 + GENEVE_HEADER.length)).putShort((short) 0).put(GENEVE_HEADER).array();
    }
}
