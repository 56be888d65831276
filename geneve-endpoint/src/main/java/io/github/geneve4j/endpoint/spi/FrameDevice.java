package io.github.geneve4j.endpoint.spi;

import java.io.IOException;
import java.lang.foreign.MemorySegment;

/**
 * The inner side of an endpoint: a device that Ethernet frames are read from (to be encapsulated
 * and sent to the peers) and written to (decapsulated from the peers): a TAP device
 * ({@code geneve-linux}), a virtual host, a test double.
 *
 * <p>The engine calls {@link #read} from one thread and {@link #write} from another, each with its
 * own native buffer, and never both from one thread at once. Frames move in place: a device gets
 * {@link #headroom()} bytes in front of every frame's offset for its own metadata (a TAP's
 * virtio-net header), and the engine writes the Geneve header over that room after a read.
 * Neither call may allocate per frame.
 *
 * <p>The buffers the engine passes stay alive during each call (a device may hand their raw
 * addresses to the kernel) but not after it.
 *
 * <p>A device that is {@linkplain #close() closed} must make a waiting {@link #read} return
 * promptly (within about half a second) by throwing {@link java.nio.channels.ClosedChannelException},
 * and must not release its resources while a call is still inside it.
 */
public interface FrameDevice extends AutoCloseable {

    /** A name for messages and statistics, e.g. the TAP's interface name. */
    String name();

    /**
     * Bytes the device may use in front of the offset of each frame it reads or writes (0 if none);
     * at most 64.
     */
    int headroom();

    /**
     * Whether this device hands over super-frames and partial checksums on {@link #read} and takes
     * coalesced frames on {@link #write} (see {@link FrameOffload}). An endpoint built with
     * {@code offload(true)} needs it; without offloads the engine writes plain frames only.
     */
    boolean offloads();

    /**
     * Reads one frame into {@code buffer} at {@code offset}; blocks until one arrives.
     *
     * @param buffer native memory; the device may use {@link #headroom()} bytes before {@code offset}
     * @param capacity the most bytes the frame may have
     * @param offload set to the frame's metadata ({@link FrameOffload#clear() cleared} for a plain frame)
     * @return the frame's length (without any of the device's metadata), or -1 for a frame the device
     *     could not hand over whole (longer than {@code capacity}, or its metadata cut short): the
     *     engine counts it as {@code BAD_DEVICE_FRAME}, which costs no exception
     * @throws java.nio.channels.ClosedChannelException once the device is closed
     * @throws IOException if the read fails; the engine counts it and goes on
     */
    int read(MemorySegment buffer, long offset, long capacity, FrameOffload offload) throws IOException;

    /**
     * Writes one frame of {@code length} bytes at {@code offset} of {@code buffer}.
     *
     * @param buffer native memory; the device may overwrite {@link #headroom()} bytes before {@code offset}
     * @param offload the frame's metadata: plain, or a coalesced TCP frame with a partial checksum
     * @throws java.nio.channels.ClosedChannelException once the device is closed
     * @throws IOException if the write fails (the device is down, ...); the engine counts it and goes on
     */
    void write(MemorySegment buffer, long offset, long length, FrameOffload offload) throws IOException;

    /** Whether the device is still open. */
    boolean isOpen();

    /** Closes the device; a waiting {@link #read} ends with {@link java.nio.channels.ClosedChannelException}. */
    @Override
    void close() throws IOException;
}
