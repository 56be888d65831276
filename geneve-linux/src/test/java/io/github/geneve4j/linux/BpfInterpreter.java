package io.github.geneve4j.linux;

import static io.github.geneve4j.linux.ClassicBpf.SKF_NET_OFF;

import io.github.geneve4j.linux.ClassicBpf.Instruction;
import java.util.List;

/**
 * A classic BPF interpreter for tests, after the kernel's {@code bpf_check_classic} and its
 * interpreter: proves a program's checks (forward jumps inside the program, a {@code ret} last, at
 * most 4,096 instructions) and runs it on a packet, to show what it returns for addresses no
 * loopback socket can send from. Loads at {@code SKF_NET_OFF + n} read the IP header's byte n; other
 * loads read from the transport header on; a load outside the packet returns 0 (drop), as the
 * kernel's does.
 */
final class BpfInterpreter {

    private BpfInterpreter() {
    }

    /** The kernel's structural checks on a classic program; throws AssertionError naming the first broken one. */
    static void check(List<Instruction> program) {
        if (program.isEmpty() || program.size() > 4096) {
            throw new AssertionError("program of " + program.size() + " instructions (kernel: 1..4096)");
        }
        for (int pc = 0; pc < program.size(); pc++) {
            Instruction insn = program.get(pc);
            if ((insn.code() & 0x07) == 0x05) { // BPF_JMP
                long far = (insn.code() & 0xF0) == 0 ? pc + 1 + (insn.k() & 0xFFFF_FFFFL)
                        : pc + 1 + Math.max(insn.jt(), insn.jf());
                if (far >= program.size()) {
                    throw new AssertionError("instruction " + pc + " jumps past the end");
                }
                if (insn.jt() > 255 || insn.jf() > 255 || insn.jt() < 0 || insn.jf() < 0) {
                    throw new AssertionError("instruction " + pc + " has jt/jf outside a byte");
                }
            }
        }
        if ((program.getLast().code() & 0x07) != 0x06) {
            throw new AssertionError("the last instruction is no ret");
        }
    }

    /**
     * Runs {@code program} on {@code packet}, whose IP header is at 0 and transport header at
     * {@code transport}; returns what the program returns (0 drops).
     */
    static int run(List<Instruction> program, byte[] packet, int transport) {
        check(program);
        int a = 0;
        int x = 0;
        for (int pc = 0; ; pc++) {
            Instruction insn = program.get(pc);
            int code = insn.code();
            int k = insn.k();
            switch (code & 0x07) {
                case 0x00 -> { // BPF_LD
                    int size = switch (code & 0x18) {
                        case 0x00 -> 4;
                        case 0x08 -> 2;
                        case 0x10 -> 1;
                        default -> throw new AssertionError("load size " + code);
                    };
                    int at = switch (code & 0xE0) {
                        case 0x20 -> k;
                        case 0x40 -> x + k;
                        default -> throw new AssertionError("load mode " + code);
                    };
                    long v = load(packet, transport, at, size);
                    if (v < 0) {
                        return 0;
                    }
                    a = (int) v;
                }
                case 0x01 -> { // BPF_LDX
                    if ((code & 0xE0) != 0xa0 || (code & 0x18) != 0x10) {
                        throw new AssertionError("ldx mode " + code);
                    }
                    long v = load(packet, transport, k, 1);
                    if (v < 0) {
                        return 0;
                    }
                    x = 4 * ((int) v & 0xF);
                }
                case 0x04 -> { // BPF_ALU
                    int operand = (code & 0x08) != 0 ? x : k;
                    a = switch (code & 0xF0) {
                        case 0x00 -> a + operand;
                        case 0x10 -> a - operand;
                        case 0x20 -> a * operand;
                        case 0x30 -> operand == 0 ? 0 : Integer.divideUnsigned(a, operand);
                        case 0x40 -> a | operand;
                        case 0x50 -> a & operand;
                        case 0x60 -> a << operand;
                        case 0x70 -> a >>> operand;
                        case 0x80 -> -a;
                        case 0x90 -> operand == 0 ? 0 : Integer.remainderUnsigned(a, operand);
                        case 0xa0 -> a ^ operand;
                        default -> throw new AssertionError("alu " + code);
                    };
                }
                case 0x05 -> { // BPF_JMP
                    int operand = (code & 0x08) != 0 ? x : k;
                    if ((code & 0xF0) == 0x00) {
                        pc += k;
                        continue;
                    }
                    boolean taken = switch (code & 0xF0) {
                        case 0x10 -> a == operand;
                        case 0x20 -> Integer.compareUnsigned(a, operand) > 0;
                        case 0x30 -> Integer.compareUnsigned(a, operand) >= 0;
                        case 0x40 -> (a & operand) != 0;
                        default -> throw new AssertionError("jump " + code);
                    };
                    pc += taken ? insn.jt() : insn.jf();
                }
                case 0x06 -> { // BPF_RET
                    return (code & 0x18) == 0x10 ? a : k;
                }
                case 0x07 -> { // BPF_MISC: txa, tax
                    if ((code & 0xF8) == 0x80) {
                        a = x;
                    } else {
                        x = a;
                    }
                }
                default -> throw new AssertionError("class " + code);
            }
        }
    }

    /** Big-endian bytes at a load offset, or -1 outside the packet. */
    private static long load(byte[] packet, int transport, int at, int size) {
        int start = at >= SKF_NET_OFF && at < 0 ? at - SKF_NET_OFF : at < 0 ? -1 : transport + at;
        if (start < 0 || start + size > packet.length) {
            return -1;
        }
        long v = 0;
        for (int i = 0; i < size; i++) {
            v = (v << 8) | (packet[start + i] & 0xFF);
        }
        return v;
    }

    /** An IPv4 (IHL 5) or IPv6 packet with a UDP header from {@code source}, source port {@code port}. */
    static byte[] udp(byte[] source, int port) {
        boolean v6 = source.length == 16;
        int ip = v6 ? 40 : 20;
        byte[] p = new byte[ip + 8 + 4];
        p[0] = (byte) (v6 ? 0x60 : 0x45);
        System.arraycopy(source, 0, p, v6 ? 8 : 12, source.length);
        p[ip] = (byte) (port >>> 8);
        p[ip + 1] = (byte) port;
        return p;
    }
}
