/**
 * Geneve (RFC 8926) wire format: immutable records, allocation-free views and zero-copy codecs
 * over {@link java.nio.ByteBuffer} and {@link java.lang.foreign.MemorySegment}.
 *
 * <p>Depends on the JDK alone. The {@code internal} package holds layout constants and checks and is
 * not exported.
 */
module io.github.geneve4j.codec {
    exports io.github.geneve4j.codec;
    exports io.github.geneve4j.codec.net;
    exports io.github.geneve4j.codec.tunnel;
    exports io.github.geneve4j.codec.tso;
    // Internals.Coalescer, the engine's old way to the coalescer's GSO figures (now TcpCoalescer's
    // public headerLength, checksumStart, ipVersion): drop once the endpoint no longer names it
    exports io.github.geneve4j.codec.internal to io.github.geneve4j.endpoint;
}
