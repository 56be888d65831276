package io.github.geneve4j.endpoint.bfd;

import io.github.geneve4j.codec.NetworkOrder;
import java.lang.foreign.MemorySegment;

/**
 * Layout of the BFD control packet (RFC 5880 §4.1) and the one writer that views, records and
 * sessions share; fields are read and written with the codec's {@link NetworkOrder} layouts.
 */
final class BfdWire {

    // field offsets from the first byte of the packet
    static final int VERSION_DIAG = 0;
    static final int STATE_FLAGS = 1;
    static final int DETECT_MULT = 2;
    static final int LENGTH = 3;
    static final int MY_DISCRIMINATOR = 4;
    static final int YOUR_DISCRIMINATOR = 8;
    static final int DESIRED_MIN_TX = 12;
    static final int REQUIRED_MIN_RX = 16;
    static final int REQUIRED_MIN_ECHO_RX = 20;

    // bits of the second byte, after the two-bit state
    static final int POLL = 0x20;
    static final int FINAL = 0x10;
    static final int CONTROL_PLANE_INDEPENDENT = 0x08;
    static final int AUTHENTICATION = 0x04;
    static final int DEMAND = 0x02;
    static final int MULTIPOINT = 0x01;

    private BfdWire() {
    }

    /** Writes a 24-byte control packet; the caller has validated every value. */
    static void write(MemorySegment target, long offset, int diagnostic, int state, int flags, int detectMult,
            long myDiscriminator, long yourDiscriminator, long desiredMinTx, long requiredMinRx,
            long requiredMinEchoRx) {
        checkTarget(target, offset);
        long word0 = ((long) (Bfd.VERSION << 5 | diagnostic) << 56)
                | ((long) (state << 6 | flags) << 48)
                | ((long) detectMult << 40)
                | ((long) Bfd.CONTROL_PACKET_LENGTH << 32)
                | myDiscriminator;
        target.set(NetworkOrder.LONG, offset, word0);
        target.set(NetworkOrder.LONG, offset + YOUR_DISCRIMINATOR, yourDiscriminator << 32 | desiredMinTx);
        target.set(NetworkOrder.LONG, offset + REQUIRED_MIN_RX, requiredMinRx << 32 | requiredMinEchoRx);
    }

    static void checkTarget(MemorySegment target, long offset) {
        long size = target.byteSize();
        if (offset < 0 || offset > size) {
            throw new IllegalArgumentException("BFD packet offset " + offset + " is outside the buffer (size "
                    + size + ")");
        }
        if (size - offset < Bfd.CONTROL_PACKET_LENGTH) {
            throw new IllegalArgumentException("buffer too small: " + (size - offset)
                    + " bytes available from offset " + offset + " (needed: " + Bfd.CONTROL_PACKET_LENGTH
                    + " bytes)");
        }
    }

    static void checkRegion(long size, long offset, long length) {
        if (offset < 0 || offset > size || length < 0 || length > size - offset) {
            throw new IllegalArgumentException("region [" + offset + ", " + offset + " + " + length
                    + ") is outside the input (0.." + size + ")");
        }
    }
}
