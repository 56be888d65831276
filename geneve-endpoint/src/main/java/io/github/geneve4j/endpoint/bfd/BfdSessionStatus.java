package io.github.geneve4j.endpoint.bfd;

import java.util.Objects;

/**
 * A snapshot of one session, read under its lock at one instant ({@link BfdSession#status()}), for
 * statistics: never read per packet.
 *
 * <pre>{@code
 * BfdSessionStatus s = session.status();
 * System.out.println(s.state() + " since " + s.upTransitions() + " ups, detection " + s.detectionTimeNanos() / 1e6 + " ms");
 * }</pre>
 *
 * @param state bfd.SessionState
 * @param diagnostic bfd.LocalDiag, why it last changed
 * @param remoteState the peer's state as its last accepted packet said (Down after a detection time)
 * @param localDiscriminator bfd.LocalDiscr (unsigned, never 0)
 * @param remoteDiscriminator bfd.RemoteDiscr (unsigned; 0 until a packet is accepted and after a timeout)
 * @param dataAllowed whether data frames may go to the peer: Up, or never yet Up
 * @param upTransitions how many times the session has come Up
 * @param packetsSent control packets sent
 * @param packetsAccepted control packets accepted
 * @param packetsDiscarded control packets the session discarded (a stale Your Discriminator, AdminDown)
 * @param detectionTimeNanos the detection time computed at the last accepted packet; 0 before any
 */
public record BfdSessionStatus(BfdState state, BfdDiagnostic diagnostic, BfdState remoteState,
        long localDiscriminator, long remoteDiscriminator, boolean dataAllowed, long upTransitions,
        long packetsSent, long packetsAccepted, long packetsDiscarded, long detectionTimeNanos) {

    /** Validates: states and diagnostic present, counts not negative. */
    public BfdSessionStatus {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(diagnostic, "diagnostic");
        Objects.requireNonNull(remoteState, "remoteState");
        if (upTransitions < 0 || packetsSent < 0 || packetsAccepted < 0 || packetsDiscarded < 0
                || detectionTimeNanos < 0) {
            throw new IllegalArgumentException("negative count in " + upTransitions + "/" + packetsSent + "/"
                    + packetsAccepted + "/" + packetsDiscarded + "/" + detectionTimeNanos + " (expected: 0 or more)");
        }
    }
}
