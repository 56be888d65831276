/**
 * The Geneve wire format (RFC 8926 §3): the immutable {@link io.github.geneve4j.codec.GeneveHeader} and
 * {@link io.github.geneve4j.codec.GeneveOption} records with their codecs, and the allocation-free
 * {@link io.github.geneve4j.codec.GeneveView} (with its {@link io.github.geneve4j.codec.GeneveOptionCursor})
 * over heap or direct {@code ByteBuffer}s and heap or native {@code MemorySegment}s. Malformed input is
 * reported as a {@link io.github.geneve4j.codec.GeneveFormatException} with a reason and the byte offset.
 */
package io.github.geneve4j.codec;
