package io.github.geneve4j.linux;

import java.util.ArrayList;
import java.util.List;

/**
 * A small classic BPF assembler ({@code struct sock_filter} programs for {@code SO_ATTACH_FILTER} and
 * {@code SO_ATTACH_REUSEPORT_CBPF}): instructions by their named parts, jumps to {@link Label}s
 * resolved to the {@code jt}/{@code jf} offsets the kernel reads.
 *
 * <pre>{@code
 * ClassicBpf bpf = new ClassicBpf();
 * Label accept = new Label();
 * bpf.load(BPF_W, SKF_NET_OFF + 12).jump(BPF_JEQ, 0x7F000001, accept, null).ret(0).place(accept).ret(-1);
 * List<Instruction> program = bpf.assemble();
 * }</pre>
 *
 * <p>The numbers are the kernel's ({@code include/uapi/linux/bpf_common.h} and
 * {@code linux/filter.h}); an opcode is the OR of a class, a size or operation, a mode or source.
 * Classic BPF jumps only forward: a conditional jump's offsets are 8 bits (at most 255 instructions
 * ahead), {@code BPF_JA}'s is 32 bits, so a program that must reach further puts a {@code BPF_JA}
 * (a trampoline) within reach; {@link #assemble()} refuses a conditional jump that does not reach
 * rather than cut its offset.
 */
final class ClassicBpf {

    // instruction classes (bpf_common.h)
    static final int BPF_LD = 0x00;
    static final int BPF_LDX = 0x01;
    static final int BPF_ALU = 0x04;
    static final int BPF_JMP = 0x05;
    static final int BPF_RET = 0x06;
    static final int BPF_MISC = 0x07;
    // load sizes
    static final int BPF_W = 0x00;
    static final int BPF_H = 0x08;
    static final int BPF_B = 0x10;
    // load modes
    static final int BPF_IMM = 0x00;
    static final int BPF_ABS = 0x20;
    static final int BPF_IND = 0x40;
    static final int BPF_MEM = 0x60;
    static final int BPF_LEN = 0x80;
    static final int BPF_MSH = 0xa0;
    // ALU operations
    static final int BPF_ADD = 0x00;
    static final int BPF_SUB = 0x10;
    static final int BPF_MUL = 0x20;
    static final int BPF_DIV = 0x30;
    static final int BPF_OR = 0x40;
    static final int BPF_AND = 0x50;
    static final int BPF_LSH = 0x60;
    static final int BPF_RSH = 0x70;
    static final int BPF_NEG = 0x80;
    static final int BPF_MOD = 0x90;
    static final int BPF_XOR = 0xa0;
    // jumps (comparisons are unsigned 32-bit)
    static final int BPF_JA = 0x00;
    static final int BPF_JEQ = 0x10;
    static final int BPF_JGT = 0x20;
    static final int BPF_JGE = 0x30;
    static final int BPF_JSET = 0x40;
    // operand sources
    static final int BPF_K = 0x00;
    static final int BPF_X = 0x08;
    /** {@code BPF_RET | BPF_A}: return the accumulator. */
    static final int BPF_A = 0x10;
    static final int BPF_TAX = 0x00;
    static final int BPF_TXA = 0x80;
    /** The kernel's longest classic program ({@code linux/bpf_common.h}). */
    static final int BPF_MAXINSNS = 4096;
    /** {@code SKF_NET_OFF}: negative offsets from it reach the network header (linux/filter.h). */
    static final int SKF_NET_OFF = -0x100000;
    /** The furthest a conditional jump reaches: {@code jt} and {@code jf} are 8 bits. */
    static final int REACH = 255;

    /** One {@code struct sock_filter}: {@code code} (u16), {@code jt}, {@code jf} (u8), {@code k} (u32). */
    record Instruction(int code, int jt, int jf, int k) {
    }

    /** A place in the program, jumped to before or after it is {@link #place placed}. */
    static final class Label {
        private int at = -1;
    }

    /** An instruction whose jump targets are labels until {@link #assemble}; a null label is the next instruction. */
    private record Pending(int code, Label jt, Label jf, int k) {
    }

    private final List<Pending> program = new ArrayList<>();

    /** Instructions so far. */
    int size() {
        return program.size();
    }

    private ClassicBpf add(int code, Label jt, Label jf, int k) {
        program.add(new Pending(code, jt, jf, k));
        return this;
    }

    /** {@code ld{size} [k]}: loads the packet's bytes at {@code k} into A ({@code BPF_LD | size | BPF_ABS}). */
    ClassicBpf load(int size, int k) {
        return add(BPF_LD | size | BPF_ABS, null, null, k);
    }

    /** {@code ld{size} [x + k]}: loads the packet's bytes at X + {@code k} into A ({@code BPF_LD | size | BPF_IND}). */
    ClassicBpf loadIndexed(int size, int k) {
        return add(BPF_LD | size | BPF_IND, null, null, k);
    }

    /** {@code ldxb 4*([k]&0xf)}: X = an IPv4 header's length from its IHL ({@code BPF_LDX | BPF_B | BPF_MSH}). */
    ClassicBpf loadHeaderLength(int k) {
        return add(BPF_LDX | BPF_B | BPF_MSH, null, null, k);
    }

    /** A = A {@code operation} {@code k} ({@code BPF_ALU | operation | BPF_K}). */
    ClassicBpf alu(int operation, int k) {
        return add(BPF_ALU | operation | BPF_K, null, null, k);
    }

    /**
     * {@code j{operation} #k}: to {@code whenTrue} if A compares true to {@code k}, else to
     * {@code whenFalse} ({@code BPF_JMP | operation | BPF_K}); null for the next instruction.
     */
    ClassicBpf jump(int operation, int k, Label whenTrue, Label whenFalse) {
        if (operation == BPF_JA) {
            throw new IllegalArgumentException("found BPF_JA (expected: a conditional jump; see jumpTo)");
        }
        return add(BPF_JMP | operation | BPF_K, whenTrue, whenFalse, k);
    }

    /** {@code ja}: always to {@code target}, however far ({@code BPF_JMP | BPF_JA}, 32-bit offset). */
    ClassicBpf jumpTo(Label target) {
        return add(BPF_JMP | BPF_JA, target, null, 0);
    }

    /** {@code ret #k}: accept {@code k} bytes of the packet (0 drops it, -1 all of it). */
    ClassicBpf ret(int k) {
        return add(BPF_RET | BPF_K, null, null, k);
    }

    /** {@code ret a}: return the accumulator ({@code BPF_RET | BPF_A}). */
    ClassicBpf retA() {
        return add(BPF_RET | BPF_A, null, null, 0);
    }

    /** Places {@code label} at the next instruction. */
    ClassicBpf place(Label label) {
        if (label.at >= 0) {
            throw new IllegalStateException("label placed twice (at " + label.at + " and " + program.size() + ")");
        }
        label.at = program.size();
        return this;
    }

    /**
     * The program with its labels resolved.
     *
     * @throws IllegalStateException for a jump to a label not placed or behind it, a conditional
     *     jump further than {@link #REACH}, or a program past {@link #BPF_MAXINSNS}
     */
    List<Instruction> assemble() {
        if (program.size() > BPF_MAXINSNS) {
            throw new IllegalStateException("found a program of " + program.size() + " instructions (expected: at most "
                    + BPF_MAXINSNS + ")");
        }
        List<Instruction> out = new ArrayList<>(program.size());
        for (int i = 0; i < program.size(); i++) {
            Pending p = program.get(i);
            if (p.code == (BPF_JMP | BPF_JA)) {
                out.add(new Instruction(p.code, 0, 0, offset(i, p.jt, Integer.MAX_VALUE)));
            } else {
                out.add(new Instruction(p.code, offset(i, p.jt, REACH), offset(i, p.jf, REACH), p.k));
            }
        }
        return List.copyOf(out);
    }

    private static int offset(int from, Label to, int reach) {
        if (to == null) {
            return 0;
        }
        if (to.at < 0) {
            throw new IllegalStateException("instruction " + from + " jumps to a label never placed");
        }
        int offset = to.at - (from + 1);
        if (offset < 0 || offset > reach) {
            throw new IllegalStateException("instruction " + from + " jumps " + offset + " instructions (expected: 0.."
                    + reach + ")");
        }
        return offset;
    }
}
