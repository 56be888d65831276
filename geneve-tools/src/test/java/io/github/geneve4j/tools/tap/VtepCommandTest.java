package io.github.geneve4j.tools.tap;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.tools.cli.GeneveCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The vtep's checks that need no TAP device: its arguments (partial checksums: geneve-endpoint's PartialChecksumTest). */
class VtepCommandTest {

    record Run(int code, String out, String err) {
    }

    static Run vtep(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] all = new String[args.length + 1];
        all[0] = "vtep";
        System.arraycopy(args, 0, all, 1, args.length);
        int code = GeneveCommand.execute(new PrintWriter(out), new PrintWriter(err), all);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void refusesBadArgumentsWithOneClearLineBeforeOpeningAnything() {
        Run offload = vtep("--tap", "t0", "--local", "127.0.0.1", "--remote", "127.0.0.2", "--offload", "maybe");
        assertThat(offload.code()).isEqualTo(2);
        assertThat(offload.err()).isEqualTo("geneve vtep: --offload maybe (expected: on or off)" + System.lineSeparator());
        Run versions = vtep("--tap", "t0", "--local", "127.0.0.1", "--remote", "[::1]");
        assertThat(versions.code()).isEqualTo(2);
        assertThat(versions.err()).contains("are not of one IP version").hasLineCount(1);
        Run mtu = vtep("--tap", "t0", "--local", "127.0.0.1", "--remote", "127.0.0.2", "--mtu", "100");
        assertThat(mtu.code()).isEqualTo(2);
        assertThat(mtu.err()).contains("--mtu 100 out of range (expected: 118..65535)").hasLineCount(1);
        Run vni = vtep("--tap", "t0", "--local", "127.0.0.1", "--remote", "127.0.0.2", "--vni", "16777216");
        assertThat(vni.code()).isEqualTo(2);
        assertThat(vni.err()).contains("--vni 16777216 is out of range").hasLineCount(1);
    }
}
