/**
 * pcap and pcapng I/O with the JDK alone: {@link io.github.geneve4j.pcap.CaptureReader} (both formats, both
 * byte orders, every length checked) yields {@link io.github.geneve4j.pcap.CapturedPacket}s over the mapped
 * file; {@link io.github.geneve4j.pcap.PcapWriter} writes classic pcap; damage is a
 * {@link io.github.geneve4j.pcap.CaptureFormatException} with its file offset.
 */
package io.github.geneve4j.pcap;
