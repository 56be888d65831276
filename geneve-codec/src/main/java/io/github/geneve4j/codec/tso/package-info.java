/**
 * Software TSO and GRO for Geneve: {@link io.github.geneve4j.codec.tso.TcpSegmenter} cuts a large inner TCP
 * frame into MTU-sized Geneve frames (copy mode, or gather mode through a
 * {@link io.github.geneve4j.codec.tso.SegmentCursor} that leaves the payload in place), and
 * {@link io.github.geneve4j.codec.tso.TcpCoalescer} merges consecutive TCP segments of one flow back into
 * one frame, refusing anything it could not merge exactly.
 */
package io.github.geneve4j.codec.tso;
