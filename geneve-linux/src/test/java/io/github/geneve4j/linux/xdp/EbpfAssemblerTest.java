package io.github.geneve4j.linux.xdp;

import static io.github.geneve4j.linux.xdp.EbpfAssembler.Register.R0;
import static io.github.geneve4j.linux.xdp.EbpfAssembler.Register.R1;
import static io.github.geneve4j.linux.xdp.EbpfAssembler.Register.R10;
import static io.github.geneve4j.linux.xdp.EbpfAssembler.Register.R2;
import static io.github.geneve4j.linux.xdp.EbpfAssembler.Register.R3;
import static io.github.geneve4j.linux.xdp.EbpfAssembler.Register.R4;
import static io.github.geneve4j.linux.xdp.EbpfAssembler.Register.R5;
import static io.github.geneve4j.linux.xdp.EbpfAssembler.Register.R6;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.linux.xdp.EbpfAssembler.Alu;
import io.github.geneve4j.linux.xdp.EbpfAssembler.Jump;
import io.github.geneve4j.linux.xdp.EbpfAssembler.Size;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Each instruction kind against its bytes as the kernel documents them
 * ({@code Documentation/bpf/standardization/instruction-set.rst}: {@code opcode:8 src_reg:4
 * dst_reg:4 offset:16 imm:32} in little-endian BPF, the opcode as class | operation | source, or
 * class | size | mode). The opcodes are also the ones the verifier prints in its log in
 * parentheses, e.g. {@code (bf) r6 = r1}, {@code (61) r2 = *(u32 *)(r1 +0)}, {@code (95) exit}.
 */
class EbpfAssemblerTest {

    private static String bytes(Consumer<EbpfAssembler> instructions) {
        EbpfAssembler a = new EbpfAssembler();
        instructions.accept(a);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment code = a.assemble(arena);
            return HexFormat.ofDelimiter(" ").formatHex(code.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void alu64WithImmediateAndRegister() {
        // BPF_ALU64 (0x07) | BPF_MOV (0xb0) | BPF_K (0x00), dst r0, imm 2
        assertThat(bytes(a -> a.mov64(R0, 2))).isEqualTo("b7 00 00 00 02 00 00 00");
        // BPF_ALU64 | BPF_MOV | BPF_X (0x08): src r1 in the high nibble, dst r6 in the low one
        assertThat(bytes(a -> a.mov64(R6, R1))).isEqualTo("bf 16 00 00 00 00 00 00");
        assertThat(bytes(a -> a.alu64(Alu.ADD, R4, 34))).isEqualTo("07 04 00 00 22 00 00 00");
        assertThat(bytes(a -> a.alu64(Alu.ADD, R2, R5))).isEqualTo("0f 52 00 00 00 00 00 00");
        assertThat(bytes(a -> a.alu64(Alu.AND, R5, 0x0F))).isEqualTo("57 05 00 00 0f 00 00 00");
        assertThat(bytes(a -> a.alu64(Alu.LSH, R5, 2))).isEqualTo("67 05 00 00 02 00 00 00");
        assertThat(bytes(a -> a.alu64(Alu.NEG, R1, 0))).isEqualTo("87 01 00 00 00 00 00 00");
        assertThat(bytes(a -> a.alu64(Alu.ARSH, R1, 3))).isEqualTo("c7 01 00 00 03 00 00 00");
        // a negative immediate: two's complement, little-endian
        assertThat(bytes(a -> a.alu64(Alu.SUB, R1, -1))).isEqualTo("17 01 00 00 ff ff ff ff");
    }

    @Test
    void alu32AndByteSwaps() {
        // BPF_ALU (0x04)
        assertThat(bytes(a -> a.alu32(Alu.ADD, R1, 7))).isEqualTo("04 01 00 00 07 00 00 00");
        assertThat(bytes(a -> a.alu32(Alu.XOR, R1, R2))).isEqualTo("ac 21 00 00 00 00 00 00");
        assertThat(bytes(a -> a.alu32(Alu.MOV, R3, 1))).isEqualTo("b4 03 00 00 01 00 00 00");
        // BPF_ALU | BPF_END (0xd0) | BPF_TO_BE (0x08), imm the width; BPF_TO_LE is 0x00
        assertThat(bytes(a -> a.toBigEndian(R1, 16))).isEqualTo("dc 01 00 00 10 00 00 00");
        assertThat(bytes(a -> a.toLittleEndian(R1, 32))).isEqualTo("d4 01 00 00 20 00 00 00");
        assertThatThrownBy(() -> new EbpfAssembler().toBigEndian(R1, 8)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void loadsAndStoresOfEachSize() {
        // BPF_LDX (0x01) | BPF_MEM (0x60) | size: W 0x00, H 0x08, B 0x10, DW 0x18
        assertThat(bytes(a -> a.ldx(Size.W, R2, R1, 0))).isEqualTo("61 12 00 00 00 00 00 00");
        assertThat(bytes(a -> a.ldx(Size.H, R5, R2, 12))).isEqualTo("69 25 0c 00 00 00 00 00");
        assertThat(bytes(a -> a.ldx(Size.B, R5, R2, 14))).isEqualTo("71 25 0e 00 00 00 00 00");
        assertThat(bytes(a -> a.ldx(Size.DW, R0, R10, -8))).isEqualTo("79 a0 f8 ff 00 00 00 00");
        // BPF_STX (0x03) | BPF_MEM | BPF_DW: *(u64 *)(r10 -8) = r1
        assertThat(bytes(a -> a.stx(Size.DW, R10, -8, R1))).isEqualTo("7b 1a f8 ff 00 00 00 00");
        assertThat(bytes(a -> a.stx(Size.B, R10, -1, R1))).isEqualTo("73 1a ff ff 00 00 00 00");
        // BPF_ST (0x02) | BPF_MEM | BPF_W: *(u32 *)(r10 -4) = 9
        assertThat(bytes(a -> a.st(Size.W, R10, -4, 9))).isEqualTo("62 0a fc ff 09 00 00 00");
        assertThat(bytes(a -> a.st(Size.H, R10, -2, 1))).isEqualTo("6a 0a fe ff 01 00 00 00");
    }

    @Test
    void wideLoadTakesTwoSlots() {
        // BPF_LD (0x00) | BPF_IMM (0x00) | BPF_DW (0x18); the second slot holds the high 32 bits
        assertThat(bytes(a -> a.ldImm64(R0, 0x1122334455667788L)))
                .isEqualTo("18 00 00 00 88 77 66 55 00 00 00 00 44 33 22 11");
        // src_reg 1 = BPF_PSEUDO_MAP_FD: imm is a map's file descriptor
        assertThat(bytes(a -> a.ldMapFd(R1, 5))).isEqualTo("18 11 00 00 05 00 00 00 00 00 00 00 00 00 00 00");
        EbpfAssembler a = new EbpfAssembler().ldMapFd(R1, 5);
        assertThat(a.size()).isEqualTo(2);
    }

    @Test
    void jumpsCallAndExit() {
        EbpfAssembler a = new EbpfAssembler();
        EbpfAssembler.Label end = a.newLabel();
        a.jump(Jump.JEQ, R1, 0, end) // BPF_JMP (0x05) | BPF_JEQ (0x10) | BPF_K
                .jump(Jump.JGT, R4, R3, end) // | BPF_X: src r3, dst r4
                .jump32(Jump.JNE, R4, 0x0100007f, end) // BPF_JMP32 (0x06) | BPF_JNE (0x50)
                .jump(Jump.JSET, R4, 0xFF3F, end)
                .jumpAlways(end) // BPF_JA: 0x05
                .call(51) // BPF_CALL (0x80): bpf_redirect_map
                .bind(end)
                .exit(); // BPF_EXIT (0x90)
        long[] program = a.assemble();
        String hex = hexOf(program);
        assertThat(hex).isEqualTo(String.join(" ",
                "15 01 05 00 00 00 00 00", // offset: end (6) - (0 + 1) = 5
                "2d 34 04 00 00 00 00 00",
                "56 04 03 00 7f 00 00 01",
                "45 04 02 00 3f ff 00 00",
                "05 00 01 00 00 00 00 00",
                "85 00 00 00 33 00 00 00",
                "95 00 00 00 00 00 00 00"));
    }

    @Test
    void backwardJumpHasANegativeOffset() {
        EbpfAssembler a = new EbpfAssembler();
        EbpfAssembler.Label top = a.newLabel();
        a.bind(top).mov64(R0, 0).jump(Jump.JLT, R0, 10, top).exit();
        // from slot 1 back to slot 0: 0 - (1 + 1) = -2
        assertThat(hexOf(a.assemble())).startsWith("b7 00 00 00 00 00 00 00 a5 00 fe ff 0a 00 00 00");
    }

    @Test
    void refusesUnboundLabelsTwiceBoundLabelsAndOversizedOffsets() {
        EbpfAssembler a = new EbpfAssembler();
        EbpfAssembler.Label nowhere = a.newLabel();
        a.jumpAlways(nowhere).exit();
        assertThatThrownBy(a::assemble).isInstanceOf(IllegalStateException.class).hasMessageContaining("never bound");
        EbpfAssembler.Label twice = a.newLabel();
        a.bind(twice);
        assertThatThrownBy(() -> a.bind(twice)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new EbpfAssembler().ldx(Size.W, R1, R2, 40_000))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("40000");
        EbpfAssembler far = new EbpfAssembler();
        EbpfAssembler.Label end = far.newLabel();
        far.jumpAlways(end);
        for (int i = 0; i < 33_000; i++) {
            far.mov64(R0, 0);
        }
        far.bind(end).exit();
        assertThatThrownBy(far::assemble).isInstanceOf(IllegalStateException.class).hasMessageContaining("33000");
    }

    @Test
    void redirectProgramEndsInTheRedirectCallAndPassesEverythingElse() {
        long[] program = XdpProgram.redirect(0x0A4D0002, 7000, 9);
        String hex = hexOf(program);
        // the address and port as a little-endian load of network order sees them: 10.77.0.2, 7000 (0x1b58)
        assertThat(hex).contains("0a 4d 00 02").contains("1b 58 00 00");
        assertThat(hex).contains("18 11 00 00 09 00 00 00 00 00 00 00 00 00 00 00 b7 03 00 00 02 00 00 00 85 00 00 00 33 00 00 00");
        assertThat(hex).endsWith("95 00 00 00 00 00 00 00 b7 00 00 00 02 00 00 00 95 00 00 00 00 00 00 00");
    }

    static String hexOf(long[] program) {
        StringBuilder hex = new StringBuilder();
        for (long slot : program) {
            for (int b = 0; b < 8; b++) {
                if (!hex.isEmpty()) {
                    hex.append(' ');
                }
                hex.append(String.format("%02x", (slot >>> (8 * b)) & 0xFF));
            }
        }
        return hex.toString();
    }
}
