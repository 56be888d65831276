package io.github.geneve4j.pcap;

import java.io.IOException;

/** A file that is not a pcap or pcapng capture, or that is damaged or cut short. */
public final class CaptureFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    private final long fileOffset;

    public CaptureFormatException(long fileOffset, String message) {
        super(message + " (at byte " + fileOffset + " of the file)");
        this.fileOffset = fileOffset;
    }

    /** Byte offset in the file where reading failed. */
    public long fileOffset() {
        return fileOffset;
    }
}
