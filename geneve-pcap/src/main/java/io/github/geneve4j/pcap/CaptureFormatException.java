package io.github.geneve4j.pcap;

import java.io.IOException;

/**
 * A file that is not a pcap or pcapng capture, or that is damaged or cut short: the message says
 * what was found and what was expected, and {@link #fileOffset()} where.
 *
 * <pre>{@code
 * } catch (CaptureFormatException e) {
 *     System.err.println(path + ": " + e.getMessage());   // "... (at byte 1234 of the file)"
 * }
 * }</pre>
 *
 * <p>Only {@link CaptureReader} throws it, so its constructor is not public. A
 * {@link java.io.UncheckedIOException} thrown by the reader's iterator carries one as its cause.
 */
public final class CaptureFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    /** Where reading failed, see {@link #fileOffset()}. */
    private final long fileOffset;

    CaptureFormatException(long fileOffset, String message) {
        super(message + " (at byte " + fileOffset + " of the file)");
        this.fileOffset = fileOffset;
    }

    /**
     * Where reading failed.
     *
     * @return the byte offset in the file of the field or record that is wrong or cut short
     */
    public long fileOffset() {
        return fileOffset;
    }
}
