package io.github.geneve4j.linux.xdp;

/**
 * The kernel's counters for one XDP socket ({@code XDP_STATISTICS}, {@code struct xdp_statistics}),
 * and the frames this side dropped.
 *
 * @param rxDropped frames the kernel dropped for this socket (no room in the UMEM, too long)
 * @param rxInvalidDescriptors fill-ring entries the kernel refused
 * @param txInvalidDescriptors TX descriptors the kernel refused (address or length outside a chunk)
 * @param rxRingFull frames dropped because the RX ring was full (the worker is behind)
 * @param rxFillRingEmpty times the kernel found the fill ring empty
 * @param txRingEmpty times the kernel found the TX ring empty when woken
 * @param txRingFullDrops replies this side dropped because the TX ring stayed full
 */
public record XdpStatistics(long rxDropped, long rxInvalidDescriptors, long txInvalidDescriptors, long rxRingFull,
        long rxFillRingEmpty, long txRingEmpty, long txRingFullDrops) {
}
