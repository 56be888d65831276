package io.github.geneve4j.endpoint.bfd;

/**
 * Told of every change of a session's state, on the thread that made it (the one calling
 * {@link BfdSession#onPacket}, {@link BfdSession#poll}, {@link BfdSession#adminDown} or
 * {@link BfdSession#enable}), while the session's lock is held: keep it short and do not block.
 *
 * <pre>{@code
 * BfdStateListener log = (session, from, to, diag) -> System.out.println(from + " -> " + to + " " + diag);
 * }</pre>
 */
@FunctionalInterface
public interface BfdStateListener {

    /** A listener that ignores every change. */
    BfdStateListener NONE = (session, previous, current, diagnostic) -> { };

    /**
     * Called when a session changes state, from the thread that fed the session.
     *
     * @param session the session that changed
     * @param previous its state before
     * @param current its state now
     * @param diagnostic why (the local diagnostic it now sends)
     */
    void stateChanged(BfdSession session, BfdState previous, BfdState current, BfdDiagnostic diagnostic);
}
