package io.github.geneve4j.linux;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.endpoint.GeneveEndpoint;
import io.github.geneve4j.endpoint.testing.MemoryDevice;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * An endpoint with the kernel source filter over loopback: a peer added while it runs, past the 255
 * sources the old filter held, has its datagrams delivered (the old filter stayed attached and the
 * kernel dropped them: 5 sent, 0 delivered, 0 counted).
 */
class KernelFilterEndpointTest {

    @Test
    void aPeerAddedAtRunTimePastTheOldLimitIsDelivered() throws Exception {
        MemoryDevice device = new MemoryDevice(false);
        GeneveEndpoint.Builder builder = GeneveEndpoint.builder()
                .transport(UdpSocket.open(new InetSocketAddress("127.0.0.1", 0), 1 << 20))
                .device(device).vni(7).kernelFilter(true);
        for (int i = 0; i < 255; i++) {
            builder.peer(new InetSocketAddress(SourceFilterTest.loopback(i), 6081));
        }
        try (GeneveEndpoint endpoint = builder.start();
                UdpSocket added = UdpSocket.open(new InetSocketAddress("127.0.0.2", 0), 1 << 16);
                Arena arena = Arena.ofConfined()) {
            assertThat(endpoint.addPeer(added.localAddress())).isTrue(); // the 256th source
            byte[] frame = WorkerPairsTest.frame(0x42);
            MemorySegment datagram = arena.allocate(8 + frame.length);
            datagram.set(ValueLayout.JAVA_BYTE, 2, (byte) 0x65); // protocol 0x6558 (Ethernet), VNI 7
            datagram.set(ValueLayout.JAVA_BYTE, 3, (byte) 0x58);
            datagram.set(ValueLayout.JAVA_BYTE, 6, (byte) 7);
            MemorySegment.copy(frame, 0, datagram, ValueLayout.JAVA_BYTE, 8, frame.length);
            for (int i = 0; i < 5; i++) {
                assertThat(added.send(datagram, 0, datagram.byteSize(), endpoint.localAddress())).isTrue();
            }
            for (int i = 0; i < 5; i++) {
                assertThat(WorkerPairsTest.written(device, i)).as("frame %d of the added peer", i).isEqualTo(frame);
            }
            assertThat(WorkerPairsTest.counted(() -> endpoint.stats().framesFromTunnel(), 5)).isEqualTo(5);
        }
    }
}
