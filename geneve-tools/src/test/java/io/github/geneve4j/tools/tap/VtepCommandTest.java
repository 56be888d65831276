package io.github.geneve4j.tools.tap;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.codec.net.InternetChecksum;
import io.github.geneve4j.codec.net.IpVersion;
import io.github.geneve4j.codec.net.TcpView;
import io.github.geneve4j.testing.TestFrames;
import io.github.geneve4j.tools.cli.GeneveCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** The vtep's checks that need no TAP device: its arguments, and completing the kernel's partial checksums. */
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

    /** A frame as the kernel hands it with NEEDS_CSUM: the TCP checksum field holds the pseudo-header sum. */
    @Test
    void completesAPartialChecksumAsTheKernelLeftIt() {
        for (IpVersion version : IpVersion.values()) {
            byte[] frame = TestFrames.tcp(version, false, 12, TestFrames.payload(3001, 7), TcpView.ACK | TcpView.PSH, 5, 1);
            int tcpAt = 14 + version.headerLength();
            MemorySegment original = MemorySegment.ofArray(frame);
            TcpView tcp = new TcpView().wrap(original, tcpAt, frame.length - tcpAt);
            int good = tcp.checksum();
            long pseudo = version == IpVersion.IPV4
                    ? InternetChecksum.pseudoHeaderIpv4(0x0a000001L, 0x0a000002L, 6, frame.length - tcpAt)
                    : InternetChecksum.pseudoHeaderIpv6(original, 14 + 8, 6, frame.length - tcpAt);

            MemorySegment buffer = Arena.ofAuto().allocate(Tap.VNET_HEADER_LENGTH + frame.length + 3);
            long at = 3 + Tap.VNET_HEADER_LENGTH;
            MemorySegment.copy(frame, 0, buffer, ValueLayout.JAVA_BYTE, at, frame.length);
            buffer.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN), at + tcpAt + 16,
                    (short) InternetChecksum.fold(pseudo));
            VirtioNetHeader.writeGso(buffer, 3, VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_NONE, 0, 0, tcpAt, 16);

            assertThat(VtepCommand.completeChecksum(buffer, 3, at, frame.length)).isTrue();
            assertThat(new TcpView().wrap(buffer, at + tcpAt, frame.length - tcpAt).checksum()).as("%s", version)
                    .isEqualTo(good);
        }
    }

    @Test
    void aChecksumThatComesOutZeroIsSentAsAllOnes() {
        MemorySegment buffer = Arena.ofAuto().allocate(Tap.VNET_HEADER_LENGTH + 100);
        long frame = Tap.VNET_HEADER_LENGTH;
        // the field (at 88) holds a pseudo-header sum of 0; the one data word 0xffff sums to 0xffff
        buffer.set(ValueLayout.JAVA_SHORT_UNALIGNED, frame + 90, (short) 0xFFFF);
        VirtioNetHeader.writeGso(buffer, 0, VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_NONE, 0, 0, 88, 0);
        assertThat(VtepCommand.completeChecksum(buffer, 0, frame, 100)).isTrue();
        assertThat(buffer.get(ValueLayout.JAVA_SHORT_UNALIGNED, frame + 88) & 0xFFFF).as("RFC 768: 0 means none")
                .isEqualTo(0xFFFF);
    }

    @Test
    void refusesChecksumOffsetsOutsideTheFrame() {
        MemorySegment buffer = Arena.ofAuto().allocate(Tap.VNET_HEADER_LENGTH + 100);
        VirtioNetHeader.writeGso(buffer, 0, VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_NONE, 0, 0, 90, 8);
        assertThat(VtepCommand.completeChecksum(buffer, 0, Tap.VNET_HEADER_LENGTH, 100)).isTrue(); // field at 98..99
        VirtioNetHeader.writeGso(buffer, 0, VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_NONE, 0, 0, 90, 9);
        assertThat(VtepCommand.completeChecksum(buffer, 0, Tap.VNET_HEADER_LENGTH, 100)).isFalse();
        VirtioNetHeader.writeGso(buffer, 0, VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_NONE, 0, 0, 0xFFFF, 0xFFFF);
        assertThat(VtepCommand.completeChecksum(buffer, 0, Tap.VNET_HEADER_LENGTH, 100)).isFalse();
    }
}
