package io.github.geneve4j.linux;

import static io.github.geneve4j.linux.CaptureFilterTest.ethernet;
import static io.github.geneve4j.linux.CaptureFilterTest.extension;
import static io.github.geneve4j.linux.CaptureFilterTest.ipv4;
import static io.github.geneve4j.linux.CaptureFilterTest.ipv6;
import static io.github.geneve4j.linux.CaptureFilterTest.tagged;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.codec.net.EtherType;
import io.github.geneve4j.codec.net.FrameLocator;
import io.github.geneve4j.codec.net.UdpView;
import io.github.geneve4j.linux.ClassicBpf.Instruction;
import io.github.geneve4j.testing.Gen;
import io.github.geneve4j.testing.Property;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The kernel filter lets through exactly the frames {@code dump} would read as UDP to a Geneve port
 * (the codec's {@link FrameLocator} and {@link UdpView}, as {@code dump}'s {@code OuterUdp}), over
 * frames of every shape the filter handles: untagged or one tag, IPv4 with options or a later
 * fragment, IPv6 with one extension header or a fragment header, UDP, TCP or ICMP, ports the filter
 * has or not. (The first fragment of an IPv4 packet is left out: the filter passes it, as it carries
 * the UDP header, where the locator refuses every fragment; {@code CaptureFilterTest} shows it.)
 */
class CaptureFilterProperties {

    private static final int[] PORTS = {6081, 7000};
    private static final List<Instruction> PROGRAM = CaptureFilter.program(PORTS);

    /** A frame and what it was built from, for the failure message. */
    record Case(String shape, byte[] frame) {
        @Override
        public String toString() {
            return shape + " " + java.util.HexFormat.of().formatHex(frame);
        }
    }

    static Gen<Case> frames() {
        return s -> {
            int port = switch (s.choice(4)) {
                case 0 -> 6081;
                case 1 -> 7000;
                case 2 -> 6082;
                default -> s.between(0, 0xFFFF);
            };
            int protocol = switch (s.choice(3)) {
                case 0 -> 17;
                case 1 -> 6;
                default -> 1;
            };
            byte[] transport = ByteBuffer.allocate(16).putShort((short) s.between(0, 0xFFFF)).putShort((short) port)
                    .putShort((short) 16).array();
            StringBuilder shape = new StringBuilder("protocol ").append(protocol).append(" port ").append(port);
            byte[] ip;
            boolean v6 = s.bool();
            if (!v6) {
                int ihl = s.between(5, 7);
                boolean laterFragment = s.choice(4) == 0;
                ip = ipv4(protocol, ihl, laterFragment ? s.between(1, 0x1FFF) : 0, transport);
                shape.append(" IPv4 IHL ").append(ihl).append(laterFragment ? " later fragment" : "");
            } else {
                int kind = s.choice(5); // none, hop-by-hop, routing, destination options, fragment
                if (kind == 0) {
                    ip = ipv6(protocol, transport);
                } else {
                    int header = new int[] {0, 43, 60, 44}[kind - 1];
                    int units = header == 44 ? 0 : s.between(0, 2);
                    byte[] ext = extension(protocol, units, transport);
                    if (header == 43) {
                        ext[2] = (byte) 0xFD; // a routing type the locator does not read further (experimental, RFC 4727)
                    }
                    ip = ipv6(header, ext);
                    shape.append(" extension ").append(header).append(" of ").append(8 * (units + 1));
                }
                shape.insert(0, "IPv6 ");
            }
            int tag = s.choice(3);
            if (tag == 0) {
                return new Case(shape.toString(), ethernet(v6 ? 0x86DD : 0x0800, ip));
            }
            int tpid = tag == 1 ? 0x8100 : 0x88A8;
            return new Case(shape + " tag 0x" + Integer.toHexString(tpid), tagged(tpid, v6 ? 0x86DD : 0x0800, ip));
        };
    }

    @Test
    void passesExactlyWhatDumpReadsAsUdpToAGenevePort() {
        AtomicInteger accepted = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        FrameLocator locator = new FrameLocator();
        UdpView udp = new UdpView();
        Property.forAll("filter = dump's outer UDP to a port", 2_000, frames(), c -> {
            MemorySegment frame = MemorySegment.ofArray(c.frame());
            boolean dump = locator.tryWrap(FrameLocator.Link.ETHERNET, frame, 0, frame.byteSize())
                    && locator.protocol() == EtherType.PROTOCOL_UDP
                    && udp.tryWrap(frame, locator.transportOffset(), locator.transportLength())
                    && Arrays.stream(PORTS).anyMatch(p -> p == udp.destinationPort());
            boolean filter = BpfInterpreter.run(PROGRAM, c.frame(), 0) != 0;
            assertThat(filter).as("the filter on %s (dump reads it: %s)", c, dump).isEqualTo(dump);
            (dump ? accepted : refused).incrementAndGet();
        });
        assertThat(accepted.get()).as("cases passed").isGreaterThan(100);
        assertThat(refused.get()).as("cases refused").isGreaterThan(100);
    }
}
