package io.github.geneve4j.testing;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes frames to a classic pcap file (magic 0xa1b2c3d4, microsecond timestamps, link type 1,
 * Ethernet) for tshark to dissect. Test support only.
 */
public final class PcapTestWriter {

    private PcapTestWriter() {
    }

    public static void write(Path file, List<byte[]> frames) throws IOException {
        int size = 24;
        for (byte[] f : frames) {
            size += 16 + f.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(262_144).putInt(1);
        int i = 0;
        for (byte[] f : frames) {
            b.putInt(1_700_000_000).putInt(i++).putInt(f.length).putInt(f.length).put(f);
        }
        Files.write(file, b.array());
    }

    /** Copies {@code length} bytes at {@code offset} of a segment into a new array. */
    public static byte[] bytes(MemorySegment s, long offset, long length) {
        return s.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE);
    }
}
