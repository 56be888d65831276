package io.github.geneve4j.endpoint;

/**
 * One VNI's MAC table at the time of a snapshot ({@link EndpointStats#macTables()}); see {@link MacTable}.
 *
 * @param vni the VNI
 * @param entries live entries (learned and static, not aged)
 * @param maxEntries the table's bound
 * @param learned entries learned since the start (new MACs, and MACs seen again after they aged)
 * @param moves known MACs seen behind another peer
 * @param heldMoves moves held back: a broadcast or multicast frame from another peer while the entry was fresh
 * @param evictions live entries evicted to make room (a full set, or the table at its bound)
 * @param aged entries that aged out (counted as their slots were reused or swept)
 * @param refusals MACs not learned (a set full of static entries, a static MAC seen behind another peer)
 * @param shareRefusals MACs of a peer not learned because it held its share of the table already
 *     ({@link GeneveEndpoint.Builder#macMaxPerPeer}) and had no entry of its own to replace
 */
public record MacTableStats(int vni, int entries, int maxEntries, long learned, long moves, long heldMoves, long evictions, long aged,
        long refusals, long shareRefusals) {

    /** Validates: counts not negative. */
    public MacTableStats {
        if (entries < 0 || maxEntries < 1 || learned < 0 || moves < 0 || heldMoves < 0 || evictions < 0 || aged < 0 || refusals < 0
                || shareRefusals < 0) {
            throw new IllegalArgumentException("MAC table counts " + entries + "/" + maxEntries + "/" + learned + "/"
                    + moves + "/" + heldMoves + "/" + evictions + "/" + aged + "/" + refusals + "/" + shareRefusals
                    + " (expected: 0 or more)");
        }
    }

    /** A table's statistics without share refusals (as before {@code shareRefusals} was a component). */
    public MacTableStats(int vni, int entries, int maxEntries, long learned, long moves, long heldMoves, long evictions,
            long aged, long refusals) {
        this(vni, entries, maxEntries, learned, moves, heldMoves, evictions, aged, refusals, 0);
    }
}
