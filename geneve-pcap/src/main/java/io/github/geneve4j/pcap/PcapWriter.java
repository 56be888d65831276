package io.github.geneve4j.pcap;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a classic pcap file: little-endian, microsecond timestamps, one link type.
 *
 * <pre>{@code
 * try (PcapWriter pcap = PcapWriter.create(Path.of("out.pcap"), LinkType.ETHERNET)) {
 *     pcap.write(System.currentTimeMillis() * 1_000_000, frame);
 * }
 * }</pre>
 */
public final class PcapWriter implements AutoCloseable {

    /** The snap length the header announces; records longer than it are still written whole. */
    public static final int SNAP_LENGTH = 262_144;

    private final OutputStream out;
    private final ByteBuffer header = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);

    private PcapWriter(OutputStream out, int linkType) throws IOException {
        this.out = out;
        header.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0)
                .putInt(SNAP_LENGTH).putInt(linkType);
        out.write(header.array(), 0, 24);
    }

    public static PcapWriter create(Path path, int linkType) throws IOException {
        return new PcapWriter(new BufferedOutputStream(Files.newOutputStream(path), 1 << 16), linkType);
    }

    public static PcapWriter to(OutputStream out, int linkType) throws IOException {
        return new PcapWriter(out, linkType);
    }

    /** Appends one record with the whole frame captured. */
    public synchronized void write(long timestampNanos, MemorySegment frame) throws IOException {
        write(timestampNanos, frame.toArray(ValueLayout.JAVA_BYTE));
    }

    /** Appends one record with the whole frame captured. */
    public synchronized void write(long timestampNanos, byte[] frame) throws IOException {
        header.clear();
        long micros = Math.floorDiv(timestampNanos, 1_000L);
        header.putInt((int) Math.floorDiv(micros, 1_000_000L)).putInt((int) Math.floorMod(micros, 1_000_000L))
                .putInt(frame.length).putInt(frame.length);
        out.write(header.array(), 0, 16);
        out.write(frame);
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }
}
