package io.github.geneve4j.gwlb;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The flow table against a sender who shapes flows: crafted flows that all shared one bucket under
 * the former unkeyed hash (which XORed the last address with the ports before mixing) spread over the
 * whole table, and a live flow stays its first outer source's whatever another source replays.
 */
class FlowTableTest {

    private static final long SECOND = 1_000_000_000L;

    private static GwlbPacket udp(long endpoint, int source, int sourcePort, int destination, int destinationPort) {
        GwlbPacket p = new GwlbPacket();
        p.endpointId = endpoint;
        p.protocol = GwlbPacket.UDP;
        p.sourceLow = source & 0xFFFF_FFFFL;
        p.sourcePort = sourcePort;
        p.destinationLow = destination & 0xFFFF_FFFFL;
        p.destinationPort = destinationPort;
        return p;
    }

    @Test
    void craftedCollidingFlowsSpreadOverTheWholeTable() {
        FlowTable table = new FlowTable(1024, 350 * SECOND, 120 * SECOND);
        assertThat(table.capacity()).isEqualTo(1024);
        // 20,000 distinct flows whose last address XOR ports is one constant: under the former hash,
        // mix(endpoint ^ mix(aHigh ^ mix(aLow ^ mix(bHigh ^ mix(bLow ^ meta))))), one bucket of 8 slots
        int a = 0x0a000001;
        int constant = 0x0a100000;
        Set<Integer> slots = new HashSet<>();
        for (int i = 1; i <= 20_000; i++) {
            int ports = i; // port A 0 or 1 below 65,536, port B the rest: aPort << 16 | bPort == i
            GwlbPacket p = udp(7, a, ports >>> 16, constant ^ ports, ports & 0xFFFF);
            if (table.track(p, 1, 0) >= 0) {
                slots.add(p.flow);
            }
        }
        assertThat(table.created.sum()).as("flows that found a slot (the former hash: 8)").isGreaterThan(1000);
        assertThat(slots).hasSizeGreaterThan(1000);
        assertThat(table.full.sum()).isEqualTo(20_000 - table.created.sum());
    }

    @Test
    void sipHashMatchesTheReferenceVectorOf48Bytes() {
        // SipHash-2-4, key 00..0f, message 00..2f: the reference implementation's vectors_sip64[48]
        // (Aumasson and Bernstein); the table's SipHash-1-3 is the same code with 1 and 3 rounds
        long k0 = 0x0706050403020100L;
        long k1 = 0x0f0e0d0c0b0a0908L;
        assertThat(FlowTable.sipHash(2, 4, k0, k1, 0x0706050403020100L, 0x0f0e0d0c0b0a0908L, 0x1716151413121110L,
                0x1f1e1d1c1b1a1918L, 0x2726252423222120L, 0x2f2e2d2c2b2a2928L)).isEqualTo(0xe612a3cb9ecba951L);
    }

    @Test
    void theHashIsKeyed() {
        long one = FlowTable.sipHash(1, 2, 1, 2, 3, 4, 5, 6);
        assertThat(FlowTable.sipHash(1, 2, 1, 2, 3, 4, 5, 6)).isEqualTo(one);
        assertThat(FlowTable.sipHash(1, 3, 1, 2, 3, 4, 5, 6)).as("another key").isNotEqualTo(one);
        assertThat(FlowTable.sipHash(1, 2, 1, 2, 3, 4, 5, 7)).isNotEqualTo(one);
        assertThat(FlowTable.sipHash(1, 2, 3, 4, 5, 6)).as("the process's own random key").isNotEqualTo(one);
    }

    @Test
    void aLiveFlowStaysItsFirstSourcesWhateverAnotherSourceReplays() {
        FlowTable table = new FlowTable(64, 350 * SECOND, 120 * SECOND);
        int gwlb = 0x0a000163;
        int stranger = 0x0a000164;
        GwlbPacket p = udp(7, 0x0a000001, 1000, 0x0a000002, 53);
        int slot = table.track(p, gwlb, 0);
        assertThat(slot).isNotNegative();
        assertThat(p.newFlow).isTrue();
        GwlbPacket replay = udp(7, 0x0a000001, 1000, 0x0a000002, 53);
        assertThat(table.track(replay, stranger, 1)).isEqualTo(FlowTable.OTHER_SOURCE);
        assertThat(replay.flow).isEqualTo(-1);
        GwlbPacket answer = udp(7, 0x0a000002, 53, 0x0a000001, 1000); // the other direction, from GWLB
        assertThat(table.track(answer, gwlb, 2)).isEqualTo(slot);
        // the replay did not refresh it: idle 120 s after GWLB's last packet, it is gone, then the stranger's
        assertThat(table.track(replay, stranger, 2 + 121 * SECOND)).isEqualTo(slot);
        assertThat(replay.newFlow).isTrue();
        assertThat(table.track(p, gwlb, 3 + 121 * SECOND)).isEqualTo(FlowTable.OTHER_SOURCE);
        assertThat(table.lookup(7, GwlbPacket.UDP, 0, 0x0a000002, 53, 0, 0x0a000001, 1000, 4 + 121 * SECOND))
                .as("the kernel's packets find the flow whoever owns it").isEqualTo(slot);
    }
}
