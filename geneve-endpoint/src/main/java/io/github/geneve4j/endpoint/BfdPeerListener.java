package io.github.geneve4j.endpoint;

import io.github.geneve4j.endpoint.bfd.BfdDiagnostic;
import io.github.geneve4j.endpoint.bfd.BfdState;
import java.net.InetSocketAddress;

/**
 * Told of every state change of a peer's BFD session ({@link GeneveEndpoint.Builder#bfd}), in order,
 * on the endpoint's BFD thread (never its receive or send thread, never under a session's lock). A
 * listener that throws stops the endpoint, as a failing worker does.
 *
 * <pre>{@code
 * .bfdListener((peer, from, to, diag) -> log.info("{}: {} -> {} ({})", peer, from, to, diag))
 * }</pre>
 */
@FunctionalInterface
public interface BfdPeerListener {

    /**
     * Called when a peer's BFD session changes state, on the endpoint's BFD thread: return quickly.
     *
     * @param peer the peer, as configured
     * @param previous its session's state before
     * @param current its state now: data frames go to the peer again from {@code UP}, and stop on a
     *     change from {@code UP} to anything else
     * @param diagnostic why (the local diagnostic the session now sends)
     */
    void stateChanged(InetSocketAddress peer, BfdState previous, BfdState current, BfdDiagnostic diagnostic);
}
