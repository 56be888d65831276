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
        assertThat(firstLine(offload)).isEqualTo("Invalid value for option '--offload': 'maybe' (expected: on or off)");
        Run versions = vtep("--tap", "t0", "--local", "127.0.0.1", "--remote", "[::1]");
        assertThat(versions.code()).isEqualTo(2);
        assertThat(versions.err()).contains("are not of one IP version").hasLineCount(1);
        Run mtu = vtep("--tap", "t0", "--local", "127.0.0.1", "--remote", "127.0.0.2", "--mtu", "100");
        assertThat(mtu.code()).isEqualTo(2);
        assertThat(mtu.err()).isEqualTo("geneve vtep: MTU 100 is out of range (expected: 576..65535)" + System.lineSeparator());
        Run vni = vtep("--tap", "t0", "--local", "127.0.0.1", "--remote", "127.0.0.2", "--vni", "16777216");
        assertThat(vni.code()).isEqualTo(2);
        assertThat(firstLine(vni)).isEqualTo("Invalid value for option '--vni': VNI 16777216 is out of range (0..16777215)");
    }

    @Test
    void onOffTransportAndMetricsAreTypesPicocliChecks() {
        for (String option : new String[] {"--offload", "--kernel-filter", "--bfd-oam", "--bfd-require-oam"}) {
            Run bad = vtep("--tap", "t0", "--local", "127.0.0.1", "--remote", "127.0.0.2", option, "ON");
            assertThat(bad.code()).as(option).isEqualTo(2);
            assertThat(firstLine(bad)).isEqualTo("Invalid value for option '" + option + "': 'ON' (expected: on or off)");
        }
        Run transport = vtep("--tap", "t0", "--local", "127.0.0.1", "--remote", "127.0.0.2", "--transport", "dpdk");
        assertThat(firstLine(transport)).isEqualTo("Invalid value for option '--transport': 'dpdk' (expected: native or netty)");
        Run metrics = vtep("--tap", "t0", "--local", "127.0.0.1", "--remote", "127.0.0.2", "--metrics", "127.0.0.1");
        assertThat(metrics.code()).isEqualTo(2);
        assertThat(firstLine(metrics)).isEqualTo("Invalid value for option '--metrics': '127.0.0.1'"
                + " (expected: ADDR:PORT, e.g. 127.0.0.1:9464)");
        Run nettyPairs = vtep("--tap", "t0", "--local", "127.0.0.1", "--remote", "127.0.0.2", "--transport", "netty",
                "--workers", "2");
        assertThat(nettyPairs.err()).isEqualTo("geneve vtep: --workers 2 (expected: 1..64, and 1 with --transport netty)"
                + System.lineSeparator());
        Run stats = vtep("--tap", "t0", "--local", "127.0.0.1", "--remote", "127.0.0.2", "--stats", "-1");
        assertThat(stats.err()).contains("--stats -1.0").hasLineCount(1);
    }

    @Test
    void theTapConverterTakesANameOrANameAndAVni() {
        VtepCommand.TapSpec.Converter tap = new VtepCommand.TapSpec.Converter();
        assertThat(tap.convert("red")).isEqualTo(new VtepCommand.TapSpec("red", null));
        assertThat(tap.convert("red:5001")).isEqualTo(new VtepCommand.TapSpec("red", 5001));
        assertThat(tap.convert("red:0")).isEqualTo(new VtepCommand.TapSpec("red", 0));
        assertThat(tap.convert("red:16777215").vni()).isEqualTo(16777215);
        for (String bad : new String[] {":5000", "", "red:", "red:-1", "red:0x10"}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> tap.convert(bad)).as(bad)
                    .isInstanceOf(picocli.CommandLine.TypeConversionException.class);
        }
    }

    private static String firstLine(Run run) {
        return run.err().lines().findFirst().orElse("");
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
        assertThat(firstLine(badVni)).startsWith("Invalid value for option '--tap'")
                .endsWith(": 'a:x': VNI 'x' is not a number (expected: NAME:VNI)");
        Run bigVni = vtep("--tap", "a:16777216", "--local", "127.0.0.1", "--remote", "127.0.0.2");
        assertThat(firstLine(bigVni)).contains("'a:16777216': VNI 16777216 is out of range");
        Run twice = vtep("--tap", "a", "--local", "127.0.0.1", "--remote", "127.0.0.2", "--remote", "127.0.0.2");
        assertThat(twice.err()).contains("given twice").hasLineCount(1);
        Run table = vtep("--tap", "a", "--local", "127.0.0.1", "--remote", "127.0.0.2", "--mac-max", "0");
        assertThat(table.code()).isEqualTo(2);
        assertThat(table.err()).startsWith("geneve vtep: ").contains("0").hasLineCount(1);
        Run share = vtep("--tap", "a", "--local", "127.0.0.1", "--remote", "127.0.0.2", "--mac-max", "100",
                "--mac-max-per-peer", "101");
        assertThat(share.code()).isEqualTo(2);
        assertThat(share.err()).isEqualTo("geneve vtep: --mac-max-per-peer 101 (expected: 1..--mac-max 100)"
                + System.lineSeparator());
        Run noShare = vtep("--tap", "a", "--local", "127.0.0.1", "--remote", "127.0.0.2", "--mac-max-per-peer", "0");
        assertThat(noShare.code()).isEqualTo(2);
        assertThat(noShare.err()).startsWith("geneve vtep: MAC share per peer 0 is out of range").hasLineCount(1);
        Run age = vtep("--tap", "a", "--local", "127.0.0.1", "--remote", "127.0.0.2", "--mac-age", "0");
        assertThat(firstLine(age)).isEqualTo("Invalid value for option '--mac-age': '0' (expected: a positive age in seconds)");
    }
}
