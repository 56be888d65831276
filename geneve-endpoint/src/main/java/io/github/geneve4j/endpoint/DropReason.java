package io.github.geneve4j.endpoint;

/**
 * Why an endpoint did not carry a datagram or a frame. Every drop is counted under one of these
 * (see {@link EndpointStats#drops()}); none costs an exception, a string or an allocation.
 */
public enum DropReason {
    // --- from the tunnel (outer side) ---
    /** The datagram's source address is not a configured peer's. */
    NOT_A_PEER(true),
    /** Not a valid Geneve packet (RFC 8926 §3.4: too short, an unknown version, option lengths that do not add up). */
    MALFORMED(true),
    /** A VNI this endpoint does not serve. */
    WRONG_VNI(true),
    /** A protocol type other than Ethernet (0x6558). */
    WRONG_PROTOCOL(true),
    /** A control (O bit) packet: its payload is not forwarded (RFC 8926 §3.4). */
    CONTROL(true),
    /** A critical option this endpoint does not understand (RFC 8926 §3.5). */
    UNKNOWN_CRITICAL_OPTION(true),
    /**
     * An option the receive policy knows whose data length its descriptor forbids (e.g. a GCP VNID
     * option that is not 4 bytes long).
     */
    BAD_OPTION_LENGTH(true),
    /** Refused by the receive policy for another reason (e.g. a C bit that disagrees with the options, in strict mode). */
    POLICY(true),
    /** A payload too short to be an Ethernet frame. */
    RUNT_FRAME(true),
    /** The transport's receive failed (the error itself is reported once). */
    RECEIVE_ERROR(true),
    /** The frame device refused a decapsulated frame (it is down, or its buffer is full). */
    DEVICE_WRITE_ERROR(true),
    /**
     * A frame addressed to BFD (inner IPv4/UDP to port 3784) that is not a valid control packet: a
     * fragment, lengths that disagree, a bad IPv4 or UDP checksum, or a packet RFC 5880 §6.8.6 discards
     * on its own (version, length, multiplier, discriminator 0, the A bit). Never delivered.
     */
    BFD_MALFORMED(true),
    /** A BFD frame whose inner TTL is not 255 (RFC 5881 §5, RFC 9521 §4). Never delivered. */
    BFD_TTL_NOT_255(true),
    /** A BFD control packet its session discarded: a Your Discriminator not its own, or the session AdminDown (§6.8.6). */
    BFD_DISCARDED(true),
    /** A BFD control packet from a source that has no session (not a configured peer, with acceptAnySource). */
    BFD_NO_SESSION(true),
    /**
     * A BFD control packet (addressed to the tunnel's BFD MAC and IPv4 address) from an inner source
     * address other than the one configured explicitly ({@link GeneveEndpoint.Builder#bfdInnerAddresses}).
     */
    BFD_WRONG_SOURCE(true),
    /**
     * A BFD control packet without the Geneve O bit, while the endpoint demands it
     * ({@link GeneveEndpoint.Builder#bfdRequireOam}): a tenant behind a peer that does not filter its
     * tenants could have sent it.
     */
    BFD_NOT_OAM(true),

    // --- towards the tunnel (inner side) ---
    /** The device's read failed (the error itself is reported once). */
    DEVICE_READ_ERROR(false),
    /** A frame too short to be Ethernet. */
    SHORT_FRAME(false),
    /** A frame the device could not hand over whole (longer than the endpoint's buffer, its metadata cut short). */
    BAD_DEVICE_FRAME(false),
    /** A super-frame from a device while the endpoint's offload is off. */
    GSO_WITHOUT_OFFLOAD(false),
    /** A super-frame of a kind other than TCP over IPv4 or IPv6 (UDP fragmentation offload, ...). */
    UNSUPPORTED_GSO(false),
    /** A super-frame the segmenter refused (not TCP, a fragment, lengths that disagree). */
    BAD_SUPER_FRAME(false),
    /** A super-frame that would be cut into more segments than the send buffer holds. */
    TOO_MANY_SEGMENTS(false),
    /** A partial checksum whose offsets point outside the frame. */
    BAD_CHECKSUM_OFFSETS(false),
    /** The socket's send buffer was full. */
    SEND_BUFFER_FULL(false),
    /** The transport's send failed (the error itself is reported once). */
    SEND_ERROR(false),
    /**
     * A frame not sent to a peer because its BFD session went down after having been up (each
     * segment of a super-frame counts); sending resumes when it is up again.
     */
    PEER_DOWN(false),
    /**
     * A frame from the inner side (a device or a handler) addressed as the tunnel's own BFD: its BFD
     * destination MAC and IPv4 address, UDP to port 3784. A peer would take it for this endpoint's
     * BFD, so it never goes there; a tenant's own BFD (RFC 5881) to other addresses is data and passes.
     */
    BFD_FROM_INNER_SIDE(false);

    private final boolean fromTunnel;

    DropReason(boolean fromTunnel) {
        this.fromTunnel = fromTunnel;
    }

    /** Whether this reason is about datagrams from the tunnel (else about frames towards it). */
    public boolean fromTunnel() {
        return fromTunnel;
    }
}
