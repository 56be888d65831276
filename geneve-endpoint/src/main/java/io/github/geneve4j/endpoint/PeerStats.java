package io.github.geneve4j.endpoint;

import io.github.geneve4j.endpoint.bfd.BfdSessionStatus;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * What an endpoint carried to and from one peer, and its BFD session's state when BFD is on.
 *
 * <pre>{@code
 * boolean up = stats.peers().get(0).bfdStatus().map(s -> s.state() == BfdState.UP).orElse(true);
 * }</pre>
 *
 * @param address the peer's Geneve address
 * @param framesSent inner frames sent to it (each segment of a super-frame counts)
 * @param bytesSent inner bytes sent to it (without the Geneve header)
 * @param framesReceived inner frames received from it and delivered
 * @param bytesReceived inner bytes received from it and delivered
 * @param floods frames sent to it as one copy of a flood (broadcast, multicast, or a destination MAC
 *     not known); the others went to it alone, their destination learned behind it
 * @param macs MAC addresses known behind it now, over every VNI (learned and static, not aged)
 * @param bfd its BFD session at the time of the snapshot; {@code null} when the endpoint runs no BFD
 *     (see {@link #bfdStatus()})
 */
public record PeerStats(InetSocketAddress address, long framesSent, long bytesSent, long framesReceived,
        long bytesReceived, long floods, long macs, BfdSessionStatus bfd) {

    /** Validates: an address, counts not negative. */
    public PeerStats {
        Objects.requireNonNull(address, "address");
        if (framesSent < 0 || bytesSent < 0 || framesReceived < 0 || bytesReceived < 0 || floods < 0 || macs < 0) {
            throw new IllegalArgumentException("negative count in " + framesSent + "/" + bytesSent + "/"
                    + framesReceived + "/" + bytesReceived + "/" + floods + "/" + macs + " (expected: 0 or more)");
        }
    }

    /** A peer of an endpoint without BFD. */
    public PeerStats(InetSocketAddress address, long framesSent, long bytesSent, long framesReceived,
            long bytesReceived, long floods, long macs) {
        this(address, framesSent, bytesSent, framesReceived, bytesReceived, floods, macs, null);
    }

    /** A peer of an endpoint without BFD, before learning counted floods and MACs (both 0). */
    public PeerStats(InetSocketAddress address, long framesSent, long bytesSent, long framesReceived,
            long bytesReceived) {
        this(address, framesSent, bytesSent, framesReceived, bytesReceived, 0, 0, null);
    }

    /** The BFD session's state, if the endpoint runs BFD. */
    public Optional<BfdSessionStatus> bfdStatus() {
        return Optional.ofNullable(bfd);
    }
}
