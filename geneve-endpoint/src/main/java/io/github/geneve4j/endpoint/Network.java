package io.github.geneve4j.endpoint;

import io.github.geneve4j.endpoint.spi.FrameDevice;

/**
 * One VNI an endpoint serves: its inner side (a device, one queue per worker pair, or null for the
 * handler), the Geneve header it sends (with that VNI), and its MAC table (shared by the workers).
 */
final class Network {

    /** An Ethernet header's length: the shortest frame an endpoint carries. */
    static final int ETHERNET_HEADER = 14;
    /** The largest Geneve datagram: a UDP length field's 65535 less the UDP header. */
    static final int MAX_DATAGRAM = 65_535 - 8;

    final int vni;
    /** The first queue: the device's name and headroom are its. Null for the handler. */
    final FrameDevice device;
    /** One device queue per worker pair; empty for the handler. */
    final FrameDevice[] queues;
    final byte[] geneve;
    final MacTable macs;

    Network(int vni, FrameDevice[] queues, byte[] geneve, MacTable macs) {
        this.vni = vni;
        this.queues = queues == null ? new FrameDevice[0] : queues;
        this.device = this.queues.length == 0 ? null : this.queues[0];
        this.geneve = geneve;
        this.macs = macs;
    }
}
