package io.github.geneve4j.linux.xdp;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An assembler for eBPF, the instruction set the kernel's verifier and JIT take
 * ({@code Documentation/bpf/standardization/instruction-set.rst}): named instructions in, the
 * 8-byte encoding out, jumps to labels resolved to the documented relative offsets.
 *
 * <p>Each instruction is {@code opcode:8 dst_reg:4 src_reg:4 offset:16 imm:32} with the register
 * nibbles as a little-endian kernel stores them (dst in the low nibble), offset and immediate
 * little-endian: the encoding on x86-64 and aarch64, the machines this module runs on. The
 * opcode's low three bits are the class; ALU and JMP opcodes add the operation (high four bits)
 * and the source bit ({@code K} = immediate, {@code X} = register); loads and stores add the size
 * and the mode. {@code LD_IMM64} is the one wide instruction: two slots, the second holding the
 * immediate's high half.
 *
 * <pre>{@code
 * EbpfAssembler a = new EbpfAssembler();
 * EbpfAssembler.Label pass = a.newLabel();
 * a.ldx(Size.W, R2, R1, 0).jump(Jump.JEQ, R2, 0, pass).mov64(R0, 1).exit();
 * a.bind(pass).mov64(R0, 2).exit();
 * long[] program = a.assemble();
 * }</pre>
 */
final class EbpfAssembler {

    /** The eleven registers: R0 result, R1–R5 arguments (clobbered by calls), R6–R9 kept, R10 frame pointer. */
    enum Register {
        R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10;

        int number() {
            return ordinal();
        }
    }

    /** Instruction classes (the opcode's low three bits). */
    static final int LD = 0x00;
    static final int LDX = 0x01;
    static final int ST = 0x02;
    static final int STX = 0x03;
    static final int ALU = 0x04;
    static final int JMP = 0x05;
    static final int JMP32 = 0x06;
    static final int ALU64 = 0x07;

    /** Source bit: immediate ({@code K}) or register ({@code X}). */
    static final int K = 0x00;
    static final int X = 0x08;

    /** Memory modes. */
    static final int MODE_IMM = 0x00;
    static final int MODE_MEM = 0x60;

    /** {@code src_reg} of an {@code LD_IMM64} whose immediate is a map's file descriptor. */
    static final int PSEUDO_MAP_FD = 1;

    /** Arithmetic operations (the opcode's high four bits). */
    enum Alu {
        ADD(0x00), SUB(0x10), MUL(0x20), DIV(0x30), OR(0x40), AND(0x50), LSH(0x60), RSH(0x70),
        NEG(0x80), MOD(0x90), XOR(0xa0), MOV(0xb0), ARSH(0xc0), END(0xd0);

        final int code;

        Alu(int code) {
            this.code = code;
        }
    }

    /** Conditional jumps (the opcode's high four bits); {@code JA}, {@code CALL} and {@code EXIT} have their own methods. */
    enum Jump {
        JEQ(0x10), JGT(0x20), JGE(0x30), JSET(0x40), JNE(0x50), JSGT(0x60), JSGE(0x70),
        JLT(0xa0), JLE(0xb0), JSLT(0xc0), JSLE(0xd0);

        final int code;

        Jump(int code) {
            this.code = code;
        }
    }

    /** Load and store sizes. */
    enum Size {
        W(0x00, 4), H(0x08, 2), B(0x10, 1), DW(0x18, 8);

        final int code;
        final int bytes;

        Size(int code, int bytes) {
            this.code = code;
            this.bytes = bytes;
        }
    }

    private static final int JA = 0x00;
    private static final int CALL = 0x80;
    private static final int EXIT = 0x90;

    /** A jump target: {@link #newLabel()}, then {@link #bind(Label)} where it points. */
    static final class Label {
        private int at = -1;
    }

    private record Fixup(int slot, Label label) {
    }

    private long[] slots = new long[32];
    private int count;
    private final List<Fixup> fixups = new ArrayList<>();

    /** A new, unbound label. */
    Label newLabel() {
        return new Label();
    }

    /** Binds {@code label} to the next instruction. */
    EbpfAssembler bind(Label label) {
        if (label.at >= 0) {
            throw new IllegalStateException("label bound twice (at " + label.at + " and " + count + ")");
        }
        label.at = count;
        return this;
    }

    /** {@code dst = imm} (64-bit, imm sign-extended). */
    EbpfAssembler mov64(Register dst, int imm) {
        return alu64(Alu.MOV, dst, imm);
    }

    /** {@code dst = src} (64-bit). */
    EbpfAssembler mov64(Register dst, Register src) {
        return alu64(Alu.MOV, dst, src);
    }

    /** {@code dst = dst op imm} on 64 bits. */
    EbpfAssembler alu64(Alu op, Register dst, int imm) {
        return emit(ALU64 | op.code | K, dst.number(), 0, 0, imm);
    }

    /** {@code dst = dst op src} on 64 bits. */
    EbpfAssembler alu64(Alu op, Register dst, Register src) {
        return emit(ALU64 | op.code | X, dst.number(), src.number(), 0, 0);
    }

    /** {@code dst = (u32) (dst op imm)}: 32-bit arithmetic, the upper half zeroed. */
    EbpfAssembler alu32(Alu op, Register dst, int imm) {
        return emit(ALU | op.code | K, dst.number(), 0, 0, imm);
    }

    /** {@code dst = (u32) (dst op src)}. */
    EbpfAssembler alu32(Alu op, Register dst, Register src) {
        return emit(ALU | op.code | X, dst.number(), src.number(), 0, 0);
    }

    /** Byte swap to big-endian ({@code BPF_END | BPF_TO_BE}) of the low {@code bits} (16, 32 or 64). */
    EbpfAssembler toBigEndian(Register dst, int bits) {
        checkSwapWidth(bits);
        return emit(ALU | Alu.END.code | X, dst.number(), 0, 0, bits);
    }

    /** Truncation to the low {@code bits} in little-endian order ({@code BPF_END | BPF_TO_LE}; no swap on a little-endian host). */
    EbpfAssembler toLittleEndian(Register dst, int bits) {
        checkSwapWidth(bits);
        return emit(ALU | Alu.END.code | K, dst.number(), 0, 0, bits);
    }

    /** {@code dst = *(size *) (src + offset)}. */
    EbpfAssembler ldx(Size size, Register dst, Register src, int offset) {
        return emit(LDX | MODE_MEM | size.code, dst.number(), src.number(), offset, 0);
    }

    /** {@code *(size *) (dst + offset) = src}. */
    EbpfAssembler stx(Size size, Register dst, int offset, Register src) {
        return emit(STX | MODE_MEM | size.code, dst.number(), src.number(), offset, 0);
    }

    /** {@code *(size *) (dst + offset) = imm}. */
    EbpfAssembler st(Size size, Register dst, int offset, int imm) {
        return emit(ST | MODE_MEM | size.code, dst.number(), 0, offset, imm);
    }

    /** {@code dst = imm64}: the wide instruction, two slots. */
    EbpfAssembler ldImm64(Register dst, long imm) {
        emit(LD | MODE_IMM | Size.DW.code, dst.number(), 0, 0, (int) imm);
        return emit(0, 0, 0, 0, (int) (imm >>> 32));
    }

    /** {@code dst = map} named by its file descriptor ({@code src_reg = BPF_PSEUDO_MAP_FD}); the kernel puts the map's address there. */
    EbpfAssembler ldMapFd(Register dst, int mapFd) {
        emit(LD | MODE_IMM | Size.DW.code, dst.number(), PSEUDO_MAP_FD, 0, mapFd);
        return emit(0, 0, 0, 0, 0);
    }

    /** {@code if (dst op imm) goto label}, comparing 64 bits with imm sign-extended. */
    EbpfAssembler jump(Jump op, Register dst, int imm, Label label) {
        fixups.add(new Fixup(count, label));
        return emit(JMP | op.code | K, dst.number(), 0, 0, imm);
    }

    /** {@code if (dst op src) goto label} on 64 bits. */
    EbpfAssembler jump(Jump op, Register dst, Register src, Label label) {
        fixups.add(new Fixup(count, label));
        return emit(JMP | op.code | X, dst.number(), src.number(), 0, 0);
    }

    /** {@code if ((u32) dst op (u32) imm) goto label}: the 32-bit comparison, for 32-bit values with the top bit set. */
    EbpfAssembler jump32(Jump op, Register dst, int imm, Label label) {
        fixups.add(new Fixup(count, label));
        return emit(JMP32 | op.code | K, dst.number(), 0, 0, imm);
    }

    /** {@code goto label}. */
    EbpfAssembler jumpAlways(Label label) {
        fixups.add(new Fixup(count, label));
        return emit(JMP | JA, 0, 0, 0, 0);
    }

    /** Calls helper function {@code helper} (its number in {@code enum bpf_func_id}): R1–R5 in, R0 out. */
    EbpfAssembler call(int helper) {
        return emit(JMP | CALL, 0, 0, 0, helper);
    }

    /** Returns R0. */
    EbpfAssembler exit() {
        return emit(JMP | EXIT, 0, 0, 0, 0);
    }

    /** Instructions so far, counting the wide one as two. */
    int size() {
        return count;
    }

    /**
     * The program, one {@code long} per 8-byte slot holding the slot's bytes in little-endian order,
     * with every jump's offset resolved: {@code target - (jump + 1)}, in slots.
     *
     * @throws IllegalStateException for a jump to a label never bound, or farther than 16 bits reach
     */
    long[] assemble() {
        long[] program = Arrays.copyOf(slots, count);
        for (Fixup fixup : fixups) {
            if (fixup.label.at < 0) {
                throw new IllegalStateException("jump at " + fixup.slot + " to a label never bound");
            }
            int offset = fixup.label.at - (fixup.slot + 1);
            if (offset != (short) offset) {
                throw new IllegalStateException("jump at " + fixup.slot + " by " + offset + " (expected: -32768..32767)");
            }
            program[fixup.slot] = (program[fixup.slot] & ~0xFFFF_0000L) | ((offset & 0xFFFFL) << 16);
        }
        return program;
    }

    /** {@link #assemble()} into native memory, as {@code BPF_PROG_LOAD} takes it. */
    MemorySegment assemble(Arena arena) {
        long[] program = assemble();
        MemorySegment code = arena.allocate(8L * program.length, 8);
        MemorySegment.copy(program, 0, code, ValueLayout.JAVA_LONG_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN),
                0, program.length);
        return code;
    }

    /** One slot from its fields, laid out as the kernel reads {@code struct bpf_insn}. */
    static long encode(int opcode, int dst, int src, int offset, int imm) {
        return (opcode & 0xFFL)
                | ((long) (dst & 0xF) << 8)
                | ((long) (src & 0xF) << 12)
                | ((offset & 0xFFFFL) << 16)
                | ((imm & 0xFFFF_FFFFL) << 32);
    }

    private EbpfAssembler emit(int opcode, int dst, int src, int offset, int imm) {
        if (offset != (short) offset) {
            throw new IllegalArgumentException("found offset " + offset + " (expected: -32768..32767)");
        }
        if (count == slots.length) {
            slots = Arrays.copyOf(slots, count * 2);
        }
        slots[count++] = encode(opcode, dst, src, offset, imm);
        return this;
    }

    private static void checkSwapWidth(int bits) {
        if (bits != 16 && bits != 32 && bits != 64) {
            throw new IllegalArgumentException("found a swap of " + bits + " bits (expected: 16, 32 or 64)");
        }
    }
}
