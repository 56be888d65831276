package io.github.geneve4j.linux.xdp;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The reflector's reply, byte for byte, built in the frame it came in. */
class XdpReflectorTest {

    // Ethernet 02:00:00:00:00:02 <- 02:00:00:00:00:01, IPv4 10.77.0.1 -> 10.77.0.2 (TTL 64, id 0x1234, DF,
    // header checksum 0x13fd), UDP 40000 -> 7000, length 12, checksum 0xabcd (a partial one), payload "ping"
    private static final String REQUEST = "020000000002" + "020000000001" + "0800"
            + "4500002012344000" + "401113fd" + "0a4d0001" + "0a4d0002"
            + "9c401b58000cabcd" + "70696e67";
    private static final String REPLY = "020000000001" + "020000000002" + "0800"
            + "4500002012344000" + "401113fd" + "0a4d0002" + "0a4d0001"
            + "1b589c40000c0000" + "70696e67";

    @Test
    void swapsAddressesAndPortsAndClearsTheUdpChecksumInPlace() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment umem = arena.allocate(4096);
            byte[] request = HexFormat.of().parseHex(REQUEST);
            MemorySegment.copy(request, 0, umem, ValueLayout.JAVA_BYTE, 2304, request.length);
            assertThat(XdpReflector.reflect(umem, 2304, request.length)).isEqualTo(request.length);
            byte[] reply = umem.asSlice(2304, request.length).toArray(ValueLayout.JAVA_BYTE);
            assertThat(HexFormat.of().formatHex(reply)).isEqualTo(REPLY);
        }
    }

    @Test
    void leavesWhatIsNotIpv4Udp() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment umem = arena.allocate(4096);
            byte[] request = HexFormat.of().parseHex(REQUEST);
            MemorySegment.copy(request, 0, umem, ValueLayout.JAVA_BYTE, 0, request.length);
            assertThat(XdpReflector.reflect(umem, 0, 41)).as("shorter than the headers").isEqualTo(-1);
            umem.set(ValueLayout.JAVA_BYTE, 23, (byte) 6); // TCP
            assertThat(XdpReflector.reflect(umem, 0, request.length)).isEqualTo(-1);
            umem.set(ValueLayout.JAVA_BYTE, 13, (byte) 0x06); // ARP
            assertThat(XdpReflector.reflect(umem, 0, request.length)).isEqualTo(-1);
        }
    }
}
