package io.github.geneve4j.tools.interop;

import io.github.geneve4j.codec.tunnel.GeneveFrameView;
import io.github.geneve4j.pcap.CaptureReader;
import io.github.geneve4j.pcap.CapturedPacket;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Replays the Geneve frames of a capture (such as {@code geneve tso} writes) to a peer over a UDP
 * socket: each frame's UDP payload, the Geneve header on, is sent as one datagram, paced so that a
 * userspace peer's socket keeps up. Run inside a namespace by the interop tests:
 * {@code GeneveReplay PCAP LOCAL_ADDRESS REMOTE_ADDRESS}; prints the number of datagrams sent.
 */
public final class GeneveReplay {

    private GeneveReplay() {
    }

    public static void main(String[] args) throws Exception {
        GeneveFrameView view = new GeneveFrameView();
        long sent = 0;
        try (CaptureReader reader = CaptureReader.open(Path.of(args[0]));
                DatagramChannel channel = DatagramChannel.open()) {
            channel.bind(new InetSocketAddress(args[1], 0));
            InetSocketAddress remote = new InetSocketAddress(args[2], 6081);
            for (CapturedPacket packet; (packet = reader.next()) != null; ) {
                view.wrap(packet.data(), 0, packet.data().byteSize());
                long geneve = view.geneve().offset();
                channel.send(packet.data().asSlice(geneve).asByteBuffer(), remote);
                if (++sent % 8 == 0) {
                    TimeUnit.MILLISECONDS.sleep(2);
                }
            }
        }
        System.out.println(sent);
    }
}
