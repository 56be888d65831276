package io.github.geneve4j.endpoint;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * What an endpoint carried to and from one peer.
 *
 * @param address the peer's Geneve address
 * @param framesSent inner frames sent to it (each segment of a super-frame counts)
 * @param bytesSent inner bytes sent to it (without the Geneve header)
 * @param framesReceived inner frames received from it and delivered
 * @param bytesReceived inner bytes received from it and delivered
 */
public record PeerStats(InetSocketAddress address, long framesSent, long bytesSent, long framesReceived,
        long bytesReceived) {

    /** Validates: an address, counts not negative. */
    public PeerStats {
        Objects.requireNonNull(address, "address");
        if (framesSent < 0 || bytesSent < 0 || framesReceived < 0 || bytesReceived < 0) {
            throw new IllegalArgumentException("negative count in " + framesSent + "/" + bytesSent + "/"
                    + framesReceived + "/" + bytesReceived + " (expected: 0 or more)");
        }
    }
}
