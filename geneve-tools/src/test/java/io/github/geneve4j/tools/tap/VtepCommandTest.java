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

    @Test
    void refusesMixedOrRepeatedTapFormsAndBadTables() {
        Run mixed = vtep("--tap", "a:5000", "--tap", "b", "--local", "127.0.0.1", "--remote", "127.0.0.2");
        assertThat(mixed.code()).isEqualTo(2);
        assertThat(mixed.err()).contains("--tap NAME:VNI for every TAP").hasLineCount(1);
        Run withVni = vtep("--tap", "a:5000", "--vni", "5001", "--local", "127.0.0.1", "--remote", "127.0.0.2");
        assertThat(withVni.err()).contains("one form").hasLineCount(1);
        Run twoPlain = vtep("--tap", "a", "--tap", "b", "--local", "127.0.0.1", "--remote", "127.0.0.2");
        assertThat(twoPlain.err()).contains("several --tap need their VNI each").hasLineCount(1);
        Run sameVni = vtep("--tap", "a:5000", "--tap", "b:5000", "--local", "127.0.0.1", "--remote", "127.0.0.2");
        assertThat(sameVni.err()).contains("each TAP and each VNI once").hasLineCount(1);
        Run badVni = vtep("--tap", "a:x", "--local", "127.0.0.1", "--remote", "127.0.0.2");
        assertThat(badVni.err()).contains("expected: NAME:VNI with a number").hasLineCount(1);
        Run bigVni = vtep("--tap", "a:16777216", "--local", "127.0.0.1", "--remote", "127.0.0.2");
        assertThat(bigVni.err()).contains("--tap a:16777216: VNI 16777216 is out of range").hasLineCount(1);
        Run twice = vtep("--tap", "a", "--local", "127.0.0.1", "--remote", "127.0.0.2", "--remote", "127.0.0.2");
        assertThat(twice.err()).contains("a --remote given twice").hasLineCount(1);
        Run table = vtep("--tap", "a", "--local", "127.0.0.1", "--remote", "127.0.0.2", "--mac-max", "0");
        assertThat(table.code()).isEqualTo(2);
        assertThat(table.err()).contains("--mac-max 0").hasLineCount(1);
        Run age = vtep("--tap", "a", "--local", "127.0.0.1", "--remote", "127.0.0.2", "--mac-age", "0");
        assertThat(age.err()).contains("a positive age").hasLineCount(1);
    }
}
