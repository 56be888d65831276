package io.github.geneve4j.gwlb;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A snapshot of an appliance's counters ({@link GwlbAppliance#stats()}): datagrams received and sent
 * back, drops by reason, the flow table, and whether every receive thread is alive.
 *
 * @param received datagrams received (each one of a GRO batch counts)
 * @param receivedBytes their bytes (UDP payload)
 * @param forwarded datagrams sent back to GWLB
 * @param forwardedBytes their bytes (UDP payload)
 * @param receiveCalls receive batches that returned data, one receive call each on sockets (fewer than
 *     {@code received} when the kernel or the I/O batched datagrams: UDP GRO, {@code recvmmsg})
 * @param drops datagrams not sent back, by reason (every reason present)
 * @param activeTcpFlows TCP flows seen within the TCP idle timeout
 * @param activeOtherFlows other flows (UDP, ICMP, ...) seen within the other idle timeout
 * @param flowsCreated flows started since the appliance started
 * @param flowsExpired flows that went idle past their timeout
 * @param flowTableFull packets whose flow found no room in the table (forwarded untracked)
 * @param flowCapacity the flow table's slots
 * @param endpoints live flows per GWLB endpoint ID, by endpoint ID
 * @param toKernel kernel-inspection mode: packets written to an ingress device
 * @param fromKernel kernel-inspection mode: packets read from an egress device and returned to GWLB
 * @param kernelEndpoints kernel-inspection mode: endpoint IDs with a device pair
 * @param kernelEndpointFailures kernel-inspection mode: times an endpoint's devices or hook failed
 * @param kernelEndpointsReclaimed kernel-inspection mode: endpoint IDs reclaimed after their idle time
 * @param receiveThreads receive threads started
 * @param liveThreads receive threads still running
 * @param healthy {@link GwlbAppliance#healthy()} when the snapshot was taken
 */
public record GwlbStats(long received, long receivedBytes, long forwarded, long forwardedBytes, long receiveCalls,
        Map<GwlbDropReason, Long> drops, long activeTcpFlows, long activeOtherFlows, long flowsCreated,
        long flowsExpired, long flowTableFull, int flowCapacity, List<EndpointFlows> endpoints, long toKernel,
        long fromKernel, int kernelEndpoints, long kernelEndpointFailures, long kernelEndpointsReclaimed, int receiveThreads,
        int liveThreads, boolean healthy) {

    /**
     * The most endpoint IDs {@link #toJson()} lists (those with the most flows): anyone who reaches the
     * appliance with GWLB's address can make endpoint IDs, and the health answer must not grow with them.
     */
    public static final int JSON_ENDPOINTS = 32;

    /** Copies the map and list. */
    public GwlbStats {
        drops = Map.copyOf(new EnumMap<>(Objects.requireNonNull(drops, "drops")));
        endpoints = List.copyOf(endpoints);
    }

    /** Live flows of one GWLB endpoint ID. @param endpointId the endpoint ID @param flows its live flows */
    public record EndpointFlows(long endpointId, long flows) {
        /** The endpoint ID in hex, as AWS prints it. */
        @Override
        public String toString() {
            return "EndpointFlows[0x" + hex(endpointId) + ", " + flows + " flows]";
        }
    }

    /** All drops together. */
    public long dropped() {
        long n = 0;
        for (long v : drops.values()) {
            n += v;
        }
        return n;
    }

    /** The drops of one reason. */
    public long dropped(GwlbDropReason reason) {
        return drops.getOrDefault(reason, 0L);
    }

    private static String hex(long v) {
        String s = Long.toHexString(v);
        return "0".repeat(16 - s.length()) + s;
    }

    /**
     * The snapshot as one JSON object (what the health port serves); endpoint IDs as 16 hex digits,
     * drop reasons by name. Its size is bounded: {@code "endpointCount"} counts the endpoint IDs, and
     * {@code "endpoints"} lists at most {@value #JSON_ENDPOINTS} of them, those with the most flows.
     */
    public String toJson() {
        StringBuilder b = new StringBuilder(512).append('{');
        b.append("\"healthy\":").append(healthy);
        b.append(",\"received\":").append(received).append(",\"receivedBytes\":").append(receivedBytes);
        b.append(",\"forwarded\":").append(forwarded).append(",\"forwardedBytes\":").append(forwardedBytes);
        b.append(",\"receiveCalls\":").append(receiveCalls).append(",\"dropped\":").append(dropped());
        b.append(",\"drops\":{");
        boolean first = true;
        for (GwlbDropReason r : GwlbDropReason.values()) {
            b.append(first ? "" : ",").append('"').append(r.name()).append("\":").append(dropped(r));
            first = false;
        }
        b.append("},\"flows\":{\"activeTcp\":").append(activeTcpFlows).append(",\"activeOther\":").append(activeOtherFlows)
                .append(",\"created\":").append(flowsCreated).append(",\"expired\":").append(flowsExpired)
                .append(",\"tableFull\":").append(flowTableFull).append(",\"capacity\":").append(flowCapacity).append('}');
        b.append(",\"endpointCount\":").append(endpoints.size()).append(",\"endpoints\":[");
        first = true;
        List<EndpointFlows> listed = endpoints;
        if (listed.size() > JSON_ENDPOINTS) {
            listed = new java.util.ArrayList<>(endpoints);
            listed.sort(java.util.Comparator.comparingLong(EndpointFlows::flows).reversed());
            listed = listed.subList(0, JSON_ENDPOINTS);
        }
        for (EndpointFlows e : listed) {
            b.append(first ? "" : ",").append("{\"endpointId\":\"").append(hex(e.endpointId())).append("\",\"flows\":")
                    .append(e.flows()).append('}');
            first = false;
        }
        b.append("],\"kernel\":{\"toKernel\":").append(toKernel).append(",\"fromKernel\":").append(fromKernel)
                .append(",\"endpoints\":").append(kernelEndpoints).append(",\"endpointFailures\":")
                .append(kernelEndpointFailures).append(",\"endpointsReclaimed\":").append(kernelEndpointsReclaimed).append('}');
        b.append(",\"receiveThreads\":").append(receiveThreads).append(",\"liveThreads\":").append(liveThreads);
        return b.append('}').toString();
    }

    /** One line for a log: packets, drops, flows, health. */
    @Override
    public String toString() {
        return "gwlb: received " + received + ", forwarded " + forwarded + ", dropped " + dropped()
                + (dropped() == 0 ? "" : " " + nonZeroDrops()) + ", flows tcp " + activeTcpFlows + " other "
                + activeOtherFlows + " (created " + flowsCreated + ", expired " + flowsExpired + "), endpoints "
                + endpoints.size() + (kernelEndpoints == 0 && toKernel == 0 ? "" : ", kernel in " + toKernel + " out "
                + fromKernel + " (" + kernelEndpoints + " device pairs)") + ", threads " + liveThreads + "/" + receiveThreads + (healthy ? ", healthy" : ", NOT HEALTHY");
    }

    private String nonZeroDrops() {
        StringBuilder b = new StringBuilder("(");
        for (GwlbDropReason r : GwlbDropReason.values()) {
            long v = dropped(r);
            if (v != 0) {
                b.append(b.length() > 1 ? ", " : "").append(r.name()).append(' ').append(v);
            }
        }
        return b.append(')').toString();
    }
}
