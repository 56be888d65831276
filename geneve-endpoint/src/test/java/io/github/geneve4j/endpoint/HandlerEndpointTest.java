package io.github.geneve4j.endpoint;

import static io.github.geneve4j.endpoint.Loopback.address;
import static org.assertj.core.api.Assertions.assertThat;

import io.github.geneve4j.codec.GeneveHeader;
import io.github.geneve4j.codec.GeneveOption;
import io.github.geneve4j.endpoint.testing.MemoryTransport;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An endpoint whose inner side is a {@link FrameHandler}, driven through a transport in memory: the
 * handler answers the frame it was given through the frame (no reference to the endpoint), reads its
 * bytes as a slice; a known option of a bad length is counted as such; the statistics name the
 * handler as the inner side.
 */
@Timeout(30)
class HandlerEndpointTest {

    private static final InetSocketAddress LOCAL = address("127.0.0.1", 6081);
    private static final InetSocketAddress PEER = address("127.0.0.2", 6081);

    /** The frame with its destination and source MACs swapped: what an echo answers. */
    private static void swapMacs(MemorySegment frame) {
        byte[] destination = frame.asSlice(0, 6).toArray(ValueLayout.JAVA_BYTE);
        MemorySegment.copy(frame, 6, frame, 0, 6);
        MemorySegment.copy(destination, 0, frame, ValueLayout.JAVA_BYTE, 6, 6);
    }

    @Test
    void aHandlerAnswersTheFrameItWasGivenThroughTheFrame() throws Exception {
        MemoryTransport transport = new MemoryTransport(LOCAL);
        List<byte[]> seen = new CopyOnWriteArrayList<>();
        FrameHandler echo = frame -> {
            MemorySegment bytes = frame.bytes(); // a slice of the receive buffer: no copy
            seen.add(bytes.toArray(ValueLayout.JAVA_BYTE));
            assertThat(bytes.byteSize()).isEqualTo(frame.length());
            assertThat(bytes.address()).isEqualTo(frame.segment().address() + frame.offset());
            swapMacs(bytes); // answered in place
            if (frame.get(13) == 1) {
                frame.reply(bytes, 0, frame.length());
            } else {
                frame.reply(ByteBuffer.wrap(bytes.toArray(ValueLayout.JAVA_BYTE)));
            }
        };
        try (GeneveEndpoint endpoint = GeneveEndpoint.builder().transport(transport).peer(PEER).vni(5000)
                .handler(echo).start()) {
            byte[] frame = Loopback.frame(60, 7);
            frame[13] = 1;
            transport.inject(Loopback.datagram(5000, frame).array(), address("127.0.0.2", 40_000));
            frame[13] = 2;
            transport.inject(Loopback.datagram(5000, frame).array(), address("127.0.0.2", 40_001));
            transport.awaitCaughtUp();
            assertThat(seen).hasSize(2);
            List<MemoryTransport.Sent> sent = transport.sent();
            assertThat(sent).hasSize(2).allSatisfy(s -> assertThat(s.to()).as("the peer, at its port").isEqualTo(PEER));
            for (int i = 0; i < 2; i++) {
                byte[] answer = Arrays.copyOfRange(sent.get(i).bytes(), 8, sent.get(i).bytes().length);
                byte[] expected = seen.get(i).clone();
                swapMacs(MemorySegment.ofArray(expected));
                assertThat(answer).isEqualTo(expected);
                assertThat(GeneveHeader.decode(sent.get(i).bytes()).vni()).isEqualTo(5000);
            }
            EndpointStats stats = endpoint.stats();
            assertThat(stats.framesToTunnel()).isEqualTo(2);
            assertThat(stats.handler()).isTrue();
            assertThat(stats.format()).startsWith("stats: handler->tunnel 2 packets 120 bytes, tunnel->handler 2 packets"
                    + " 120 bytes,").doesNotContain("tap");
        }
    }

    @Test
    void aReplyToASourceThatIsNoPeerGoesToItsAddressAtTheReplyPort() throws Exception {
        MemoryTransport transport = new MemoryTransport(LOCAL);
        try (GeneveEndpoint endpoint = GeneveEndpoint.builder().transport(transport).acceptAnySource(true)
                .replyPort(7000).vni(5000).handler(f -> f.reply(f.segment(), f.offset(), f.length())).start()) {
            transport.inject(Loopback.datagram(5000, Loopback.frame(80, 1)).array(), address("127.0.0.9", 40_000));
            transport.awaitCaughtUp();
            assertThat(transport.sent()).singleElement().satisfies(s -> assertThat(s.to())
                    .as("its address, the reply port: never the source port, which is flow entropy")
                    .isEqualTo(address("127.0.0.9", 7000)));
            assertThat(endpoint.stats().peers()).isEmpty();
        }
    }

    @Test
    void aKnownOptionWithABadLengthIsCountedUnderItsOwnReason() throws Exception {
        MemoryTransport transport = new MemoryTransport(LOCAL);
        List<byte[]> delivered = new CopyOnWriteArrayList<>();
        try (GeneveEndpoint endpoint = GeneveEndpoint.builder().transport(transport).peer(PEER).vni(5000)
                .handler(f -> delivered.add(f.toByteArray())).start()) {
            // OVN's port keys (class 0x0102, type 0x80) are 4 bytes: 8 is a bad length
            GeneveOption eightBytes = new GeneveOption(0x0102, 0x80, new byte[8]);
            GeneveOption fourBytes = new GeneveOption(0x0102, 0x80, new byte[4]);
            transport.inject(Loopback.datagram(5000, Loopback.frame(60, 1), eightBytes).array(), PEER);
            transport.inject(Loopback.datagram(5000, Loopback.frame(60, 2), fourBytes).array(), PEER);
            transport.awaitCaughtUp();
            assertThat(endpoint.stats().drops()).containsExactly(java.util.Map.entry(DropReason.BAD_OPTION_LENGTH, 1L));
            assertThat(delivered).hasSize(1);
            assertThat(endpoint.stats().format()).contains("drops {bad-option-length=1}");
        }
    }
}
