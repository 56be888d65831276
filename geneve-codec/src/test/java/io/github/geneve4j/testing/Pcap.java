package io.github.geneve4j.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes classic pcap files (microsecond, little-endian, link type Ethernet) for feeding our frames
 * to Wireshark's dissector in tests.
 */
public final class Pcap {

    public static final int LINKTYPE_ETHERNET = 1;

    private Pcap() {
    }

    public static void write(Path file, List<byte[]> frames) throws IOException {
        int size = 24;
        for (byte[] frame : frames) {
            size += 16 + frame.length;
        }
        ByteBuffer out = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0)
                .putInt(262_144).putInt(LINKTYPE_ETHERNET);
        int second = 1_700_000_000;
        for (byte[] frame : frames) {
            out.putInt(second++).putInt(0).putInt(frame.length).putInt(frame.length).put(frame);
        }
        Files.write(file, out.array());
    }
}
