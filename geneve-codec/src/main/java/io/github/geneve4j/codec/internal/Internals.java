package io.github.geneve4j.codec.internal;

import io.github.geneve4j.codec.tso.TcpCoalescer;
import io.github.geneve4j.codec.tunnel.GeneveTunnel;
import java.lang.foreign.MemorySegment;

/**
 * What one package of the codec needs of another that no user needs: each class hands its
 * implementation over in its static initializer, so the members stay package-private. Not exported,
 * except to {@code io.github.geneve4j.endpoint} for {@link Coalescer}, the old way to the merged
 * frame's GSO figures, now {@link TcpCoalescer}'s public {@code headerLength()},
 * {@code checksumStart()} and {@code ipVersion()}: remove both once no caller is left.
 */
public final class Internals {

    /** {@link GeneveTunnel}'s header writer, for the segmenter. */
    public interface Tunnel {
        /** See {@code GeneveTunnel.writeHeaders}. */
        int writeHeaders(GeneveTunnel tunnel, MemorySegment target, long offset, long innerLength, int sourcePort,
                long innerSum);
    }

    /**
     * What a GSO write of a {@link TcpCoalescer}'s merged frame needs besides its segment size; the
     * coalescer's public methods of the same meaning answer it.
     */
    public interface Coalescer {
        /** The merged frame's Ethernet, IP and TCP header bytes ({@code hdr_len}). */
        int headerLength(TcpCoalescer coalescer);

        /** The merged frame's TCP header offset ({@code csum_start}): {@code TcpCoalescer.checksumStart()}. */
        int transportOffset(TcpCoalescer coalescer);

        /** Whether the merged frame is IPv4 (else IPv6). */
        boolean ipv4(TcpCoalescer coalescer);
    }

    // volatile: set by another class's initializer, read by any thread that holds an instance of it
    private static volatile Tunnel tunnel;
    private static volatile Coalescer coalescer;

    private Internals() {
    }

    /** Called once, by {@link GeneveTunnel}'s static initializer. */
    public static void tunnel(Tunnel access) {
        tunnel = access;
    }

    /** Called once, by {@link TcpCoalescer}'s static initializer. */
    public static void coalescer(Coalescer access) {
        coalescer = access;
    }

    /** {@link GeneveTunnel}'s; an instance of it exists by then, so its class is initialized. */
    public static Tunnel tunnel() {
        return tunnel;
    }

    /** {@link TcpCoalescer}'s; an instance of it exists by then, so its class is initialized. */
    public static Coalescer coalescer() {
        return coalescer;
    }

    /** One's complement negation of a 16-bit value: adding it takes the value out of a partial sum. */
    public static int negate(int value) {
        return ~value & 0xFFFF;
    }
}
