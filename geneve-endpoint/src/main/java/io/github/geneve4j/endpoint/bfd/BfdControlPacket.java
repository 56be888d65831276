package io.github.geneve4j.endpoint.bfd;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

/**
 * An immutable BFD control packet without authentication (RFC 5880 §4.1): the value counterpart of
 * {@link BfdControlView}. The compact constructor enforces what §6.8.6 would make a receiver discard,
 * so every record encodes to a packet a conforming peer accepts.
 *
 * <pre>{@code
 * var hello = new BfdControlPacket(0, BfdState.DOWN, false, false, false, false, 3,
 *         0x1234, 0, 1_000_000, 1_000_000, 0);
 * int n = hello.encode(segment, offset);                   // 24
 * }</pre>
 *
 * @param diagnosticCode the Diag field, 0..31 (see {@link BfdDiagnostic})
 * @param state the Sta field
 * @param poll the P bit
 * @param finalFlag the F bit ({@code final} is a Java keyword); never together with {@code poll} (§6.5)
 * @param controlPlaneIndependent the C bit
 * @param demand the D bit
 * @param detectMult Detect Mult, 1..255
 * @param myDiscriminator My Discriminator, 1..2^32-1
 * @param yourDiscriminator Your Discriminator, 0..2^32-1; 0 only in Down and AdminDown
 * @param desiredMinTxMicros Desired Min TX Interval in microseconds, 0..2^32-1
 * @param requiredMinRxMicros Required Min RX Interval in microseconds, 0..2^32-1
 * @param requiredMinEchoRxMicros Required Min Echo RX Interval in microseconds, 0..2^32-1
 */
public record BfdControlPacket(
        int diagnosticCode,
        BfdState state,
        boolean poll,
        boolean finalFlag,
        boolean controlPlaneIndependent,
        boolean demand,
        int detectMult,
        long myDiscriminator,
        long yourDiscriminator,
        long desiredMinTxMicros,
        long requiredMinRxMicros,
        long requiredMinEchoRxMicros) {

    /** Validates every field; see the component descriptions. */
    public BfdControlPacket {
        if (diagnosticCode < 0 || diagnosticCode > 31) {
            throw new IllegalArgumentException("diagnostic " + diagnosticCode + " (expected: 0..31)");
        }
        Objects.requireNonNull(state, "state");
        if (poll && finalFlag) {
            throw new IllegalArgumentException("Poll and Final both set (expected: at most one, RFC 5880 §6.5)");
        }
        if (detectMult < 1 || detectMult > 255) {
            throw new IllegalArgumentException("Detect Mult " + detectMult + " (expected: 1..255)");
        }
        if (myDiscriminator < 1 || myDiscriminator > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("My Discriminator " + myDiscriminator + " (expected: 1..4294967295)");
        }
        checkU32("Your Discriminator", yourDiscriminator);
        if (yourDiscriminator == 0 && (state == BfdState.INIT || state == BfdState.UP)) {
            throw new IllegalArgumentException("Your Discriminator 0 in state " + state
                    + " (expected: non-zero unless Down or AdminDown, RFC 5880 §6.8.6)");
        }
        checkU32("Desired Min TX Interval", desiredMinTxMicros);
        checkU32("Required Min RX Interval", requiredMinRxMicros);
        checkU32("Required Min Echo RX Interval", requiredMinEchoRxMicros);
    }

    private static void checkU32(String field, long value) {
        if (value < 0 || value > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException(field + " " + value + " (expected: 0..4294967295)");
        }
    }

    /** The Diag field as a constant ({@link BfdDiagnostic#RESERVED} for 9..31). */
    public BfdDiagnostic diagnostic() {
        return BfdDiagnostic.ofCode(diagnosticCode);
    }

    /**
     * Decodes the packet at {@code offset}, of which the transport carried {@code length} bytes.
     *
     * @throws BfdFormatException if §6.8.6 says to discard it
     * @throws IllegalArgumentException if the region lies outside the segment
     */
    public static BfdControlPacket decode(MemorySegment segment, long offset, long length) {
        return new BfdControlView().wrap(segment, offset, length).toPacket();
    }

    /**
     * Decodes a whole array as one packet.
     *
     * @throws BfdFormatException if §6.8.6 says to discard it
     */
    public static BfdControlPacket decode(byte[] bytes) {
        return decode(MemorySegment.ofArray(bytes), 0, bytes.length);
    }

    /**
     * Writes the 24 bytes of this packet at {@code offset} (version 1, Length 24, A and M clear).
     *
     * @return {@value Bfd#CONTROL_PACKET_LENGTH}
     * @throws IllegalArgumentException if fewer than 24 bytes remain from {@code offset}
     */
    public int encode(MemorySegment target, long offset) {
        int flags = (poll ? BfdWire.POLL : 0) | (finalFlag ? BfdWire.FINAL : 0)
                | (controlPlaneIndependent ? BfdWire.CONTROL_PLANE_INDEPENDENT : 0) | (demand ? BfdWire.DEMAND : 0);
        BfdWire.write(target, offset, diagnosticCode, state.code(), flags, detectMult, myDiscriminator,
                yourDiscriminator, desiredMinTxMicros, requiredMinRxMicros, requiredMinEchoRxMicros);
        return Bfd.CONTROL_PACKET_LENGTH;
    }

    /** The 24 encoded bytes. */
    public byte[] toBytes() {
        byte[] bytes = new byte[Bfd.CONTROL_PACKET_LENGTH];
        encode(MemorySegment.ofArray(bytes), 0);
        return bytes;
    }

    @Override
    public String toString() {
        StringBuilder flags = new StringBuilder();
        if (poll) {
            flags.append(" P");
        }
        if (finalFlag) {
            flags.append(" F");
        }
        if (controlPlaneIndependent) {
            flags.append(" C");
        }
        if (demand) {
            flags.append(" D");
        }
        return "BfdControlPacket[" + state + " diag " + diagnosticCode + " (" + diagnostic() + ")"
                + flags + " mult " + detectMult
                + " my 0x" + Long.toHexString(myDiscriminator) + " your 0x" + Long.toHexString(yourDiscriminator)
                + " minTx " + desiredMinTxMicros + "us minRx " + requiredMinRxMicros + "us minEchoRx "
                + requiredMinEchoRxMicros + "us]";
    }
}
