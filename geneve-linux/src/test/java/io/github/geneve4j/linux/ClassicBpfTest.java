package io.github.geneve4j.linux;

import static io.github.geneve4j.linux.ClassicBpf.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.linux.ClassicBpf.Instruction;
import io.github.geneve4j.linux.ClassicBpf.Label;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The classic BPF assembler: its opcodes are the kernel's, its labels resolve to the offsets the
 * kernel reads, a conditional jump that does not reach is refused, and the reuseport steering
 * program it assembles is the one the group used before (raw opcodes) and steers by source port.
 */
class ClassicBpfTest {

    /** The values of include/uapi/linux/bpf_common.h and linux/filter.h, written out from the header. */
    @Test
    void namedPartsHaveTheKernelsValues() {
        assertThat(List.of(BPF_LD, BPF_LDX, BPF_ALU, BPF_JMP, BPF_RET, BPF_MISC))
                .containsExactly(0x00, 0x01, 0x04, 0x05, 0x06, 0x07);
        assertThat(List.of(BPF_W, BPF_H, BPF_B)).containsExactly(0x00, 0x08, 0x10);
        assertThat(List.of(BPF_IMM, BPF_ABS, BPF_IND, BPF_MEM, BPF_LEN, BPF_MSH))
                .containsExactly(0x00, 0x20, 0x40, 0x60, 0x80, 0xa0);
        assertThat(List.of(BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_NEG, BPF_MOD,
                BPF_XOR)).containsExactly(0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0);
        assertThat(List.of(BPF_JA, BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET)).containsExactly(0x00, 0x10, 0x20, 0x30, 0x40);
        assertThat(List.of(BPF_K, BPF_X, BPF_A, BPF_TAX, BPF_TXA)).containsExactly(0x00, 0x08, 0x10, 0x00, 0x80);
        assertThat(BPF_MAXINSNS).isEqualTo(4096);
        assertThat(SKF_NET_OFF).isEqualTo(-0x100000);
    }

    /** Opcodes as tcpdump -d / bpf_asm print them for the same instructions. */
    @Test
    void instructionsEncodeAsTheKernelReadsThem() {
        Label end = new Label();
        List<Instruction> p = new ClassicBpf()
                .load(BPF_W, 12).load(BPF_H, 2).load(BPF_B, 0)          // 0x20 ld, 0x28 ldh, 0x30 ldb
                .loadIndexed(BPF_H, 0).loadHeaderLength(14)              // 0x48 ldh [x+k], 0xb1 ldxb 4*([k]&0xf)
                .alu(BPF_RSH, 4).alu(BPF_MOD, 3).alu(BPF_AND, 0xff)     // 0x74, 0x94, 0x54
                .jump(BPF_JEQ, 6, end, null).jump(BPF_JGT, 1, null, end) // 0x15, 0x25
                .jump(BPF_JGE, 2, end, end).jump(BPF_JSET, 8, end, null)   // 0x35, 0x45
                .jumpTo(end).ret(0).place(end).retA()                    // 0x05, 0x06, 0x16
                .assemble();
        assertThat(p.stream().map(Instruction::code).toList()).containsExactly(0x20, 0x28, 0x30, 0x48, 0xb1, 0x74, 0x94,
                0x54, 0x15, 0x25, 0x35, 0x45, 0x05, 0x06, 0x16);
        // jumps count from the next instruction: end is instruction 14
        assertThat(p.get(8)).isEqualTo(new Instruction(0x15, 5, 0, 6));
        assertThat(p.get(9)).isEqualTo(new Instruction(0x25, 0, 4, 1));
        assertThat(p.get(10)).isEqualTo(new Instruction(0x35, 3, 3, 2));
        assertThat(p.get(12)).as("ja keeps its offset in k").isEqualTo(new Instruction(0x05, 0, 0, 1));
        assertThat(p.get(13)).isEqualTo(new Instruction(0x06, 0, 0, 0));
    }

    @Test
    void aConditionalJumpReachesExactly255Instructions() {
        for (int gap : new int[] {255, 256}) {
            ClassicBpf bpf = new ClassicBpf();
            Label far = new Label();
            bpf.jump(BPF_JEQ, 1, far, null);
            for (int i = 0; i < gap; i++) {
                bpf.ret(0);
            }
            bpf.place(far).ret(-1);
            if (gap == 255) {
                assertThat(bpf.assemble().getFirst().jt()).isEqualTo(255);
            } else {
                assertThatThrownBy(bpf::assemble).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("jumps 256 instructions (expected: 0..255)");
            }
        }
        // BPF_JA reaches any distance: the trampoline over what a conditional jump cannot
        ClassicBpf bpf = new ClassicBpf();
        Label far = new Label();
        bpf.jumpTo(far);
        for (int i = 0; i < 1000; i++) {
            bpf.ret(0);
        }
        assertThat(bpf.place(far).ret(-1).assemble().getFirst().k()).isEqualTo(1000);
    }

    @Test
    void refusesJumpsBackwardToNowhereAndProgramsTooLong() {
        Label before = new Label();
        ClassicBpf back = new ClassicBpf().place(before).ret(0).jump(BPF_JEQ, 1, before, null).ret(0);
        assertThatThrownBy(back::assemble).isInstanceOf(IllegalStateException.class).hasMessageContaining("jumps -2");
        ClassicBpf nowhere = new ClassicBpf().jumpTo(new Label()).ret(0);
        assertThatThrownBy(nowhere::assemble).hasMessageContaining("never placed");
        assertThatThrownBy(() -> new ClassicBpf().place(before)).hasMessageContaining("placed twice");
        assertThatThrownBy(() -> new ClassicBpf().jump(BPF_JA, 0, null, null)).isInstanceOf(IllegalArgumentException.class);
        ClassicBpf tooLong = new ClassicBpf();
        for (int i = 0; i <= BPF_MAXINSNS; i++) {
            tooLong.ret(0);
        }
        assertThatThrownBy(tooLong::assemble).hasMessageContaining("4097 instructions");
    }

    /** The program the group attached before this assembler, as raw struct sock_filter values. */
    @Test
    void theSteeringProgramIsTheOneTheGroupUsedBefore() {
        int count = 3;
        List<Instruction> before = List.of(
                new Instruction(0x30, 0, 0, SKF_NET_OFF),
                new Instruction(0x74, 0, 0, 4),
                new Instruction(0x15, 3, 0, 6),
                new Instruction(0xb1, 0, 0, SKF_NET_OFF),
                new Instruction(0x48, 0, 0, SKF_NET_OFF),
                new Instruction(0x05, 0, 0, 1),
                new Instruction(0x28, 0, 0, SKF_NET_OFF + 40),
                new Instruction(0x94, 0, 0, count),
                new Instruction(0x16, 0, 0, 0));
        assertThat(ReusePortGroup.steeringProgram(count)).isEqualTo(before);
    }

    @Test
    void theSteeringProgramPicksSourcePortModCount() {
        List<Instruction> program = ReusePortGroup.steeringProgram(4);
        for (int port : new int[] {0, 1, 6081, 49_155, 65_535}) {
            byte[] v4 = BpfInterpreter.udp(new byte[] {127, 0, 0, 2}, port);
            assertThat(BpfInterpreter.run(program, v4, 20)).as("IPv4, port %d", port).isEqualTo(port % 4);
            byte[] v6 = BpfInterpreter.udp(new byte[16], port);
            assertThat(BpfInterpreter.run(program, v6, 40)).as("IPv6, port %d", port).isEqualTo(port % 4);
            // IPv4 with options: IHL 6, the UDP header 24 bytes in
            byte[] options = new byte[v4.length + 4];
            System.arraycopy(v4, 0, options, 0, 20);
            System.arraycopy(v4, 20, options, 24, v4.length - 20);
            options[0] = 0x46;
            assertThat(BpfInterpreter.run(program, options, 24)).as("IPv4 IHL 6, port %d", port).isEqualTo(port % 4);
        }
    }
}
