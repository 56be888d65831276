/**
 * The Geneve tunnel endpoint engine: {@link io.github.geneve4j.endpoint.GeneveEndpoint}, built with its
 * builder, started and closed; who may talk to it, how it counts and its lifecycle are described there.
 *
 * <p><b>Peers, learning, VNIs.</b> An endpoint has any number of peers, added at build time
 * ({@link GeneveEndpoint.Builder#peer}) or while it runs ({@link GeneveEndpoint#addPeer},
 * {@link GeneveEndpoint#removePeer}). Each VNI it serves has a {@link MacTable}: the inner source MAC
 * of every frame from a peer is learned as behind that peer; a frame to a learned MAC goes to that
 * peer alone, broadcast, multicast and unknown unicast to every peer (encapsulated once, the same
 * memory sent to each). What comes from a peer is delivered to the inner side only, never to another
 * peer (split horizon). Several VNIs share one transport, each with its device
 * ({@link GeneveEndpoint.Builder#network(int, io.github.geneve4j.endpoint.spi.FrameDevice)}).
 *
 * <pre>{@code
 * GeneveEndpoint.builder().transport(socket)
 *         .peer(hostB).peer(hostC).peer(hostD)                 // a full mesh: every other host
 *         .network(5000, Tap.open("red", true)).network(5001, Tap.open("blue", true))
 *         .macTable(65_536, Duration.ofSeconds(300))
 *         .start();
 * }</pre>
 *
 * <p><b>Tunnel liveness (BFD).</b> With
 * {@link GeneveEndpoint.Builder#bfd(io.github.geneve4j.endpoint.bfd.BfdTimers)} the endpoint runs one
 * BFD session per peer inside the tunnel (RFC 5880 asynchronous mode, RFC 9521 §4 encapsulation,
 * Open vSwitch's defaults; see {@link io.github.geneve4j.endpoint.bfd}) on a thread of its own, timed
 * by the endpoint's {@linkplain GeneveEndpoint.Builder#clock clock}. BFD packets (addressed to the
 * tunnel's BFD MAC and IPv4 address) are consumed, never delivered to the inner side, and frames
 * from the inner side addressed so are never sent to a peer ({@link DropReason#BFD_FROM_INNER_SIDE}):
 * a tenant cannot move a session; a tenant's own BFD to other addresses is data. While a peer's
 * session is down after having been up, data frames are not sent to it (counted as
 * {@link DropReason#PEER_DOWN}), until it is up again. Each session's state is in
 * {@link PeerStats#bfd()} and reaches {@link GeneveEndpoint.Builder#bfdListener}.
 *
 * <pre>{@code
 * GeneveEndpoint.builder().local(local).peer(ovs).vni(5000).device(tap)
 *         .bfd(BfdTimers.ofMillis(300, 300, 3))          // OVS: bfd:min_tx=300 bfd:min_rx=300 bfd:mult=3
 *         .bfdListener((peer, from, to, diag) -> System.out.println(peer + " " + to))
 *         .start();
 * }</pre>
 */
package io.github.geneve4j.endpoint;
