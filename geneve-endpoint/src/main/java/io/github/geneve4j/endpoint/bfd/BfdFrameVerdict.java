package io.github.geneve4j.endpoint.bfd;

/**
 * What {@link BfdFrameClassifier#classify} found in a decapsulated inner frame. Every verdict but
 * {@link #NOT_BFD} means the frame was addressed to BFD (inner IPv4, UDP destination port 3784) and
 * belongs to the endpoint, never to the inner side: deliver it nowhere, count the rejections.
 */
public enum BfdFrameVerdict {
    /** Not IPv4/UDP to port 3784 (or an untagged-only rule not met): an ordinary data frame. */
    NOT_BFD,
    /** A BFD control packet for us, at {@link BfdFrameClassifier#payloadOffset()}: wrap it in a view. */
    CONTROL_PACKET,
    /** To port 3784 but with lengths that do not hold together, or a fragment. */
    MALFORMED,
    /** The IPv4 header checksum, or a non-zero UDP checksum, does not verify. */
    BAD_CHECKSUM,
    /** The TTL is not 255 (RFC 5881 §5, RFC 9521 §4): maybe not from the tunnel's other end. */
    TTL_NOT_255,
    /** The inner destination address is not the one this endpoint expects. */
    WRONG_DESTINATION,
    /** The inner source address is not the one configured ({@link BfdFrameClassifier#fromSource}). */
    WRONG_SOURCE;

    /** Whether the frame was BFD's, accepted or not, and must not be delivered as data. */
    public boolean consumed() {
        return this != NOT_BFD;
    }
}
