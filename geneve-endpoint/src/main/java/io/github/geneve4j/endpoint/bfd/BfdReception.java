package io.github.geneve4j.endpoint.bfd;

/**
 * What {@link BfdSession#onPacket} made of a control packet, and what the caller must do next.
 * The rules that a packet fails on its own are {@link BfdFormatException.Reason}s, reported by
 * {@link BfdControlView#tryWrap} before a session sees the packet.
 */
public enum BfdReception {
    /** Accepted: the session's state and timers are updated; nothing to send now. */
    ACCEPTED,
    /**
     * Accepted, and the packet had Poll set: a packet with Final is due at once (RFC 5880 §6.5,
     * §6.8.7). Call {@link BfdSession#writePacket} and send it, without waiting for the timer.
     */
    ACCEPTED_FINAL_DUE,
    /** Discarded: Your Discriminator is neither 0 nor this session's (§6.8.6; a stale peer). */
    DISCARDED_WRONG_DISCRIMINATOR,
    /** Discarded after recording the peer's fields: this session is AdminDown (§6.8.6). */
    DISCARDED_ADMIN_DOWN;

    /** Whether the packet was accepted (it restarted the detection timer). */
    public boolean accepted() {
        return this == ACCEPTED || this == ACCEPTED_FINAL_DUE;
    }
}
