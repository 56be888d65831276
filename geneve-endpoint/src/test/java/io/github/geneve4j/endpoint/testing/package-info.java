/**
 * Test doubles for the endpoint's SPI, shared by the tests of every module (published in
 * {@code geneve-endpoint}'s test-jar): {@link io.github.geneve4j.endpoint.testing.MemoryTransport},
 * a datagram transport in memory (datagrams injected from any source, sends kept, two transports
 * connected back to back), and {@link io.github.geneve4j.endpoint.testing.MemoryDevice}, a frame
 * device in memory (frames injected with their offload metadata, writes kept). With them a test
 * drives an endpoint through the same interfaces as a socket and a TAP, on the endpoint's own
 * threads, without a network or root.
 *
 * <pre>{@code
 * <dependency>
 *   <groupId>io.github.geneve4j</groupId>
 *   <artifactId>geneve-endpoint</artifactId>
 *   <type>test-jar</type>
 *   <scope>test</scope>
 * </dependency>
 * }</pre>
 */
package io.github.geneve4j.endpoint.testing;
