package io.github.geneve4j.codec.tso;

/**
 * The caller's configuration, not the wire: a frame's own headers plus the tunnel's encapsulation
 * leave no byte of payload within the segmenter's MTU, so no segment can be made. The frame is
 * well formed (a {@link io.github.geneve4j.codec.GeneveFormatException} would say otherwise); the MTU
 * is too small for it. Made without a stack trace: a sender meets it per frame and counts it.
 *
 * <pre>{@code
 * try {
 *     segmenter.segment(frame, 0, length, sink);
 * } catch (MtuExceededException e) {
 *     log.warn("MTU " + e.mtu() + " too small for " + e.headerLength() + " bytes of headers");
 * }
 * }</pre>
 */
public final class MtuExceededException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    /** The frame's headers up to its TCP payload, see {@link #headerLength()}. */
    private final int headerLength;
    /** The bytes the tunnel adds to each IP packet. */
    private final int overhead;
    /** The segmenter's MTU. */
    private final int mtu;

    /**
     * The configuration's limit met by a frame: its headers and the encapsulation leave no payload
     * within the MTU.
     *
     * @param headerLength the frame's headers up to its TCP payload, inner Ethernet included
     * @param overhead the bytes the tunnel adds to each IP packet (outer IP, UDP, Geneve)
     * @param mtu the segmenter's MTU
     */
    public MtuExceededException(int headerLength, int overhead, int mtu) {
        super("inner headers of " + headerLength + " bytes plus " + overhead
                + " bytes of encapsulation leave no payload within MTU " + mtu, null);
        this.headerLength = headerLength;
        this.overhead = overhead;
        this.mtu = mtu;
        setStackTrace(new StackTraceElement[0]);
    }

    /** The frame's headers up to its TCP payload, inner Ethernet included. */
    public int headerLength() {
        return headerLength;
    }

    /** The bytes the tunnel adds to each IP packet. */
    public int overhead() {
        return overhead;
    }

    /** The segmenter's MTU. */
    public int mtu() {
        return mtu;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this; // stackless: thrown per frame on a send path
    }
}
