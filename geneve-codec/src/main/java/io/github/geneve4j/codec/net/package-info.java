/**
 * Allocation-free views of the headers around and inside a tunnel: Ethernet (with 802.1Q/802.1ad tags),
 * IPv4, IPv6, UDP and TCP, each re-wrappable over a {@code MemorySegment} with a non-throwing
 * {@code tryWrap}; the Internet checksum (RFC 1071) and the flow hash that picks a tunnel's UDP
 * source port.
 */
package io.github.geneve4j.codec.net;
