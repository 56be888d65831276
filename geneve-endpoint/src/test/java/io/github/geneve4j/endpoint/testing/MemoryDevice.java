package io.github.geneve4j.endpoint.testing;

import io.github.geneve4j.endpoint.spi.FrameDevice;
import io.github.geneve4j.endpoint.spi.FrameOffload;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A frame device in memory, for tests: frames queued with {@link #inject} are what the endpoint
 * reads, each with its offload metadata; what the endpoint writes is kept with a copy of its
 * metadata. Headroom 10, like a TAP's virtio-net header; the headroom bytes are written on both
 * paths, so that an endpoint that gave less room than it promised fails the test.
 */
public final class MemoryDevice implements FrameDevice {

    /**
     * A frame and its offload metadata, as read or written.
     *
     * @param bytes the frame, from the Ethernet destination on
     * @param gso its segmentation offload kind ({@link FrameOffload.Gso#NONE} for a plain frame)
     * @param gsoSize the segment size of a super-frame
     * @param needsChecksum whether a partial checksum is to be completed
     * @param checksumStart where the checksum's coverage starts
     * @param checksumOffset where its field is, from {@code checksumStart}
     */
    public record Frame(byte[] bytes, FrameOffload.Gso gso, int gsoSize, boolean needsChecksum, int checksumStart,
            int checksumOffset) {
    }

    private final boolean offloads;
    private final LinkedBlockingQueue<Frame> toRead = new LinkedBlockingQueue<>();
    private final List<Frame> written = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean open = true;
    private volatile IOException failWrites;

    /** A device with ({@code true}) or without offloads. */
    public MemoryDevice(boolean offloads) {
        this.offloads = offloads;
    }

    /** The frames written so far, copied under the list's lock (the endpoint's thread may be adding one). */
    public List<Frame> written() {
        synchronized (written) {
            return List.copyOf(written);
        }
    }

    /**
     * The {@code index}-th frame written (from 0), waiting up to {@code timeout} for the endpoint to
     * write it: a bound against a hang, not a measured window.
     *
     * @return the frame, or null if it was not written in time
     * @throws InterruptedException if interrupted while waiting
     */
    public Frame awaitWritten(int index, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (written) {
            while (written.size() <= index) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                written.wait(Math.max(1, left / 1_000_000));
            }
            return written.get(index);
        }
    }

    /** How many frames were written so far. */
    public int writtenCount() {
        return written.size();
    }

    /** Makes every write fail with {@code e} from now on; null: writes succeed again. */
    public void failWrites(IOException e) {
        this.failWrites = e;
    }

    /** Queues a plain frame for the endpoint to read. */
    public void inject(byte[] frame) {
        toRead.add(new Frame(frame, FrameOffload.Gso.NONE, 0, false, 0, 0));
    }

    /** Queues a frame with its metadata for the endpoint to read. */
    public void inject(Frame frame) {
        toRead.add(frame);
    }

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public int headroom() {
        return 10;
    }

    @Override
    public boolean offloads() {
        return offloads;
    }

    @Override
    public int read(MemorySegment buffer, long offset, long capacity, FrameOffload offload) throws IOException {
        while (open) {
            Frame f;
            try {
                f = toRead.poll(50, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ClosedChannelException();
            }
            if (f == null) {
                continue;
            }
            buffer.asSlice(offset - headroom(), headroom()).fill((byte) 0x5A); // the device's own bytes
            MemorySegment.copy(f.bytes(), 0, buffer, ValueLayout.JAVA_BYTE, offset, f.bytes().length);
            offload.clear();
            if (f.gso() != FrameOffload.Gso.NONE) {
                offload.segmentation(f.gso(), false, f.gsoSize(), 0);
            }
            if (f.needsChecksum()) {
                offload.partialChecksum(f.checksumStart(), f.checksumOffset());
            }
            return f.bytes().length;
        }
        throw new ClosedChannelException();
    }

    @Override
    public void write(MemorySegment buffer, long offset, long length, FrameOffload offload) throws IOException {
        if (!open) {
            throw new ClosedChannelException();
        }
        if (failWrites != null) {
            throw failWrites;
        }
        buffer.asSlice(offset - headroom(), headroom()).fill((byte) 0); // the room is there, and the device's
        Frame frame = new Frame(buffer.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE), offload.gso(),
                offload.gsoSize(), offload.needsChecksum(), offload.checksumStart(), offload.checksumOffset());
        synchronized (written) {
            written.add(frame);
            written.notifyAll();
        }
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        open = false;
    }
}
