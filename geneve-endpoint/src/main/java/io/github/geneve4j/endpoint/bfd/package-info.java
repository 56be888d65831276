/**
 * BFD (RFC 5880) run inside a Geneve tunnel (RFC 9521), interoperable with Open vSwitch: the control
 * packet codec, the inner-frame encapsulation and classifier, and the session state machine.
 * {@link io.github.geneve4j.endpoint.GeneveEndpoint.Builder#bfd} runs one session per peer with
 * these pieces (and gates data on them); use them directly to run BFD over a data path of your own.
 *
 * <h2>The pieces</h2>
 * <ul>
 *   <li>{@link io.github.geneve4j.endpoint.bfd.BfdControlView} (allocation-free view, {@code tryWrap}
 *       with a {@link io.github.geneve4j.endpoint.bfd.BfdFormatException.Reason}) and
 *       {@link io.github.geneve4j.endpoint.bfd.BfdControlPacket} (validated record, encoder): RFC 5880
 *       §4.1 without authentication. The view applies every §6.8.6 discard rule the packet decides
 *       alone; the session applies the rest.</li>
 *   <li>{@link io.github.geneve4j.endpoint.bfd.BfdEncapsulation}: the inner Ethernet/IPv4/UDP frame
 *       (RFC 9521 §4) around a session's packets, and the O bit of its Geneve header;
 *       {@link io.github.geneve4j.endpoint.bfd.BfdFrameClassifier}: is a decapsulated frame BFD's, and
 *       where is the packet ({@link io.github.geneve4j.endpoint.bfd.BfdFrameVerdict}).</li>
 *   <li>{@link io.github.geneve4j.endpoint.bfd.BfdSession}: asynchronous mode (§6), driven by its
 *       caller: {@code onPacket(view, now)}, {@code poll(now)}, {@code nextDeadline()},
 *       {@code writePacket(target, offset)}; a {@link io.github.geneve4j.endpoint.bfd.BfdStateListener}
 *       hears every state change.</li>
 * </ul>
 *
 * <h2>Design notes</h2>
 * <ul>
 *   <li>No thread, timer or clock of its own: a session is a state machine over the caller's
 *       monotonic nanosecond clock (injectable, so tests run hours of protocol in milliseconds), and
 *       nothing on the per-packet path allocates or throws. Its methods are {@code synchronized} so a
 *       receive thread and a BFD sending thread can share it; {@code state()} and {@code dataAllowed()}
 *       are lock-free volatile reads for a data path that gates on them.</li>
 *   <li>Discards are statuses, never exceptions: {@code BfdFormatException.Reason} for the packet's own
 *       faults, {@link io.github.geneve4j.endpoint.bfd.BfdReception} for the session's (a stale Your
 *       Discriminator, AdminDown), {@code BfdFrameVerdict} for the inner frame's (TTL, checksums).</li>
 *   <li>Active role only; no Demand mode (a peer's D bit is honoured as §6.8.6 requires, by ceasing
 *       periodic packets, but never set), no Echo (Required Min Echo RX is sent as 0), no
 *       authentication (an A bit is a discard, §6.8.6).</li>
 *   <li>Intervals are microseconds as on the wire. The periodic interval is
 *       {@code max(Desired Min TX in effect, remote Required Min RX)}, each reduced by a random 0–25%
 *       (10–25% when the local Detect Mult is 1) (§6.8.7); a Final answers a Poll at once, outside that
 *       schedule. Desired Min TX is at least 1 s while not Up (§6.8.3). Detection time = remote Detect
 *       Mult × max(local Required Min RX in effect, remote Desired Min TX) (§6.8.4).</li>
 *   <li>Poll sequences (§6.5, §6.8.3): the advertised intervals change only at the start of a sequence
 *       and stay fixed until its Final, so every Final answers exactly what was asked; a change made
 *       meanwhile waits for that Final and one more packet without Final (the third choice of
 *       §6.8.3). A slower TX and a faster RX take effect locally at the Final; the safe directions at
 *       once. In Down and AdminDown new values apply at once, without a Poll.</li>
 *   <li>A detection time without packets forgets the peer (§6.8.1: Your Discriminator 0, remote Required
 *       Min RX back to 1 µs), so a peer that restarted with a new discriminator is taken in again;
 *       a Down from the peer's signal keeps its discriminator, as §6.8.6 leaves it.</li>
 *   <li>AdminDown (§6.8.16) keeps sending, at the slow rate, so the peer learns it at once.</li>
 *   <li>The inner UDP checksum is computed by default (52 bytes: the cost is nil, and any inner stack
 *       or capture can verify it); {@code withUdpChecksum(false)} sends 0 as OVS does. On receipt 0 is
 *       accepted and anything else must verify; the inner IPv4 header checksum must verify.</li>
 *   <li>IPv4 inner only, untagged (RFC 9521 §4's Ethernet payload, the only one OVS sends and takes).</li>
 * </ul>
 *
 * <h2>Open vSwitch and RFC 9521 / RFC 5880: the differences, and what we do</h2>
 * Checked against OVS 3.1 ({@code lib/bfd.c}) and, in the test suite, against a running OVS
 * ({@code BfdOvsInteropTest}); the README's "Tunnel liveness: BFD" has the measured times.
 * <ul>
 *   <li>Geneve O bit: RFC 9521 §4 says a BFD packet MUST set it; OVS sends 0 unless
 *       {@code bfd:oam=true}. We send 1 by default ({@link io.github.geneve4j.endpoint.bfd.BfdEncapsulation#oam()},
 *       configurable) and take either on receipt: the classifier never looks at it (the engine can demand
 *       it, {@code GeneveEndpoint.Builder.bfdRequireOam}).</li>
 *   <li>Payload format: OVS sends and takes only RFC 9521 §4's Ethernet payload (protocol type 0x6558)
 *       and drops §5's IP payload; we send §4's only.</li>
 *   <li>Inner headers: OVS sends to MAC 00:23:20:00:00:01 from the port's MAC, 169.254.1.1 →
 *       169.254.1.0 (its {@code bfd_src_ip}/{@code bfd_dst_ip}), TTL 255, UDP source 49152 + a
 *       per-session counter, checksum 0. Our defaults are the same addresses, TTL and port range
 *       (RFC 5881 §4, §5), all configurable; it checks the destination address only when
 *       {@code bfd_src_ip} is set, which {@code new BfdFrameClassifier(address)} mirrors. It ignores a
 *       TTL other than 255 silently; we consume such a frame and say {@code TTL_NOT_255}.</li>
 *   <li>Detection time: OVS multiplies by its own {@code bfd:mult}, not the remote Detect Mult of
 *       RFC 5880 §6.8.4; with equal multipliers on both sides (the usual case) the results agree.</li>
 *   <li>Jitter: OVS reduces every interval by 0–25%, also when its multiplier is 1, where §6.8.7 asks
 *       for 10–25%; we follow §6.8.7.</li>
 *   <li>Poll: OVS sends its first Poll at once rather than on the next periodic packet (§6.5), polls in
 *       Init and Up only, and clears the remote discriminator whenever it goes Down, not only after a
 *       detection time (§6.8.1). All of this interoperates with a peer that follows the RFC.</li>
 *   <li>Units: OVS keeps intervals in whole milliseconds and truncates what it receives (at least
 *       1 ms); configure multiples of 1000 µs ({@link io.github.geneve4j.endpoint.bfd.BfdTimers#ofMillis})
 *       to be read exactly.</li>
 *   <li>Your Discriminator: OVS drops every packet whose non-zero Your Discriminator is not its own
 *       ("Incorrect your_disc"), as §6.8.6 says; a restarted peer must begin with 0, which a new
 *       session does and an expired one returns to.</li>
 *   <li>Length: OVS takes a Length above 24 with a warning; so do we (bytes after 24 are ignored), and
 *       we drop a Length beyond the UDP payload (§6.8.6).</li>
 * </ul>
 */
package io.github.geneve4j.endpoint.bfd;
