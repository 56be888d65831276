package io.github.geneve4j.linux;

/**
 * What {@link PacketCapture#receive} says about the frame it put in the caller's buffer: how many of
 * its bytes were captured, how long it was on the wire, and when the kernel received it. Reused
 * from frame to frame: one per receiving thread, nothing allocated per frame.
 */
public final class CapturedFrame {

    private long capturedLength;
    private long originalLength;
    private long timestampNanos;

    /** A frame holder, empty until the first receive. */
    public CapturedFrame() {
    }

    void set(long captured, long original, long timestamp) {
        capturedLength = captured;
        originalLength = original;
        timestampNanos = timestamp;
    }

    /**
     * The bytes put in the buffer: the frame's first bytes, at most the capacity given.
     *
     * @return the captured length in bytes
     */
    public long capturedLength() {
        return capturedLength;
    }

    /**
     * The frame's whole length as the kernel had it (the {@code MSG_TRUNC} length); larger than
     * {@link #capturedLength()} when the buffer was too small. A segmentation-offloaded packet the
     * interface sent may exceed the link's MTU.
     *
     * @return the original length in bytes
     */
    public long originalLength() {
        return originalLength;
    }

    /**
     * When the kernel received or sent the frame ({@code SO_TIMESTAMPNS}).
     *
     * @return nanoseconds since 1970-01-01 UTC, or 0 if the kernel gave no time
     */
    public long timestampNanos() {
        return timestampNanos;
    }

    /**
     * Whether the frame was cut to fit the buffer.
     *
     * @return true if fewer bytes were captured than the frame had
     */
    public boolean truncated() {
        return capturedLength < originalLength;
    }

    @Override
    public String toString() {
        return "CapturedFrame[" + capturedLength + " of " + originalLength + " bytes at " + timestampNanos + " ns]";
    }
}
