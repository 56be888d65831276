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
 * @param bfd its BFD session at the time of the snapshot; {@code null} when the endpoint runs no BFD
 *     (see {@link #bfdStatus()})
 */
public record PeerStats(InetSocketAddress address, long framesSent, long bytesSent, long framesReceived,
        long bytesReceived, BfdSessionStatus bfd) {

    /** Validates: an address, counts not negative. */
    public PeerStats {
        Objects.requireNonNull(address, "address");
        if (framesSent < 0 || bytesSent < 0 || framesReceived < 0 || bytesReceived < 0) {
            throw new IllegalArgumentException("negative count in " + framesSent + "/" + bytesSent + "/"
                    + framesReceived + "/" + bytesReceived + " (expected: 0 or more)");
        }
    }

    /** A peer of an endpoint without BFD. */
    public PeerStats(InetSocketAddress address, long framesSent, long bytesSent, long framesReceived,
            long bytesReceived) {
        this(address, framesSent, bytesSent, framesReceived, bytesReceived, null);
    }

    /** The BFD session's state, if the endpoint runs BFD. */
    public Optional<BfdSessionStatus> bfdStatus() {
        return Optional.ofNullable(bfd);
    }
}
