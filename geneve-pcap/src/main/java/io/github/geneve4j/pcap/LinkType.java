package io.github.geneve4j.pcap;

/**
 * Link types of the frames geneve4j reads and writes, as the tcpdump.org {@code LINKTYPE_} registry
 * numbers them. A capture may hold any other; {@link CapturedPacket#linkType()} keeps its number.
 *
 * <pre>{@code
 * PcapWriter.create(Path.of("out.pcap"), LinkType.ETHERNET)
 * }</pre>
 */
public final class LinkType {

    /** Ethernet II (and 802.3) frames. */
    public static final int ETHERNET = 1;
    /** Raw IPv4 or IPv6 packets, told apart by the version nibble. */
    public static final int RAW = 101;
    /** Linux "cooked" capture, version 1 (16-byte header). */
    public static final int LINUX_SLL = 113;
    /** Linux "cooked" capture, version 2 (20-byte header). */
    public static final int LINUX_SLL2 = 276;

    private LinkType() {
    }
}
