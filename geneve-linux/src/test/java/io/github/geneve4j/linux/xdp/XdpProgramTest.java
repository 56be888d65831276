package io.github.geneve4j.linux.xdp;

import static io.github.geneve4j.linux.xdp.EbpfAssembler.Register.R0;
import static io.github.geneve4j.linux.xdp.EbpfAssembler.Register.R1;
import static io.github.geneve4j.linux.xdp.EbpfAssembler.Register.R2;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.linux.xdp.EbpfAssembler.Size;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The kernel's verifier on our programs (root and {@code bpf(2)}): it accepts the UDP-steering
 * program for any address and port, and refuses one that reads the packet without checking
 * {@code data_end} — with its log, which says why, in the exception.
 */
@Tag("system")
class XdpProgramTest {

    @Test
    void verifierAcceptsTheRedirectProgram() throws Exception {
        VethPair.requireXdp();
        int map = Bpf.createXskMap("g4j_test", 4);
        try {
            // an address with its top bit set (the 32-bit comparison) and one without; the lowest and highest port
            for (int address : new int[] {0x0A4D0002, 0xC0000201, 0xFFFFFFFF}) {
                for (int port : new int[] {1, 6081, 65535}) {
                    int program = Bpf.loadXdp("g4j_test", XdpProgram.redirect(address, port, map));
                    assertThat(program).isPositive();
                    XdpCalls.closeQuietly(program);
                }
            }
        } finally {
            XdpCalls.closeQuietly(map);
        }
    }

    @Test
    void verifierRefusalCarriesItsLog() throws Exception {
        VethPair.requireXdp();
        EbpfAssembler a = new EbpfAssembler();
        a.ldx(Size.W, R2, R1, 0) // data
                .ldx(Size.B, R0, R2, 0) // a packet byte, no check against data_end
                .exit();
        assertThatThrownBy(() -> Bpf.loadXdp("g4j_bad", a.assemble()))
                .isInstanceOfSatisfying(XdpException.class, e -> {
                    assertThat(e.errno()).isEqualTo(XdpCalls.EACCES);
                    assertThat(e.verifierLog()).contains("invalid access to packet");
                    assertThat(e.getMessage()).contains("BPF_PROG_LOAD").contains("verifier refused")
                            .contains("invalid access to packet");
                });
    }

    @Test
    void unknownDeviceIsNamed() throws Exception {
        VethPair.requireXdp();
        assertThatThrownBy(() -> XdpProgram.attach("g4j-nope0", new java.net.InetSocketAddress("10.77.0.2", 7000), 1,
                XdpProgram.Mode.AUTO)).isInstanceOf(XdpException.class).hasMessageContaining("no device g4j-nope0");
    }
}
