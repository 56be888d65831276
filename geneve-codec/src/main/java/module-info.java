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
}
