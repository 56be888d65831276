package io.github.geneve4j.codec.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.geneve4j.codec.GeneveFormatException;
import io.github.geneve4j.codec.GeneveFormatException.Reason;
import io.github.geneve4j.codec.net.FrameLocator.Link;
import io.github.geneve4j.testing.Hex;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The one walk from the link header to the upper-layer header: every layout it accepts, every
 * refusal, offsets from the frame's first byte (the frames sit at offset 5 of their segment, so an
 * offset from the segment would show).
 */
class FrameLocatorTest {

    private static final String MACS = "020000000002 020000000001";
    // IPv4, 20-byte header, total length 28, DF, TTL 64, UDP, 10.0.0.1 -> 10.0.0.2 (checksum not checked)
    private static final String V4_UDP = "45 00 001c 0001 4000 40 11 0000 0a000001 0a000002";
    private static final String UDP8 = "9c40 17c1 0008 0000";
    private static final String V6_ADDRESSES = "20010db8000000000000000000000a01 20010db8000000000000000000000a02";

    private static MemorySegment at5(String hex) {
        byte[] bytes = Hex.bytes(hex);
        MemorySegment s = MemorySegment.ofArray(new byte[5 + bytes.length + 3]);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, s, 5, bytes.length);
        return s;
    }

    private static long length(MemorySegment s) {
        return s.byteSize() - 8;
    }

    private static FrameLocator locate(Link link, MemorySegment s) {
        return new FrameLocator().wrap(link, s, 5, length(s));
    }

    private static String v6(int payloadLength, int next, String rest) {
        return "60000000 %04x %02x 40 ".formatted(payloadLength, next) + V6_ADDRESSES + " " + rest;
    }

    private static void assertRefused(Link link, String hex, Reason reason, long offset, String message) {
        MemorySegment s = at5(hex);
        FrameLocator locator = new FrameLocator();
        assertThat(locator.tryWrap(link, s, 5, length(s))).isFalse();
        assertThat(locator.errorReason()).isEqualTo(reason);
        assertThat(locator.errorOffset()).isEqualTo(offset);
        assertThat(locator.errorMessage()).contains(message);
        assertThatThrownBy(() -> locator.wrap(link, s, 5, length(s)))
                .isInstanceOfSatisfying(GeneveFormatException.class, e -> {
                    assertThat(e.reason()).isEqualTo(reason);
                    assertThat(e.offset()).isEqualTo(offset);
                    assertThat(e.getMessage()).contains(message);
                });
    }

    @Test
    void untaggedEthernetIpv4Udp() {
        FrameLocator at = locate(Link.ETHERNET, at5(MACS + " 0800 " + V4_UDP + UDP8));
        assertThat(at.linkHeaderLength()).isEqualTo(14);
        assertThat(at.vlanTags()).isZero();
        assertThat(at.outerVlanTci()).isEqualTo(-1);
        assertThat(at.etherType()).isEqualTo(EtherType.IPV4);
        assertThat(at.ipVersion()).isEqualTo(IpVersion.IPV4);
        assertThat(at.ipOffset()).isEqualTo(5 + 14);
        assertThat(at.ipLength()).isEqualTo(28);
        assertThat(at.protocol()).isEqualTo(EtherType.PROTOCOL_UDP);
        assertThat(at.transportOffset()).isEqualTo(5 + 34);
        assertThat(at.transportLength()).isEqualTo(8);
        assertThat(at.trailerLength()).isZero();
        assertThat(at.offset()).isEqualTo(5);
        assertThat(at.length()).isEqualTo(42);
        assertThat(at.ipv4().source()).isEqualTo(0x0a000001L);
        assertThat(at.pseudoHeaderSum(17, 8)).isEqualTo(at.ipv4().pseudoHeaderSum(17, 8));
    }

    @Test
    void ipv4OptionsAreSkippedAndPaddingIsNotTransport() {
        // IHL 6 (one 4-byte option: NOPs), total length 32; then 14 bytes of Ethernet padding
        String v4 = "46 00 0020 0001 4000 40 11 0000 0a000001 0a000002 01010101";
        FrameLocator at = locate(Link.ETHERNET, at5(MACS + " 0800 " + v4 + UDP8 + " ffffffffffffffffffffffffffff"));
        assertThat(at.transportOffset()).isEqualTo(5 + 14 + 24);
        assertThat(at.transportLength()).isEqualTo(8);
        assertThat(at.trailerLength()).isEqualTo(14);
    }

    @Test
    void stackedTagsAreWalked() {
        // 802.1ad service tag, then 802.1Q, then IPv4
        FrameLocator at = locate(Link.ETHERNET, at5(MACS + " 88a8 2064 8100 0123 0800 " + V4_UDP + UDP8));
        assertThat(at.vlanTags()).isEqualTo(2);
        assertThat(at.outerVlanTci()).isEqualTo(0x2064);
        assertThat(at.linkHeaderLength()).isEqualTo(22);
        assertThat(at.transportOffset()).isEqualTo(5 + 22 + 20);
        // the legacy 0x9100 TPID, one tag
        assertThat(locate(Link.ETHERNET, at5(MACS + " 9100 0005 0800 " + V4_UDP + UDP8)).linkHeaderLength())
                .isEqualTo(18);
    }

    @Test
    void ipv6ExtensionHeadersAreWalked() {
        // hop-by-hop (8 bytes), routing (16 bytes), destination options (8 bytes), then UDP
        String ext = "2b00 010400000000 | 3c01 0000 00000000 0000000000000000 | 1100 010400000000";
        FrameLocator at = locate(Link.ETHERNET, at5(MACS + " 86dd " + v6(32 + 8, 0, ext + UDP8)));
        assertThat(at.ipVersion()).isEqualTo(IpVersion.IPV6);
        assertThat(at.protocol()).isEqualTo(17);
        assertThat(at.transportOffset()).isEqualTo(5 + 14 + 40 + 32);
        assertThat(at.transportLength()).isEqualTo(8);
        assertThat(at.ipLength()).isEqualTo(80);
    }

    @Test
    void rawIpAndLinuxCookedCaptures() {
        FrameLocator raw4 = locate(Link.IP, at5(V4_UDP + UDP8));
        assertThat(raw4.linkHeaderLength()).isZero();
        assertThat(raw4.transportOffset()).isEqualTo(5 + 20);
        FrameLocator raw6 = locate(Link.IP, at5(v6(8, 17, UDP8)));
        assertThat(raw6.ipVersion()).isEqualTo(IpVersion.IPV6);
        assertThat(raw6.transportOffset()).isEqualTo(5 + 40);
        // SLL: packet type, ARPHRD, address length, 8 address bytes, protocol
        FrameLocator sll = locate(Link.LINUX_SLL, at5("0000 0001 0006 020000000001 0000 0800 " + V4_UDP + UDP8));
        assertThat(sll.linkHeaderLength()).isEqualTo(16);
        assertThat(sll.transportOffset()).isEqualTo(5 + 36);
        // SLL2: protocol, reserved, interface index, ARPHRD, packet type, address length, 8 address bytes
        FrameLocator sll2 = locate(Link.LINUX_SLL2,
                at5("86dd 0000 00000002 0001 00 06 020000000001 0000 " + v6(8, 17, UDP8)));
        assertThat(sll2.linkHeaderLength()).isEqualTo(20);
        assertThat(sll2.transportOffset()).isEqualTo(5 + 60);
    }

    @Test
    void ipv4FragmentsAreRefusedWithTheOffsetOfTheFlags() {
        assertRefused(Link.ETHERNET, MACS + " 0800 " + V4_UDP.replace("4000", "2000") + UDP8, Reason.FRAGMENT,
                14 + 6, "IPv4 fragment (offset 0, more fragments 1)");
        assertRefused(Link.ETHERNET, MACS + " 8100 0064 0800 " + V4_UDP.replace("4000", "0003") + UDP8,
                Reason.FRAGMENT, 18 + 6, "IPv4 fragment (offset 3, more fragments 0)");
    }

    @Test
    void anIpv6FragmentHeaderIsRefusedFirstOrNot() {
        // first fragment: offset 0, M set, right after the fixed header
        assertRefused(Link.ETHERNET, MACS + " 86dd " + v6(16, 44, "1100 0001 00000001" + UDP8), Reason.FRAGMENT,
                14 + 40, "IPv6 Fragment header at 54 (offset 0, more fragments 1)");
        // a later fragment behind a hop-by-hop header: its "UDP header" is payload, never read as one
        assertRefused(Link.ETHERNET, MACS + " 86dd " + v6(24, 0, "2c00 010400000000 | 1100 0018 00000001" + UDP8),
                Reason.FRAGMENT, 14 + 48, "(offset 3, more fragments 0)");
        // raw IP: the same header counted from the raw packet
        assertRefused(Link.IP, v6(16, 44, "1100 0001 00000001" + UDP8), Reason.FRAGMENT, 40, "IPv6 Fragment header");
    }

    @Test
    void truncatedAndDamagedLayersCountFromTheFrame() {
        assertRefused(Link.ETHERNET, "0200000000020200000000", Reason.TRUNCATED, 0, "Ethernet frame of 11 bytes");
        assertRefused(Link.ETHERNET, MACS + " 8100 0064", Reason.TRUNCATED, 12, "802.1Q tag at 12");
        assertRefused(Link.ETHERNET, MACS + " 0806 0001", Reason.UNSUPPORTED_PROTOCOL, 12, "EtherType 0x0806");
        assertRefused(Link.ETHERNET, MACS + " 8100 0064 0806 0001", Reason.UNSUPPORTED_PROTOCOL, 16,
                "EtherType 0x0806");
        // the IPv4 view's own checks, moved to the frame's origin
        assertRefused(Link.ETHERNET, MACS + " 0800 " + V4_UDP.replace("001c", "0030") + UDP8, Reason.BAD_LENGTH,
                14 + 2, "IPv4 total length 48 (expected: 20..28) (IP header at frame offset 14)");
        assertRefused(Link.ETHERNET, MACS + " 0800 45000014", Reason.TRUNCATED, 14, "IPv4 packet of 4 bytes");
        // an IPv6 extension header cut short by the payload length: its offset in the frame
        assertRefused(Link.ETHERNET, MACS + " 86dd " + v6(2, 0, "1100"), Reason.BAD_LENGTH, 14 + 40,
                "IPv6 extension header 0 of 8 bytes");
        assertRefused(Link.ETHERNET, MACS + " 86dd " + v6(1, 60, "11"), Reason.TRUNCATED, 14 + 40,
                "IPv6 extension header 60 at 40 truncated");
        assertRefused(Link.IP, "", Reason.TRUNCATED, 0, "IP packet of 0 bytes");
        assertRefused(Link.IP, "50", Reason.BAD_VALUE, 0, "IP version 5 (expected: 4 or 6)");
        assertRefused(Link.LINUX_SLL, "0000 0001 0006", Reason.TRUNCATED, 0, "Linux cooked header of 6 bytes");
        assertRefused(Link.LINUX_SLL2, "0800 0000", Reason.TRUNCATED, 0, "Linux cooked v2 header of 4 bytes");
        assertRefused(Link.LINUX_SLL, "0000 0001 0006 020000000001 0000 0806 00", Reason.UNSUPPORTED_PROTOCOL, 14,
                "EtherType 0x0806");
    }

    @Test
    void aRefusedFrameLeavesTheLocatorUnusable() {
        FrameLocator at = locate(Link.ETHERNET, at5(MACS + " 0800 " + V4_UDP + UDP8));
        MemorySegment arp = at5(MACS + " 0806 0001");
        assertThat(at.tryWrap(Link.ETHERNET, arp, 5, length(arp))).isFalse();
        assertThatThrownBy(at::protocol).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> at.tryWrap(Link.ETHERNET, arp, 5, arp.byteSize()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(new FrameLocator().errorMessage()).isNull();
    }

    @Test
    void locatingAndRefusingAllocatesNothing() {
        var threads = ManagementFactory.getThreadMXBean();
        Assumptions.assumeTrue(threads instanceof com.sun.management.ThreadMXBean bean
                && bean.isThreadAllocatedMemorySupported(), "per-thread allocation counter unavailable");
        var bean = (com.sun.management.ThreadMXBean) threads;
        MemorySegment good = at5(MACS + " 86dd " + v6(16, 0, "1100 010400000000" + UDP8));
        MemorySegment fragment = at5(MACS + " 0800 " + V4_UDP.replace("4000", "2000") + UDP8);
        MemorySegment bad = at5(MACS + " 0800 " + V4_UDP.replace("001c", "0030") + UDP8);
        FrameLocator at = new FrameLocator();
        long sink = 0;
        for (int round = 0; round < 2; round++) {
            long before = bean.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 100_000; i++) {
                sink += at.tryWrap(Link.ETHERNET, good, 5, length(good)) ? at.transportOffset() : 0;
                sink += at.tryWrap(Link.ETHERNET, fragment, 5, length(fragment)) ? 0 : at.errorOffset();
                sink += at.tryWrap(Link.ETHERNET, bad, 5, length(bad)) ? 0 : at.errorReason().ordinal();
            }
            long allocated = bean.getCurrentThreadAllocatedBytes() - before;
            if (round == 1) {
                assertThat(allocated).as("bytes allocated over 300,000 frames").isLessThan(50_000);
            }
        }
        assertThat(sink).isNotZero();
    }

    @Test
    void mapsPcapLinkTypesToLinksAndBack() {
        assertThat(Link.ofLinkType(1)).contains(Link.ETHERNET);
        assertThat(Link.ofLinkType(101)).contains(Link.IP);
        assertThat(Link.ofLinkType(228)).as("LINKTYPE_IPV4").contains(Link.IP);
        assertThat(Link.ofLinkType(229)).as("LINKTYPE_IPV6").contains(Link.IP);
        assertThat(Link.ofLinkType(113)).contains(Link.LINUX_SLL);
        assertThat(Link.ofLinkType(276)).contains(Link.LINUX_SLL2);
        for (int other : new int[] {0, 105, 127, 147, 0xFFFF, -1}) {
            assertThat(Link.ofLinkType(other)).as("link type %d", other).isEmpty();
        }
        for (Link link : Link.values()) {
            assertThat(Link.ofLinkType(link.linkType())).contains(link);
        }
        assertThat(Link.IP.linkType()).isEqualTo(101);
    }
}
