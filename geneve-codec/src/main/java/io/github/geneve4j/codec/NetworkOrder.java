package io.github.geneve4j.codec;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * The value layouts of network byte order (big-endian, RFC 1700), for reading and writing wire
 * fields of a {@link MemorySegment} whatever the platform's order.
 *
 * <pre>{@code
 * int vni = frame.get(NetworkOrder.INT, geneveAt + Geneve.VNI_OFFSET) >>> 8;
 * int port = frame.get(NetworkOrder.SHORT, udpAt + UdpView.DESTINATION_PORT_OFFSET) & 0xFFFF;
 * }</pre>
 *
 * <p>The layouts are unaligned, since wire fields sit at any offset and heap segments guarantee only
 * byte alignment, and {@code static final}, so that the JIT folds them: a layout built on the access
 * path ({@code withOrder} per read) costs an allocation and defeats inlining. Java's integral types are
 * signed: mask what is read ({@code & 0xFFFF}, {@code & 0xFFFF_FFFFL}) for an unsigned field. A single
 * byte has no order: read it with {@link ValueLayout#JAVA_BYTE}.
 */
public final class NetworkOrder {

    /** A 16-bit field in network order, unaligned. */
    public static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    /** A 32-bit field in network order, unaligned. */
    public static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    /** A 64-bit field in network order, unaligned. */
    public static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private NetworkOrder() {
    }
}
