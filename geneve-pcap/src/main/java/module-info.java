/**
 * pcap and pcapng I/O: {@link io.github.geneve4j.pcap.CaptureReader} reads captures (pcap in
 * both byte orders and timestamp resolutions, pcapng sections, interfaces and packet blocks)
 * through a read buffer (never a mapping), every length bounded; {@link io.github.geneve4j.pcap.PcapWriter}
 * writes classic pcap files.
 *
 * <p>Depends on the JDK alone, so that a program that records or replays frames need not take the
 * Geneve codec, and the codec need not know about files.
 */
module io.github.geneve4j.pcap {
    exports io.github.geneve4j.pcap;
}
