package io.github.geneve4j.codec.internal;

import io.github.geneve4j.codec.tunnel.GeneveTunnel;
import java.lang.foreign.MemorySegment;

/**
 * What one package of the codec needs of another that no user needs: each class hands its
 * implementation over in its static initializer, so the members stay package-private. Not exported.
 */
public final class Internals {

    /** {@link GeneveTunnel}'s header writer, for the segmenter. */
    public interface Tunnel {
        /** See {@code GeneveTunnel.writeHeaders}. */
        int writeHeaders(GeneveTunnel tunnel, MemorySegment target, long offset, long innerLength, int sourcePort,
                long innerSum);
    }


    // volatile: set by another class's initializer, read by any thread that holds an instance of it
    private static volatile Tunnel tunnel;

    private Internals() {
    }

    /** Called once, by {@link GeneveTunnel}'s static initializer. */
    public static void tunnel(Tunnel access) {
        tunnel = access;
    }


    /** {@link GeneveTunnel}'s; an instance of it exists by then, so its class is initialized. */
    public static Tunnel tunnel() {
        return tunnel;
    }


    /** One's complement negation of a 16-bit value: adding it takes the value out of a partial sum. */
    public static int negate(int value) {
        return ~value & 0xFFFF;
    }
}
